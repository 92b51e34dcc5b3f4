// What the web part is built from; everything is passed in (see web/compose.ts for the wiring from config).
import type { Request, Response } from 'express';
import type { Registry } from 'prom-client';
import type { OutboxStore } from '../core/store/outbox.js';
import type { Catalog } from '../core/catalog.js';
import type { WebConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
import type { AdminStore } from '../core/store/admin.js';
import type { FaultStore } from '../core/store/faults.js';
import type { SeriesStore } from '../core/store/series.js';
import { principalOf } from './auth/guards.js';
import type { PageContext } from './views/layout.js';
import type { ProbeParts } from './pages/probes.js';

export interface WebDeps {
  admin: AdminStore;
  faults: FaultStore;
  series: SeriesStore;
  /** the current inventory lookups (a function: the inventory may be reloaded while running) */
  catalog: () => Catalog;
  /** the web's slice of the configuration */
  config: WebConfig;
  log: Logger;
  registry: Registry;
  /** the alerter's outbox, read by the outbox and fault pages */
  outbox: Pick<OutboxStore, 'get' | 'recent' | 'forEpisodes' | 'counts'>;
  now: () => number;
  /** on-demand probe jobs (web/pages/probes.ts): the job service and its store; absent: no probes page or API */
  probes?: ProbeParts;
}

export const ctxOf = (req: Request, res: Response): PageContext => ({ principal: principalOf(res), path: req.path });

/** Sends a rendered page with no caching: pages show live state and the user's CSRF token. */
export const sendPage = (res: Response, body: string, status = 200): void => {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(body);
};
