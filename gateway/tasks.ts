// Task lists: the plan is computed once per inventory change; requests only look up the result.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { buildCatalog, targetsOf, type Catalog } from '../core/catalog.js';
import type { Inventory, Plan, TaskList } from '../core/model.js';
import { plan } from './plan.js';

export interface PlanSnapshot {
  catalog: Catalog;
  plan: Plan;
  /** host id -> its task list (with version) */
  tasks: Map<string, TaskList>;
  /** host id -> VIPs it may report on */
  allowed: Map<string, Set<string>>;
}

export function snapshot(inventory: Inventory, redundancy: number, intervalSec: number): PlanSnapshot {
  const catalog = buildCatalog(inventory);
  const p = plan(inventory, { redundancy });
  const tasks = new Map<string, TaskList>();
  const allowed = new Map<string, Set<string>>();
  for (const [host, vips] of Object.entries(p.assignments)) {
    const targets = vips.flatMap((ip) => targetsOf(catalog.vips.get(ip)!));
    const version = createHash('sha256').update(JSON.stringify([intervalSec, targets])).digest('base64url').slice(0, 22);
    tasks.set(host, { host, version, intervalSec, targets });
    allowed.set(host, new Set(vips));
  }
  return { catalog, plan: p, tasks, allowed };
}

/** Holds the current snapshot; replaced whole when the inventory changes. */
export class PlanState {
  #current: PlanSnapshot;
  constructor(inventory: Inventory, readonly redundancy: number, readonly intervalSec: number) {
    this.#current = snapshot(inventory, redundancy, intervalSec);
  }
  get current(): PlanSnapshot { return this.#current; }
  update(inventory: Inventory): PlanSnapshot {
    this.#current = snapshot(inventory, this.redundancy, this.intervalSec);
    return this.#current;
  }
}

export const etagOf = (version: string): string => `"${version}"`;

/** GET /api/v1/tasks for the authenticated host (res.locals.host). */
export const tasksHandler = (state: PlanState) => (req: Request, res: Response): void => {
  const host = res.locals.host as string;
  const snap = state.current;
  const list = snap.tasks.get(host);
  if (!list) {
    const known = snap.catalog.hosts.get(host);
    res.status(403).json({ error: known ? `host ${host} has probe: false and gets no tasks` : `unknown host ${host}` });
    return;
  }
  const etag = etagOf(list.version);
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'no-cache');
  const inm = req.get('If-None-Match');
  if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === list.version)) {
    res.status(304).end();
    return;
  }
  res.json(list);
};
