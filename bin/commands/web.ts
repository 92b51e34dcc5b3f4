// `vipwatch web`: the web UI and its API alone, reading the same stores the gateway and analyzer write.
import { loadConfig } from '../../core/config.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { inventorySource } from '../../core/inventory-source.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import { createJobStore } from '../../core/store/job-backends.js';
import { JobService } from '../../core/job-service.js';
import { createOutboxStore } from '../../core/store/outbox-backends.js';
import { sharedMongo } from '../../core/store/mongo/client.js';
import { mountWeb } from '../../web/compose.js';
import type { Command } from '../command.js';
import { untilSignal } from '../lifecycle.js';


export const webCommand: Command = {
  usage: 'vipwatch web [--config FILE] [--port N]',
  options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' } },
  async run(v) {
    const cfg = loadConfig(v.config as string | undefined, process.env, v.port !== undefined ? { port: Number(v.port) } : {});
    const log = createLogger(cfg.logLevel, 'web');
    const registry = createRegistry();
    // faults and outbox on MongoDB share one client: connected by the first init, closed by the last close
    const mongo = sharedMongo(cfg);
    const admin = createAdminStore(cfg, log), faults = createFaultStore(cfg, log, mongo), series = createSeriesStore(cfg, log);
    // the alerter's outbox (written by `vipwatch analyzer`), for the outbox page
    const outbox = createOutboxStore(cfg, log, mongo);
    await Promise.all([admin.init(), faults.init(), series.init(), outbox.init()]);
    const jobs = createJobStore(cfg, log);
    await jobs.init();
    const inventory = inventorySource(cfg, log);
    inventory.start();
    const catalog = () => inventory.current.catalog;
    const app = createHttpApp(log, registry, { admin: () => admin.ping(), faults: () => faults.ping(), series: () => series.ping() });
    const web = await mountWeb(app, { admin, faults, series, catalog, config: cfg, log, registry, outbox, now: Date.now,
      probes: { store: jobs, service: new JobService({ store: jobs, catalog, cfg: cfg.probes, now: Date.now, log }) } });
    finishApp(app, log, cfg.ingest.retryAfterSec);
    const server = await listen(app, cfg.port, cfg.bind);
    const url = `http://${cfg.bind}:${server.port}`;
    log.info({ url }, 'web listening');
    log.info(web.hintText(url));
    const sig = await untilSignal();
    log.info({ signal: sig }, 'stopping');
    inventory.stop();
    web.close();
    await server.close();
    await Promise.all([admin.close(), faults.close(), series.close(), outbox.close(), jobs.close()]);
    return 0;
  },
};
