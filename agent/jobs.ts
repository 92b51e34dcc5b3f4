// On-demand jobs on the agent: a long poll to the gateway (GET /api/v1/jobs?wait=S) hears of a job within a second
// or so of its creation; each job is checked (signed by the gateway for this host with this host's token, not past
// its startBy), run with the probe methods the agent already has (at most agent.maxJobs at once, all jobs together
// under agent.jobProbesPerSec packets a second), and its one result is posted to POST /api/v1/probes/:id/results.
import { Counter, type Registry } from 'prom-client';
import { jobsResponseSchema, signedJobSchema, type JobResult, type SignedJob } from '../core/jobs.js';
import { refuseJob } from '../core/jobs-sign.js';
import type { Logger } from '../core/log.js';
import type { Method } from '../core/model.js';
import { isoSeconds, periodOf, type Clock, type Timers } from './clock.js';
import { errorOf, gatewayClient, type GatewayClient } from './http-client.js';
import { JobPollClient } from './jobs-poll.js';
import { TokenBucket } from './pacing.js';
import { rttOf, type ProbeMethod } from './probes/method.js';
import type { PathProbe } from './probes/traceroute.js';

export interface JobRunnerDeps {
  gatewayUrl: string;
  token: string;
  methods: Partial<Record<Method, ProbeMethod>>;
  paths: Partial<Record<PathProbe['name'], PathProbe>>;
  clock: Clock;
  timers: Timers;
  log: Logger;
  registry: Registry;
  maxJobs: number;
  probesPerSec: number;
  /** how long each poll asks the gateway to hold it */
  waitSec: number;
  postTimeoutMs: number;
  random?: () => number;
}

