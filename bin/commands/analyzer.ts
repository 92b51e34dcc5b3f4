import { loadConfig } from '../../core/config.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { sharedMongo } from '../../core/store/mongo/client.js';
import { createAlertOutbox } from '../../analyzer/alerting/outbox/index.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import { createJobStore } from '../../core/store/job-backends.js';
import { JobService } from '../../core/job-service.js';
import { startAnalyzer } from '../../analyzer/compose.js';
import { inventorySource } from '../../core/inventory-source.js';
import type { Command } from '../command.js';
import { untilSignal } from '../lifecycle.js';

export const analyzerCommand: Command = {
  usage: 'vipwatch analyzer [--config FILE] [--port N]   (serves /healthz and /metrics on the port)',
  options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' } },
  async run(v) {
    const source = v.config as string | undefined;
    const cfg = loadConfig(source, process.env, v.port !== undefined ? { port: Number(v.port) } : {});
    const log = createLogger(cfg.logLevel, 'analyzer');
    const registry = createRegistry();
    // faults and outbox on MongoDB share one client: connected by the first init, closed by the last close
    const mongo = sharedMongo(cfg);
    const series = createSeriesStore(cfg, log), faults = createFaultStore(cfg, log, mongo), admin = createAdminStore(cfg, log);
    await Promise.all([series.init(), faults.init(), admin.init()]);
    // the alerter inits and closes it (analyzer.stop())
    const outbox = createAlertOutbox(cfg, log, mongo);
    // path capture makes traceroute jobs in the shared job store; the gateways hand them out
    const jobStore = createJobStore(cfg, log);
    await jobStore.init();
    const inventory = inventorySource(cfg, log);
    const jobs = new JobService({ store: jobStore, catalog: () => inventory.current.catalog, cfg: cfg.probes, now: Date.now, log });
    const analyzer = await startAnalyzer({ cfg, log, registry, inventory, series, faults, admin, outbox, jobs });
    inventory.start();
    const app = createHttpApp(log, registry, { series: () => series.ping(), faults: () => faults.ping(), admin: () => admin.ping() });
    finishApp(app, log);
    const server = await listen(app, cfg.port, cfg.bind);
    log.info({ url: `http://${cfg.bind}:${server.port}/metrics` }, 'analyzer metrics listening');
    log.info({ signal: await untilSignal() }, 'stopping');
    await server.close();
    inventory.stop();
    await analyzer.stop();
    await Promise.all([series.close(), faults.close(), admin.close(), jobStore.close()]);
    return 0;
  },
};
