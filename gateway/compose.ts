// Builds the gateway from config: inventory source (file or built-in demo), plan state, series store, HTTP routes.
import type { Express } from 'express';
import type { GatewayConfig } from '../core/config.js';
import type { HealthCheck } from '../core/http.js';
import { inventorySource, type InventorySource } from '../core/inventory-source.js';
import type { Logger } from '../core/log.js';
import { createSeriesStore } from '../core/store/series-backends.js';
import type { SeriesStore } from '../core/store/series.js';
import { gatewayRoutes } from './server.js';
import { PlanState } from './tasks.js';
import { resolveSecret, tokenFor, TokenGenerations } from './tokens.js';
import { createAdminStore } from '../core/store/admin-backends.js';
import type { AdminStore } from '../core/store/admin.js';
import { Gauge, type Registry } from 'prom-client';
import { createJobStore } from '../core/store/job-backends.js';
import type { JobStore } from '../core/store/jobs.js';
import { JobBoard } from './jobs-board.js';

export interface Gateway {
  state: PlanState;
  secret: string;
  series: SeriesStore;
  /** the live on-demand jobs this gateway hands out; a job service in the same process adds new ones here at once */
  board: JobBoard;
  /** each host's current agent token generation, re-read from the admin store every agentTokens.refreshSec */
  generations: TokenGenerations;
  /** HOST's token of its current generation as this gateway knows it (generation 0 before the first read) */
  tokenFor(host: string): string;
  /** the inventory the plan follows (shared with other parts when given in the options) */
  inventory: InventorySource;
  /** stops following the inventory; closes the series store if the gateway created it */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** a series store shared with other parts (the caller inits and closes it); else one is made from cfg.series */
  series?: SeriesStore;
  /** the app's /healthz checks (the object given to createHttpApp): the gateway adds `series` */
  checks?: Record<string, HealthCheck>;
  now?: () => number;
  /** a job store shared with other parts (the caller inits and closes it); else one is made from cfg.admin */
  jobs?: JobStore;
  /** the admin store with the agent token generations, shared (the caller inits and closes it); else one from cfg.admin */
  admin?: AdminStore;
  /** an inventory source shared with other parts (the caller starts and stops it); else one from cfg.inventory */
  inventory?: InventorySource;
}

export function mountGateway(app: Express, cfg: GatewayConfig, log: Logger, registry: Registry, opts: GatewayOptions = {}): Gateway {
  const secret = resolveSecret(cfg.secret, cfg.dataDir);
  const source = opts.inventory ?? inventorySource(cfg, log);
  const inventory = source.current.inventory;
  const t0 = performance.now();
  const intervalSec = 60 / cfg.plan.probesPerMinute;
  const state = new PlanState(inventory, cfg.plan.redundancy, intervalSec);
  const planned = new Gauge({ name: 'vipwatch_plan_pairs', help: 'host-VIP pairs in the current plan', registers: [registry] });
  const count = () => planned.set([...state.current.allowed.values()].reduce((s, v) => s + v.size, 0));
  count();
  log.info({ hosts: inventory.hosts.length, vips: inventory.vips.length, ms: Math.round(performance.now() - t0), inventory: cfg.inventory ?? 'built-in demo' }, 'plan computed');
  const series = opts.series ?? createSeriesStore(cfg, log);
  if (opts.checks) opts.checks.series = () => series.ping();
  const now = opts.now ?? Date.now;
  const jobs = opts.jobs ?? createJobStore(cfg, log);
  const board = new JobBoard({ store: jobs, log, now, pollMs: cfg.probes.pollMs });
  // the board starts polling once the store is ready; until then agents' job polls just wait
  (opts.jobs ? Promise.resolve() : jobs.init()).then(() => board.start(), (e: unknown) => log.error({ err: (e as Error).message }, 'job store did not open: on-demand jobs are off'));
  const admin = opts.admin ?? createAdminStore(cfg, log);
  let opened: Promise<void> | null = opts.admin ? Promise.resolve() : null;
  // a store that failed to open is tried again at the next read, so a gateway started while it was down recovers
  const generations = new TokenGenerations({
    agentTokenGenerations: async () => {
      opened ??= admin.init().catch((e: unknown) => { opened = null; throw e; });
      await opened;
      return admin.agentTokenGenerations();
    },
  }, log, cfg.agentTokens.refreshSec * 1000);
  generations.start().catch((e: unknown) => log.warn({ backend: cfg.admin.backend, err: (e as Error).message }, 'agent token generations not readable yet; agents get 503 until they are'));
  const routes = gatewayRoutes({ state, secret, log, series, registry, cfg, now, generations, jobs: { store: jobs, board, maxWaitSec: cfg.probes.maxWaitSec } });
  // Task lists do not need the store, so the gateway starts even when it is down; results get 503 until it answers.
  routes.queue.prepare().catch((e: unknown) => log.warn({ backend: cfg.series.backend, err: (e as Error).message }, 'series store not ready yet; results get 503 until it answers'));
  app.use(routes.router);
  // A bad edit never gets here (the source refuses it): agents go on with the last good plan.
  const unsubscribe = source.subscribe((snap) => {
    state.update(snap.inventory);
    count();
    log.info({ inventory: cfg.inventory, version: snap.version }, 'inventory changed: plan recomputed');
  });
  if (!opts.inventory) source.start();
  return {
    state, secret, series, board, generations, inventory: source,
    tokenFor: (host) => tokenFor(secret, host, generations.of(host) ?? 0),
    stop: async () => {
      unsubscribe();
      if (!opts.inventory) source.stop();
      generations.stop();
      if (!opts.admin) await admin.close();
      board.stop();
      if (!opts.jobs) await jobs.close();
      if (!opts.series) await series.close();
    },
  };
}
