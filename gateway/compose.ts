// Builds the gateway from config: inventory (file or built-in demo), plan state, HTTP routes.
import { watchFile, unwatchFile } from 'node:fs';
import type { Express } from 'express';
import type { Config } from '../core/config.js';
import { demoInventory } from '../core/demo.js';
import { loadInventory } from '../core/inventory.js';
import type { Logger } from '../core/log.js';
import type { Inventory } from '../core/model.js';
import { gatewayRouter } from './server.js';
import { PlanState } from './tasks.js';
import { resolveSecret } from './tokens.js';
import { Gauge, type Registry } from 'prom-client';

export interface Gateway {
  state: PlanState;
  secret: string;
  stop(): void;
}

export const inventoryFrom = (cfg: Config): Inventory => (cfg.inventory ? loadInventory(cfg.inventory) : demoInventory());

export function mountGateway(app: Express, cfg: Config, log: Logger, registry: Registry): Gateway {
  const secret = resolveSecret(cfg.secret, cfg.dataDir);
  const inventory = inventoryFrom(cfg);
  const t0 = performance.now();
  const intervalSec = 60 / cfg.plan.probesPerMinute;
  const state = new PlanState(inventory, cfg.plan.redundancy, intervalSec);
  const planned = new Gauge({ name: 'vipwatch_plan_pairs', help: 'host-VIP pairs in the current plan', registers: [registry] });
  const count = () => planned.set([...state.current.allowed.values()].reduce((s, v) => s + v.size, 0));
  count();
  log.info({ hosts: inventory.hosts.length, vips: inventory.vips.length, ms: Math.round(performance.now() - t0), inventory: cfg.inventory ?? 'built-in demo' }, 'plan computed');
  app.use(gatewayRouter({ state, secret, log }));
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
  return { state, secret, stop: () => { if (file) unwatchFile(file); } };
}
