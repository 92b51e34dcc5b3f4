// `npm start`: the whole pipeline in one process on the embedded store: gateway, analyzer with alerting, web UI,
// and (with the built-in demo inventory) a simulated fleet of real agents on the "sim" probe backend that plays a
// scripted DC outage. --speed N compresses time for demos and tests.
import { createAlertOutbox } from '../../analyzer/alerting/outbox/index.js';
import { startAnalyzer } from '../../analyzer/compose.js';
import { SimFleet } from '../../agent/sim/fleet.js';
import { loadConfig } from '../../core/config.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { sharedMongo } from '../../core/store/mongo/client.js';
import { createJobStore } from '../../core/store/job-backends.js';
import { JobService } from '../../core/job-service.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import { mountGateway } from '../../gateway/compose.js';
import { inventorySource } from '../../core/inventory-source.js';
import { mountWeb } from '../../web/compose.js';
import type { Command } from '../command.js';
import { untilSignal } from '../lifecycle.js';
import { quickStartText } from '../quick-start.js';
import { parseSpeed, simEnabled, startConfig } from '../start-config.js';

/** A URL for the address the server listens on (a wildcard bind is reached on loopback). */
const urlOf = (bind: string, port: number): string => {
  const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
};

export const startCommand: Command = {
  usage: 'vipwatch start [--config FILE] [--port N] [--speed N]   (speed: N times faster minutes, e.g. 10: a minute lasts 6 s)',
  options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, speed: { type: 'string', short: 's' } },
  async run(v) {
    const source = v.config as string | undefined;
    const loaded = loadConfig(source, process.env, v.port !== undefined ? { port: Number(v.port) } : {});
    const speed = parseSpeed(v.speed as string | undefined, loaded.minuteSec);
    const cfg = startConfig(loaded, { speed, url: loaded.port ? (loaded.web.url ?? urlOf(loaded.bind, loaded.port)) : null });
    const log = createLogger(cfg.logLevel, 'vipwatch');
    const registry = createRegistry();
    // faults and outbox on MongoDB share one client: connected by the first init, closed by the last close
    const mongo = sharedMongo(cfg);
    const series = createSeriesStore(cfg, log), faults = createFaultStore(cfg, log, mongo), admin = createAdminStore(cfg, log);
    await Promise.all([series.init(), faults.init(), admin.init()]);
    // on-demand jobs live in the admin store's database (after its init: MySQL migrations)
    const jobs = createJobStore(cfg, log);
    await jobs.init();
    // one outbox store: the alerter writes it (and inits it), the outbox page reads it
    const outbox = createAlertOutbox(cfg, log, mongo);
    const checks = { faults: () => faults.ping(), admin: () => admin.ping() };
    const app = createHttpApp(log, registry, checks);
    // one inventory source for the gateway, the analyzer and the web UI: a change reaches all three alike
    const inventory = inventorySource(cfg, log);
    const gw = mountGateway(app, cfg, log, registry, { series, checks, jobs, admin, inventory });
    // jobs made here reach this gateway's waiting agents at once, not at its next look in the store
    const probeJobs = new JobService({ store: jobs, catalog: () => inventory.current.catalog, cfg: cfg.probes, now: Date.now, log, onCreated: (j) => gw.board.add(j) });
    const catalog = inventory.current.catalog;
    // built before anything listens, so a bad sim section stops the start with a clear error
    const fleet = simEnabled(cfg) ? new SimFleet({ cfg, catalog, tokenOf: (host) => gw.tokenFor(host), log, registry, source: source ? `${source} (+ environment)` : 'environment' }) : null;
    const analyzer = await startAnalyzer({ cfg, log, registry, inventory, series, faults, admin, outbox, jobs: probeJobs });
    const web = await mountWeb(app, { admin, faults, series, catalog: () => inventory.current.catalog, config: cfg, log, registry, outbox, now: Date.now, probes: { service: probeJobs, store: jobs } });
    inventory.start();
    finishApp(app, log, cfg.ingest.retryAfterSec);
    const server = await listen(app, cfg.port, cfg.bind);
    const url = urlOf(cfg.bind, server.port);
    log.info({ url, speed, minuteSec: cfg.minuteSec }, 'vipwatch is running');
    log.info(web.hintText(url));
    await fleet?.start(url);
    process.stdout.write(quickStartText({
      cfg, url: cfg.web.url ?? url, login: web.hintText(url), speed,
      sim: fleet && { agents: fleet.agents.size, schedule: fleet.schedule() },
    }) + '\n');
    log.info({ signal: await untilSignal() }, 'stopping');
    await fleet?.stop();
    inventory.stop();
    web.close();
    await server.close();
    await analyzer.stop();
    await gw.stop();
    await Promise.all([series.close(), faults.close(), admin.close(), jobs.close()]);
    return 0;
  },
};