/** The host a token was issued to ("HOST.MAC"). */
export const hostOfToken = (token: string): string => token.slice(0, Math.max(0, token.lastIndexOf('.')));

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export class JobRunner {
  readonly #d: JobRunnerDeps;
  readonly host: string;
  readonly #poll: JobPollClient;
  readonly #http: GatewayClient;
  readonly #bucket: TokenBucket;
  readonly #jobs: Counter;
  /** seq -> startBy (ms) of every job seen, run or refused: told to the gateway so it offers only new ones */
  readonly #known = new Map<number, number>();
  readonly #queue: SignedJob[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #loop: Promise<void> | null = null;
  #stopping = false;

  constructor(d: JobRunnerDeps) {
    this.#d = d;
    this.host = hostOfToken(d.token);
    this.#poll = new JobPollClient(d.gatewayUrl, d.token);
    this.#http = gatewayClient(d.gatewayUrl, d.token, d.postTimeoutMs);
    this.#bucket = new TokenBucket(d.probesPerSec, d.clock.now());
    this.#jobs = new Counter({ name: 'vipwatch_agent_jobs_total', help: 'on-demand jobs by outcome', labelNames: ['outcome'], registers: [d.registry] });
  }

  get running(): number { return this.#running.size; }

  start(): void {
    if (this.#loop || this.#d.waitSec <= 0) return;
    this.#loop = this.#run();
  }

  /** Stops polling; jobs under way stop sending and post what they measured. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#abort.abort();
    this.#queue.length = 0;
    await this.#loop;
    await Promise.all([...this.#running]);
    this.#poll.close();
  }

  async #run(): Promise<void> {
    const { log, waitSec } = this.#d;
    let failures = 0;
    while (!this.#stopping) {
      this.#prune();
      const known = [...this.#known.keys()].join(',');
      let wait = 0;
      try {
        const res = await this.#poll.get(`/api/v1/jobs?wait=${waitSec}${known ? `&known=${known}` : ''}`, (waitSec + 15) * 1000, this.#abort.signal);
        if (res.status !== 200) throw new Error(`GET /api/v1/jobs answered ${res.status}: ${errorOf(res.body)}`);
        const body = jobsResponseSchema.safeParse(res.body);
        if (!body.success) throw new Error('GET /api/v1/jobs: the answer is not {"jobs": [...]}');
        for (const job of body.data.jobs) this.#take(job);
        failures = 0;
      } catch (e) {
        if (this.#stopping) break;
        failures++;
        wait = Math.min(30_000, 500 * 2 ** Math.min(failures, 10)) * (0.5 + (this.#d.random ?? Math.random)());
        (failures === 1 ? log.warn.bind(log) : log.debug.bind(log))({ err: (e as Error).message, retryInMs: Math.round(wait) }, 'job poll failed');
      }
      if (wait) await this.#sleep(wait);
    }
  }

  #take(raw: unknown): void {
    const now = this.#d.clock.now();
    const o = (raw ?? {}) as { seq?: unknown; id?: unknown; startBy?: unknown };
    if (Number.isSafeInteger(o.seq)) {
      // a job offered twice runs once
      if (this.#known.has(o.seq as number)) return;
      // remembered even when refused, so the gateway stops offering it
      const startBy = Date.parse(String(o.startBy));
      this.#known.set(o.seq as number, Number.isFinite(startBy) ? startBy : now);
    }
    const why = refuseJob(raw, this.#d.token, this.host, now);
    if (why) {
      this.#jobs.inc({ outcome: 'refused' });
      this.#d.log.warn({ job: String(o.id), why }, 'job refused');
      return;
    }
    this.#queue.push(signedJobSchema.parse(raw));
    this.#drain();
  }

  #drain(): void {
    while (this.#running.size < this.#d.maxJobs && this.#queue.length && !this.#stopping) {
      const job = this.#queue.shift()!;
      if (Date.parse(job.startBy) <= this.#d.clock.now()) {
        this.#jobs.inc({ outcome: 'expired' });
        this.#d.log.warn({ job: job.id, maxJobs: this.#d.maxJobs }, 'job expired while waiting for a free slot (agent.maxJobs)');
        continue;
      }
      const p = this.#execute(job).finally(() => { this.#running.delete(p); this.#drain(); });
      this.#running.add(p);
    }
  }

  async #execute(job: SignedJob): Promise<void> {
    const { log } = this.#d;
    try {
      const result = job.method === 'traceroute' ? await this.#trace(job) : await this.#ping(job);
      if (!result) return;
      await this.#post(job, result);
      this.#jobs.inc({ outcome: 'done' });
    } catch (e) {
      this.#jobs.inc({ outcome: 'failed' });
      log.error({ job: job.id, method: job.method, err: (e as Error).message }, 'job failed');
    }
  }

  async #ping(job: SignedJob): Promise<JobResult | null> {
    const method = this.#d.methods[job.method as Method];
    if (!method) {
      this.#jobs.inc({ outcome: 'unavailable' });
      this.#d.log.error({ job: job.id, method: job.method }, `job not run: method ${job.method} cannot run on this machine`);
      return null;
    }
    const target = { address: job.address, port: job.port, url: job.url };
    const started = this.#d.clock.now();
    const probes: Promise<number | null>[] = [];
    for (let i = 0; i < job.count && !this.#stopping; i++) {
      if (i) await this.#sleep(job.intervalMs);
      await this.#pace();
      probes.push(method.probe(target, job.timeoutMs).then(rttOf).catch(() => null));
    }
    const rtts = (await Promise.all(probes)).filter((r): r is number => r !== null);
    const base = { ts: isoSeconds(periodOf(started, 60_000)), host: this.host, vip: job.target, method: job.method as Method, sent: probes.length, recv: rtts.length };
    if (!rtts.length) return base;
    return { ...base, rttMin: round3(Math.min(...rtts)), rttAvg: round3(rtts.reduce((s, x) => s + x, 0) / rtts.length), rttMax: round3(Math.max(...rtts)) };
  }

  async #trace(job: SignedJob): Promise<JobResult | null> {
    // an ip:port target (a port in the job) asks for TCP SYN traceroute; a bare address for ICMP (v4 or v6)
    const name = job.port !== undefined ? 'tcp-traceroute' : 'traceroute';
    const tracer = this.#d.paths[name];
    if (!tracer) {
      this.#jobs.inc({ outcome: 'unavailable' });
      this.#d.log.error({ job: job.id }, `job not run: ${name} cannot run on this machine`);
      return null;
    }
    const opts = { maxTtl: job.maxTtl ?? 30, probesPerHop: job.count, timeoutMs: job.timeoutMs, ...(job.port !== undefined ? { port: job.port } : {}) };
    const path = await tracer.trace(job.address, opts, () => this.#pace());
    return { host: this.host, target: job.target, hops: path.hops, reached: path.reached };
  }

  /** A few tries (the result is small and the gateway idempotent); 4xx other than 408/429 will not get better. */
  async #post(job: SignedJob, result: JobResult): Promise<void> {
    let last = '';
    for (let attempt = 0; attempt < 4; attempt++) {
      if (attempt) await this.#sleep(1000 * 2 ** (attempt - 1));
      try {
        const res = await this.#http.request('POST', `/api/v1/probes/${encodeURIComponent(job.id)}/results`, { json: { host: this.host, result } });
        if (res.status === 200) return;
        last = `${res.status}: ${errorOf(res.body)}`;
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch (e) {
        last = (e as Error).message;
      }
    }
    throw new Error(`result not delivered: ${last}`);
  }

  /** Waits for a token of the jobs' packet budget. */
  async #pace(): Promise<void> {
    while (!this.#bucket.take(this.#d.clock.now()) && !this.#stopping) await this.#sleep(Math.max(1, 1000 / this.#d.probesPerSec));
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      // a stop cuts waits short (the poll's back-off, a job's pacing)
      const signal = this.#abort.signal;
      const onAbort = () => { this.#d.timers.clearTimeout(h); resolve(); };
      const h = this.#d.timers.setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Jobs the gateway no longer offers (startBy long past) need not be named. */
  #prune(): void {
    const cutoff = this.#d.clock.now() - 120_000;
    for (const [seq, startBy] of this.#known) if (startBy < cutoff) this.#known.delete(seq);
  }
}
