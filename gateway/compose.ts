// Builds the gateway from config: inventory (file or built-in demo), plan state, series store, HTTP routes.
import { watchFile, unwatchFile } from 'node:fs';
import type { Express } from 'express';
import type { Config } from '../core/config.js';
import { demoInventory } from '../core/demo.js';
import type { HealthCheck } from '../core/http.js';
import { loadInventory } from '../core/inventory.js';
import type { Logger } from '../core/log.js';
import type { Inventory } from '../core/model.js';
import { createSeriesStore } from '../core/store/series-backends.js';
import type { SeriesStore } from '../core/store/series.js';
import { gatewayRoutes } from './server.js';
import { PlanState } from './tasks.js';
import { resolveSecret } from './tokens.js';
import { Gauge, type Registry } from 'prom-client';

export interface Gateway {
  state: PlanState;
  secret: string;
  series: SeriesStore;
  /** stops watching the inventory; closes the series store if the gateway created it */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** a series store shared with other parts (the caller inits and closes it); else one is made from cfg.series */
  series?: SeriesStore;
  /** the app's /healthz checks (the object given to createHttpApp): the gateway adds `series` */
  checks?: Record<string, HealthCheck>;
  now?: () => number;
}

export const inventoryFrom = (cfg: Config): Inventory => (cfg.inventory ? loadInventory(cfg.inventory) : demoInventory());

export function mountGateway(app: Express, cfg: Config, log: Logger, registry: Registry, opts: GatewayOptions = {}): Gateway {
  const secret = resolveSecret(cfg.secret, cfg.dataDir);
  const inventory = inventoryFrom(cfg);
  const t0 = performance.now();
  const intervalSec = 60 / cfg.plan.probesPerMinute;
  const state = new PlanState(inventory, cfg.plan.redundancy, intervalSec);
  const planned = new Gauge({ name: 'vipwatch_plan_pairs', help: 'host-VIP pairs in the current plan', registers: [registry] });
  const count = () => planned.set([...state.current.allowed.values()].reduce((s, v) => s + v.size, 0));
  count();
  log.info({ hosts: inventory.hosts.length, vips: inventory.vips.length, ms: Math.round(performance.now() - t0), inventory: cfg.inventory ?? 'built-in demo' }, 'plan computed');
  const series = opts.series ?? createSeriesStore(cfg, log);
  if (opts.checks) opts.checks.series = () => series.ping();
  const routes = gatewayRoutes({ state, secret, log, series, registry, cfg, now: opts.now ?? Date.now });
  // Task lists do not need the store, so the gateway starts even when it is down; results get 503 until it answers.
  routes.queue.prepare().catch((e: unknown) => log.warn({ backend: cfg.series.backend, err: (e as Error).message }, 'series store not ready yet; results get 503 until it answers'));
  app.use(routes.router);
  const file = cfg.inventory;
  if (file) {
    // A bad edit keeps the last good plan: agents go on with what they have.
    watchFile(file, { interval: 5000 }, () => {
      try {
        state.update(loadInventory(file));
        count();
        log.info({ inventory: file }, 'inventory changed: plan recomputed');
      } catch (e) {
        log.error({ inventory: file, err: (e as Error).message }, 'inventory change rejected; keeping the previous plan');
      }
    });
  }
  return {
    state, secret, series,
    stop: async () => {
      if (file) unwatchFile(file);
      if (!opts.series) await series.close();
    },
  };
}
