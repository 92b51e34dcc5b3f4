import { buildCatalog } from '../../core/catalog.js';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import { createAlerter } from '../../analyzer/alerting/index.js';
import { Engine } from '../../analyzer/engine/engine.js';
import { LiveAnalyzer } from '../../analyzer/live.js';
import { storedToEntries } from '../../analyzer/whitelist-file.js';
import { inventoryFrom } from '../../gateway/compose.js';
import type { Command } from '../command.js';

const untilSignal = () => new Promise<string>((resolve) => {
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve(s));
});

export const analyzerCommand: Command = {
  summary: 'run the live analyzer: each closed minute through the fault rules, faults stored and alerted',
  usage: 'vipwatch analyzer [--config FILE]',
  options: { config: { type: 'string', short: 'c' } },
  async run(v) {
    const source = v.config as string | undefined;
    const cfg = loadConfig(source);
    const log = createLogger(cfg.logLevel, 'analyzer');
    const registry = createRegistry();
    const catalog = buildCatalog(inventoryFrom(cfg));
    const engine = new Engine(catalog, { rules: cfg.analyzer.rules, minuteMs: cfg.minuteSec * 1000 });
    const series = createSeriesStore(cfg, log);
    const faults = createFaultStore(cfg, log);
    const admin = createAdminStore(cfg, log);
    await Promise.all([series.init(), faults.init(), admin.init()]);
    const alerter = await createAlerter({ config: cfg, catalog, log, registry, businesses: await admin.businesses().then((b) => (b.length ? b : undefined)), source });
    const live = new LiveAnalyzer({
      engine, series, faults, log, registry, graceSec: cfg.analyzer.graceSec,
      whitelist: async (minute) => storedToEntries(await admin.listWhitelist({ now: new Date(minute).toISOString() })),
      listeners: [(minute, transitions) => alerter.onMinute(minute, transitions).then(() => undefined)],
    });
    alerter.start(cfg.alerting.outbox.pollMs);
    live.start();
    log.info({ vips: engine.topo.vips.length, hosts: engine.topo.hosts.length, graceSec: cfg.analyzer.graceSec, minuteSec: cfg.minuteSec }, 'analyzer running');
    const sig = await untilSignal();
    log.info({ signal: sig }, 'stopping');
    await live.stop();
    await alerter.close();
    await Promise.all([series.close(), faults.close(), admin.close()]);
    return 0;
  },
};
