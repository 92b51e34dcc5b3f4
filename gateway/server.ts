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
import type { TokenGenerations } from './tokens.js';
import type { JobStore } from '../core/store/jobs.js';
import type { JobBoard } from './jobs-board.js';
import { jobRoutes } from './jobs.js';

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
  /** each host's current agent token generation (revocation) */
  generations: TokenGenerations;
  /** on-demand jobs (GET /api/v1/jobs, POST /api/v1/probes/:id/results); absent: those routes are not mounted */
  jobs?: { store: JobStore; board: JobBoard; maxWaitSec: number };
}

export interface GatewayRoutes {
  router: Router;
  queue: IngestQueue;
}

export function gatewayRoutes(deps: GatewayDeps): GatewayRoutes {
  const router = Router();
  const auth = agentAuth(deps.secret, deps.state, deps.generations, deps.cfg.ingest.retryAfterSec);
  const ingest = deps.cfg.ingest;
  const metrics = new IngestMetrics(deps.registry);
  const queue = new IngestQueue(deps.series, ingest, metrics, deps.log, deps.now);
  router.get('/api/v1/tasks', auth, tasksHandler(deps.state));
  router.post('/api/v1/results', auth, resultsHandler({
    state: deps.state, queue, metrics, log: deps.log, now: deps.now,
    limits: { minuteSec: deps.cfg.minuteSec, maxAgeSec: ingest.maxAgeSec, maxFutureSec: ingest.maxFutureSec },
    bodyLimit: ingest.bodyLimit, maxRecordsPerPost: ingest.maxRecordsPerPost, retryAfterSec: ingest.retryAfterSec,
  }));
  if (deps.jobs) router.use(jobRoutes({ ...deps.jobs, secret: deps.secret, auth, log: deps.log, now: deps.now, registry: deps.registry }));
  return { router, queue };
}
