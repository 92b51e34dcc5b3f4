// Builds the live analyzer and its alerter from config and stores the caller owns (shared in `start`).
import type { Registry } from 'prom-client';
import type { Catalog } from '../core/catalog.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/log.js';
import type { AdminStore } from '../core/store/admin.js';
import type { FaultStore } from '../core/store/faults.js';
import type { SeriesStore } from '../core/store/series.js';
import { createAlerter, type Alerter } from './alerting/index.js';
import { Engine } from './engine/engine.js';
import { LiveAnalyzer } from './live.js';
import type { OutboxStore } from './alerting/outbox/store.js';
import { toWhitelistEntry } from '../core/whitelist.js';

export interface AnalyzerParts {
  cfg: Config;
  log: Logger;
  registry: Registry;
  catalog: Catalog;
  series: SeriesStore;
  faults: FaultStore;
  admin: AdminStore;
  /** config file name, for error messages */
  source?: string;
  /** an outbox store shared with the web UI's outbox page (the alerter inits and closes it); else one from config */
  outbox?: OutboxStore;
  now?: () => number;
}

export interface RunningAnalyzer {
  live: LiveAnalyzer;
  alerter: Alerter;
  engine: Engine;
  stop(): Promise<void>;
}

export async function startAnalyzer(p: AnalyzerParts): Promise<RunningAnalyzer> {
  const { cfg, log } = p;
  const engine = new Engine(p.catalog, { rules: cfg.analyzer.rules, minuteMs: cfg.minuteSec * 1000 });
  await p.admin.upsertBusinesses(p.catalog.inventory.businesses);
  const alerter = await createAlerter({ config: cfg, catalog: p.catalog, log, registry: p.registry, businesses: await p.admin.businesses(), source: p.source, now: p.now, store: p.outbox });
  const live = new LiveAnalyzer({
    engine, series: p.series, faults: p.faults, log, registry: p.registry, graceSec: cfg.analyzer.graceSec, now: p.now,
    whitelist: async (minute) => (await p.admin.listWhitelist({ now: new Date(minute).toISOString() })).map(toWhitelistEntry),
    // alerting sees each minute before it is committed, so a crash in between neither loses nor repeats a message
    listeners: [(minute, transitions) => alerter.onMinute(minute, transitions).then(() => undefined)],
  });
  alerter.start(cfg.alerting.outbox.pollMs);
  live.start();
  log.info({ vips: engine.topo.vips.length, hosts: engine.topo.hosts.length, graceSec: cfg.analyzer.graceSec, minuteSec: cfg.minuteSec }, 'analyzer running');
  return {
    live, alerter, engine,
    stop: async () => { await live.stop(); await alerter.close(); },
  };
}
