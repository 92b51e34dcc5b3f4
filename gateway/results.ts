// POST /api/v1/results: body limit (413, before parsing), record count (413, before checking any), validation (400 naming each bad field), authorization (403),
// then the ingest queue; 200 {"accepted": n} only once the store confirmed, 503 + Retry-After while it cannot.
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../core/log.js';
import { StoreUnavailableError } from '../core/store/series.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { QueueFullError, type IngestQueue } from './ingest-queue.js';
import { MAX_PROBLEMS, checkResults, describeProblems, type IngestLimits } from './results-check.js';
import { fastValidator } from './results-validate.js';
import type { PlanState } from './tasks.js';

export interface ResultsDeps {
  state: PlanState;
  queue: IngestQueue;
  metrics: IngestMetrics;
  limits: IngestLimits;
  /** cfg.ingest.bodyLimit, e.g. "1mb" */
  bodyLimit: string;
  /** cfg.ingest.maxRecordsPerPost: more records in one body are refused (413) before any is checked */
  maxRecordsPerPost: number;
  retryAfterSec: number;
  now: () => number;
  log: Logger;
}

export function resultsHandler(deps: ResultsDeps): RequestHandler {
  // Any content type: an agent that forgets the header still gets its JSON read (or a clear 400).
  const parse = express.json({ limit: deps.bodyLimit, type: () => true });

  const unavailable = (res: Response, error: string) => {
    res.status(503).setHeader('Retry-After', String(deps.retryAfterSec)).json({ error });
  };

  const accept = async (req: Request, res: Response): Promise<void> => {
    const host = res.locals.host as string;
    const results = (req.body as { results?: unknown } | null)?.results;
    if (Array.isArray(results) && results.length > deps.maxRecordsPerPost) {
      deps.metrics.count('invalid', results.length);
      res.status(413).json({ error: `results: ${results.length} records; ingest.maxRecordsPerPost (${deps.maxRecordsPerPost}) is the most one post may carry: send them in smaller batches` });
      return;
    }
    const verdict = checkResults(req.body, host, deps.state.current, deps.limits, deps.now(), fastValidator);
    if (verdict.status !== 200) {
      deps.metrics.count(verdict.status === 400 ? 'invalid' : 'forbidden', verdict.records);
      deps.log.info({ host, status: verdict.status, problems: verdict.problems.length, first: verdict.problems[0] }, 'results refused');
      res.status(verdict.status).json({ error: describeProblems(verdict.problems), problems: verdict.problems.slice(0, MAX_PROBLEMS) });
      return;
    }
    const n = verdict.records.length;
    try {
      await deps.queue.submit(verdict.records);
    } catch (e) {
      if (e instanceof QueueFullError) {
        deps.metrics.count('busy', n);
        return unavailable(res, e.message);
      }
      // the cause goes to the log under the request id; the agent learns what to do, not the store's error text
      const requestId = res.locals.requestId as string | undefined;
      if (e instanceof StoreUnavailableError) {
        deps.metrics.count('unavailable', n);
        deps.log.warn({ host, records: n, err: e.message, requestId }, 'series store unavailable');
        return unavailable(res, 'series store unavailable, keep the batch and retry');
      }
      deps.metrics.count('failed', n);
      deps.log.error({ host, records: n, err: (e as Error).message, requestId }, 'results not stored');
      res.status(500).json({ error: `results not stored (request ${requestId})`, requestId });
      return;
    }
    deps.metrics.count('accepted', n);
    res.json({ accepted: n });
  };

  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (err) {
        const e = err as { status?: number; type?: string; message?: string };
        if (e.status === 413) {
          res.status(413).json({ error: `body larger than ingest.bodyLimit (${deps.bodyLimit}); send the records in smaller batches` });
        } else if (e.status === 400 || e.status === 415) {
          res.status(e.status).json({ error: 'body: not valid JSON' });
        } else {
          next(err);
        }
        return;
      }
      accept(req, res).catch(next);
    });
  };
}
