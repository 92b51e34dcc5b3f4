// The gateway's routes: task lists for agents and the ingest of their results.
import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/log.js';
import type { SeriesStore } from '../core/store/series.js';
import { agentAuth } from './auth.js';
import { IngestMetrics } from './ingest-metrics.js';
import { IngestQueue } from './ingest-queue.js';
import { resultsHandler } from './results.js';
import { tasksHandler, type PlanState } from './tasks.js';

export interface GatewayDeps {
  state: PlanState;
  secret: string;
  log: Logger;
  /** where accepted results go */
  series: SeriesStore;
  /** ingest metrics are registered here */
  registry: Registry;
  cfg: Pick<Config, 'minuteSec' | 'ingest'>;
  /** the clock (ms since epoch) that decides which record times are acceptable */
  now: () => number;
}

export interface GatewayRoutes {
  router: Router;
  queue: IngestQueue;
}

export function gatewayRoutes(deps: GatewayDeps): GatewayRoutes {
  const router = Router();
  const auth = agentAuth(deps.secret, deps.state);
  const ingest = deps.cfg.ingest;
  const metrics = new IngestMetrics(deps.registry);
  const queue = new IngestQueue(deps.series, ingest, metrics, deps.log, deps.now);
  router.get('/api/v1/tasks', auth, tasksHandler(deps.state));
  router.post('/api/v1/results', auth, resultsHandler({
    state: deps.state, queue, metrics, log: deps.log, now: deps.now,
    limits: { minuteSec: deps.cfg.minuteSec, maxAgeSec: ingest.maxAgeSec, maxFutureSec: ingest.maxFutureSec },
    bodyLimit: ingest.bodyLimit, retryAfterSec: ingest.retryAfterSec,
  }));
  return { router, queue };
}
