// The agents' job routes: GET /api/v1/jobs (the control channel: a long poll, answered as soon as a job for the
// calling host exists, else after `wait` seconds with no jobs) and POST /api/v1/probes/:id/results (one result per
// host and job). Both take the agent token, like /api/v1/tasks and /api/v1/results. Each job is signed for the
// host it goes to, with that host's token as the HMAC key (core/jobs-sign.ts).
import { json, Router, type Request, type Response } from 'express';
import { Counter, Gauge, type Registry } from 'prom-client';
import { specFor, jobResultBodySchema, traceResultSchema, type Job } from '../core/jobs.js';
import { signJob } from '../core/jobs-sign.js';
import type { Logger } from '../core/log.js';
import { recordSchema } from '../core/records.js';
import type { JobStore } from '../core/store/jobs.js';
import type { JobBoard } from './jobs-board.js';
import { tokenFor } from './tokens.js';
import type { RequestHandler } from 'express';

export interface JobRoutesDeps {
  board: JobBoard;
  store: JobStore;
  secret: string;
  auth: RequestHandler;
  log: Logger;
  now: () => number;
  registry: Registry;
  maxWaitSec: number;
}

const MAX_KNOWN = 1000;

function parseKnown(raw: unknown): Set<number> | null {
  if (raw === undefined || raw === '') return new Set();
  if (typeof raw !== 'string') return null;
  const parts = raw.split(',');
  if (parts.length > MAX_KNOWN || !parts.every((p) => /^\d{1,15}$/.test(p))) return null;
  return new Set(parts.map(Number));
}

export function jobRoutes(d: JobRoutesDeps): Router {
  const router = Router();
  const delivered = new Counter({ name: 'vipwatch_jobs_delivered_total', help: 'jobs handed to agents', registers: [d.registry] });
  const results = new Counter({ name: 'vipwatch_job_results_total', help: 'job results from agents by outcome', labelNames: ['outcome'], registers: [d.registry] });
  new Gauge({ name: 'vipwatch_job_polls_waiting', help: 'agent job polls held open', registers: [d.registry], collect() { this.set(d.board.waiting); } });
  new Gauge({ name: 'vipwatch_jobs_live', help: 'jobs agents may still start', registers: [d.registry], collect() { this.set(d.board.live); } });

  router.get('/api/v1/jobs', d.auth, (req: Request, res: Response) => {
    const host = res.locals.host as string;
    const wait = req.query.wait === undefined ? 0 : Number(req.query.wait);
    if (!Number.isInteger(wait) || wait < 0 || wait > d.maxWaitSec) {
      res.status(400).json({ error: `wait ${JSON.stringify(req.query.wait)}: expected whole seconds 0..${d.maxWaitSec}` });
      return;
    }
    const known = parseKnown(req.query.known);
    if (!known) {
      res.status(400).json({ error: `known: expected up to ${MAX_KNOWN} comma-separated job seq numbers` });
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    let timer: NodeJS.Timeout | null = null;
    const answer = (jobs: Job[]) => {
      if (timer) clearTimeout(timer);
      if (res.headersSent || res.destroyed) return;
      const key = tokenFor(d.secret, host);
      delivered.inc(jobs.length);
      res.json({ jobs: jobs.map((j) => signJob(specFor(j, host), key)) });
    };
    if (wait === 0) {
      answer(d.board.pending(host, known));
      return;
    }
    const held = d.board.wait({ host, known, answer });
    timer = setTimeout(() => { held.cancel(); answer([]); }, wait * 1000);
    res.on('close', () => { if (timer) clearTimeout(timer); held.cancel(); });
  });

  router.post('/api/v1/probes/:id/results', d.auth, json({ limit: '256kb' }), async (req: Request, res: Response) => {
    const host = res.locals.host as string;
    const body = jobResultBodySchema.safeParse(req.body);
    if (!body.success) {
      results.inc({ outcome: 'invalid' });
      res.status(400).json({ error: body.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') });
      return;
    }
    if (body.data.host !== host) {
      res.status(403).json({ error: `token is for host ${host}, body names ${body.data.host}` });
      return;
    }
    const job = await d.store.get(req.params.id as string);
    if (!job) {
      res.status(404).json({ error: `no job ${req.params.id}` });
      return;
    }
    if (!job.sources.includes(host)) {
      results.inc({ outcome: 'refused' });
      res.status(403).json({ error: `host ${host} is not a source of job ${job.id}` });
      return;
    }
    if (d.now() > Date.parse(job.deadline)) {
      results.inc({ outcome: 'late' });
      res.status(410).json({ error: `job ${job.id} ended at ${job.deadline}` });
      return;
    }
    const r = body.data.result;
    const trace = job.method === 'traceroute';
    const shapeOk = trace
      ? traceResultSchema.safeParse(r).success && 'hops' in r && r.host === host && r.target === job.target
      : recordSchema.safeParse(r).success && 'vip' in r && r.host === host && r.vip === job.target && r.method === job.method;
    if (!shapeOk) {
      results.inc({ outcome: 'invalid' });
      res.status(400).json({ error: trace
        ? `a traceroute result needs host ${host} and target ${job.target}`
        : `a ${job.method} result is one record with host ${host}, vip ${job.target} and method ${job.method}` });
      return;
    }
    const fresh = await d.store.putResult(job.id, host, r, new Date(d.now()).toISOString());
    results.inc({ outcome: fresh ? 'stored' : 'duplicate' });
    res.json({ accepted: fresh ? 1 : 0 });
  });

  return router;
}
