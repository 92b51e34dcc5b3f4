// Builds the live analyzer and its alerter from config and stores the caller owns (shared in `start`).
import type { Registry } from 'prom-client';
import type { InventorySource } from '../core/inventory-source.js';
import type { AnalyzerConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
import type { AdminStore } from '../core/store/admin.js';
import type { FaultStore } from '../core/store/faults.js';
import type { SeriesStore } from '../core/store/series.js';
import type { Catalog } from '../core/catalog.js';
import { createAlerter, type Alerter } from './alerting/index.js';
import { policyContext } from './alerting/context.js';
import { Engine } from './engine/engine.js';
import { LiveAnalyzer } from './live.js';
import { CertWatch } from './cert-expiry.js';
import { isCertWarning } from '../core/episode.js';
import type { FaultTransition } from '../core/model.js';
import type { AlertOutbox } from './alerting/outbox/index.js';
import { toWhitelistEntry } from '../core/whitelist.js';
import type { JobService } from '../core/job-service.js';
import { readInputFile } from '../core/errors.js';
import { PathCapture } from './pathcapture/capture.js';
import { parsePrefixFile } from './pathcapture/names.js';

export interface AnalyzerParts {
  cfg: AnalyzerConfig;
  log: Logger;
  registry: Registry;
  /** the inventory (shared in `start`; the caller starts and stops it): a change is taken at the next minute */
  inventory: InventorySource;
  series: SeriesStore;
  faults: FaultStore;
  admin: AdminStore;
  /** an outbox store shared with the web UI's outbox page (the alerter inits and closes it); else one from config */
  outbox?: AlertOutbox;
  now?: () => number;
  /** on-demand jobs for path capture (traceroutes when a root fault opens); absent: no path capture */
  jobs?: JobService;
}

export interface RunningAnalyzer {
  live: LiveAnalyzer;
  alerter: Alerter;
  /** the engine built at the start (a changed inventory gets a new one inside `live`) */
  engine: Engine;
  capture: PathCapture | null;
  stop(): Promise<void>;
}

export async function startAnalyzer(p: AnalyzerParts): Promise<RunningAnalyzer> {
  const { cfg, log } = p;
  const catalog = () => p.inventory.current.catalog;
  const engineFor = (c: Catalog) => new Engine(c, { rules: cfg.analyzer.rules, minuteMs: cfg.minuteSec * 1000 });
  const engine = engineFor(catalog());
  await p.admin.replaceBusinesses(catalog().inventory.businesses);
  const alerter = await createAlerter({ config: cfg, catalog: catalog(), log, registry: p.registry, businesses: await p.admin.businesses(), now: p.now, store: p.outbox });
  const jobs = p.jobs;
  const capture = jobs && cfg.analyzer.pathCapture.enabled ? new PathCapture({
    jobs, faults: p.faults, catalog, cfg: cfg.analyzer.pathCapture, log, registry: p.registry, now: p.now ?? Date.now,
    names: cfg.analyzer.pathNames ? parsePrefixFile(readInputFile(cfg.analyzer.pathNames), cfg.analyzer.pathNames) : () => undefined,
    followUp: async (uid, fault, diagnosis) => { await alerter.followUp(uid, fault, diagnosis, (p.now ?? Date.now)()); },
  }) : null;
  const live = new LiveAnalyzer({
    engine, engineFor, series: p.series, faults: p.faults, log, registry: p.registry, graceSec: cfg.analyzer.graceSec, now: p.now,
    whitelist: async (minute) => (await p.admin.listWhitelist({ now: new Date(minute).toISOString() })).map(toWhitelistEntry),
    // alerting sees each minute before it is committed, so a crash in between neither loses nor repeats a message
    // path capture traces faults, not certificate warnings
    listeners: [(minute, transitions) => alerter.onMinute(minute, transitions).then(() => undefined),
      ...(capture ? [(minute: number, ts: FaultTransition[]) => capture.onMinute(minute, ts.filter((t) => !isCertWarning(t.episode)))] : [])],
    cert: new CertWatch({ vips: () => catalog().vips, warnDays: cfg.analyzer.certWarnDays, faults: p.faults }),
  });
  // a changed inventory: the engine at the next minute, the owners and routing for the messages after it
  const unsubscribe = p.inventory.subscribe((snap) => {
    live.useCatalog(snap.catalog);
    p.admin.replaceBusinesses(snap.inventory.businesses)
      .then(async () => alerter.setContext(policyContext(cfg, snap.catalog, await p.admin.businesses())))
      .catch((e: unknown) => log.error({ err: (e as Error).message }, 'business owners of the changed inventory not stored; alert routing keeps the previous ones'));
  });
  alerter.start(cfg.alerting.outbox.pollMs);
  live.start();
  log.info({ vips: engine.topo.vips.length, hosts: engine.topo.hosts.length, graceSec: cfg.analyzer.graceSec, minuteSec: cfg.minuteSec }, 'analyzer running');
  return {
    live, alerter, engine, capture,
    stop: async () => { unsubscribe(); await live.stop(); await capture?.stop(); await alerter.close(); },
  };
}
