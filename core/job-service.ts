// Making and reading on-demand jobs, shared by the job API (web part), path capture (analyzer) and tests: checks the
// request, the allow-list and the rate limits, picks the sources, stores the job, and audits every job made and
// every request refused (who, when, what). The rate limits count jobs in the store, so they hold across replicas
// (two requests racing on two replicas may both pass: the limit can be overshot by the number of replicas).
import { randomBytes } from 'node:crypto';
import type { Catalog } from './catalog.js';
import type { Config } from './config.js';
import { allowList, isAllowed, parseTarget, selectSources } from './job-plan.js';
import { probeRequestSchema, type Job, type JobView, type NewJob, type ProbeRequest } from './jobs.js';
import type { Logger } from './log.js';
import type { JobStore } from './store/jobs.js';

export type CreateOutcome =
  | { status: 202; job: Job }
  | { status: 400 | 403 | 429; error: string; retryAfterSec?: number };

export interface JobServiceDeps {
  store: JobStore;
  catalog: () => Catalog;
  cfg: Config['probes'];
  now: () => number;
  log: Logger;
  /** called with each job made here (an in-process gateway hands it out at once instead of at its next store poll) */
  onCreated?: (job: Job) => void;
}

export interface CreateOptions {
  /** "api" (default) or e.g. "path:<episode uid>" */
  purpose?: string;
}

/** How long the probes of a job take at most (traceroute: every round waits its timeout, plus ~10 ms a packet of pacing). */
export const runMs = (j: Pick<Job, 'method' | 'count' | 'intervalMs' | 'timeoutMs' | 'maxTtl'>): number =>
  j.method === 'traceroute' ? j.count * (j.timeoutMs + (j.maxTtl ?? 30) * 10) : (j.count - 1) * j.intervalMs + j.timeoutMs;

export class JobService {
  readonly #d: JobServiceDeps;
  readonly #allow;

  constructor(d: JobServiceDeps) {
    this.#d = d;
    this.#allow = allowList(d.cfg.allowCidrs);
  }

  async create(body: unknown, requester: string, opts: CreateOptions = {}): Promise<CreateOutcome> {
    const { cfg, store } = this.#d;
    const parsed = probeRequestSchema.safeParse(body);
    if (!parsed.success) {
      return { status: 400, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
    }
    const req: ProbeRequest = parsed.data;
    const trace = req.method === 'traceroute';
    const count = req.count ?? (trace ? cfg.traceCount : cfg.defaultCount);
    const maxCount = trace ? 10 : cfg.maxCount;
    if (count > maxCount) return { status: 400, error: `count: at most ${maxCount} for ${req.method} (value ${count})` };
    const target = parseTarget(req.method, req.target);
    if (!target.ok) return { status: 400, error: target.error };
    const catalog = this.#d.catalog();
    const refuse = async (status: 403 | 429, error: string, retryAfterSec?: number): Promise<CreateOutcome> => {
      await store.addAudit({ actor: requester, action: 'refused', jobId: null, target: req.target, method: req.method, detail: { status, error, scope: req.scope, sources: req.sources } });
      this.#d.log.warn({ requester, target: req.target, method: req.method, status }, error);
      return { status, error, ...(retryAfterSec ? { retryAfterSec } : {}) };
    };
    if (!isAllowed(target.value.address, catalog, this.#allow)) {
      return refuse(403, `target ${target.value.address} is neither a VIP of the inventory nor inside probes.allowCidrs`);
    }
    const now = this.#d.now();
    const since = new Date(now - cfg.rateWindowSec * 1000).toISOString();
    if ((await store.countSince({ requester }, since)) >= cfg.perRequester) {
      return refuse(429, `rate limit: ${requester} started ${cfg.perRequester} jobs in the last ${cfg.rateWindowSec} s (probes.perRequester)`, cfg.rateWindowSec);
    }
    if ((await store.countSince({ address: target.value.address }, since)) >= cfg.perTarget) {
      return refuse(429, `rate limit: ${target.value.address} was probed by ${cfg.perTarget} jobs in the last ${cfg.rateWindowSec} s (probes.perTarget)`, cfg.rateWindowSec);
    }
    const id = randomBytes(9).toString('base64url');
    const sources = selectSources(catalog, req.scope, req.sources, id);
    if (!sources.ok) return { status: 400, error: sources.error };
    const spec = {
      method: req.method, count,
      intervalMs: cfg.intervalMs,
      timeoutMs: trace ? cfg.traceTimeoutMs : cfg.timeoutMs,
      ...(trace ? { maxTtl: cfg.maxTtl } : {}),
    };
    const startBy = now + cfg.startWithinSec * 1000;
    const job: NewJob = {
      id, requester, createdAt: new Date(now).toISOString(), target: req.target, ...target.value, ...spec,
      scope: req.scope, sources: sources.value, startBy: new Date(startBy).toISOString(),
      deadline: new Date(startBy + runMs(spec) + cfg.resultGraceSec * 1000).toISOString(), purpose: opts.purpose ?? 'api',
    };
    const stored = await store.create(job);
    await store.addAudit({ actor: requester, action: 'created', jobId: id, target: req.target, method: req.method, detail: { scope: req.scope, sources: stored.sources, count, purpose: job.purpose } });
    this.#d.log.info({ job: id, requester, target: req.target, method: req.method, sources: stored.sources.length }, 'probe job created');
    this.#d.onCreated?.(stored);
    return { status: 202, job: stored };
  }

  /** The contract's view of a job: done once every source answered or the deadline passed. */
  async view(id: string): Promise<JobView | null> {
    const job = await this.#d.store.get(id);
    if (!job) return null;
    const results = await this.#d.store.results(id);
    const done = results.length >= job.sources.length || this.#d.now() > Date.parse(job.deadline);
    return { id, status: done ? 'done' : 'running', requested: job.sources.length, results: results.map((r) => r.result) };
  }
}
