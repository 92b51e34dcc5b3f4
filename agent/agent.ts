// The agent: pulls its task list (at start, then every pullIntervalSec at a random offset), probes it with the
// engine, and reports every minute through the spool. Everything it uses is passed in (clock, timers, methods,
// scheduler), so tests run it with short minutes and fake ages.
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { AgentConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
import type { Method } from '../core/model.js';
import type { Clock, Timers } from './clock.js';
import { ProbeEngine, type MinuteBatch, type Offload, type OffloadOptions } from './engine.js';
import { JobRunner } from './jobs.js';
import { agentMetrics, type AgentMetrics } from './metrics.js';
import { probesPerMinute } from './pacing.js';
import type { ProbeMethod } from './probes/method.js';
import type { PathProbe } from './probes/traceroute.js';
import { Reporter } from './reporter.js';
import { Spool } from './spool.js';
import { nextPull, pullCron, TaskSource } from './tasks.js';

/** Runs fn on a pull rule (pullCron); timerScheduler in production. */
export type Scheduler = (cron: string, fn: () => void) => { cancel(): void };

/**
 * Runs fn at each time the rule gives, on one timer re-armed after each run. (Not a cron library: the agent only
 * needs pullCron's rules, and node-schedule with its date library was a tenth of the agent package.)
 */
export const timerScheduler = (timers: Timers, clock: Clock): Scheduler => (cron, fn) => {
  let handle: unknown = null;
  let last = -Infinity;
  const arm = () => {
    const now = clock.now();
    // never the same slot twice, should a timer fire a hair before the wall clock reaches it
    const at = nextPull(cron, Math.max(now, last));
    handle = timers.setTimeout(() => { last = at; fn(); arm(); }, at - now);
  };
  arm();
  return { cancel: () => { if (handle !== null) timers.clearTimeout(handle); } };
};

export interface AgentDeps {
  /** the agent's slice of the configuration */
  cfg: AgentConfig;
  gatewayUrl: string;
  token: string;
  methods: Partial<Record<Method, ProbeMethod>>;
  /** path methods for on-demand jobs (traceroute); absent: such jobs are not run */
  paths?: Partial<Record<PathProbe['name'], PathProbe>>;
  clock: Clock;
  timers: Timers;
  log: Logger;
  registry: Registry;
  scheduler?: Scheduler;
  random?: () => number;
  /**
   * Makes the offload that probes ICMP and TCP targets outside the engine (NativeEngine.open: the addon's schedule,
   * null when it is not built). Only with the system clock: the addon keeps real time.
   */
  offload?: (o: OffloadOptions) => Offload | null;
}

export const agentDir = (cfg: AgentConfig): string => cfg.agent.dir ?? join(cfg.dataDir, 'agent');

export class Agent {
  readonly #d: AgentDeps;
  readonly metrics: AgentMetrics;
  readonly spool: Spool;
  readonly tasks: TaskSource;
  readonly reporter: Reporter;
  readonly engine: ProbeEngine;
  /** on-demand jobs from the gateway (long poll), beside the hourly task pull */
  readonly jobs: JobRunner;
  readonly #submits = new Set<Promise<void>>();
  #job: { cancel(): void } | null = null;
  #timers = new Set<unknown>();
  #applied: string | null = null;
  #stopReason: string | null = null;
  #running = false;

  constructor(deps: AgentDeps) {
    this.#d = deps;
    const { cfg, clock, timers, log } = deps;
    const a = cfg.agent;
    const dir = agentDir(cfg);
    this.metrics = agentMetrics(deps.registry);
    this.spool = new Spool({ dir: join(dir, 'spool'), maxBatches: a.spool.maxBatches, maxAgeMs: a.spool.maxAgeSec * 1000, clock, log, metrics: this.metrics });
    this.tasks = new TaskSource({ gatewayUrl: deps.gatewayUrl, token: deps.token, file: join(dir, 'tasks.json'), clock, log, metrics: this.metrics, timeoutMs: a.postTimeoutMs });
    this.reporter = new Reporter({
      gatewayUrl: deps.gatewayUrl, token: deps.token, spool: this.spool, clock, timers, log, metrics: this.metrics,
      maxBatchRecords: a.maxBatchRecords, postTimeoutMs: a.postTimeoutMs, maxBackoffMs: cfg.minuteSec * 1000,
    });
    const timing = { minuteMs: cfg.minuteSec * 1000, timeoutMs: a.timeoutMs, maxProbesPerSec: a.maxProbesPerSec, tickMs: a.tickMs };
    const onMinute = (b: MinuteBatch) => this.#onMinute(b);
    // the offload's minutes join the engine's own (one batch a minute); it hands none before the engine starts it
    const offload = deps.offload?.({ log, metrics: this.metrics, onMinute: (b) => this.engine.offloadMinute(b), ...timing }) ?? undefined;
    if (deps.offload) log.info({ schedule: offload ? 'native' : 'js' }, offload ? 'ICMP and TCP probed by the addon\'s schedule' : 'the addon is not built: every target probed in JavaScript');
    this.engine = new ProbeEngine({ methods: deps.methods, clock, timers, log, metrics: this.metrics, onMinute, offload, ...timing });
    this.jobs = new JobRunner({
      gatewayUrl: deps.gatewayUrl, token: deps.token, methods: deps.methods, paths: deps.paths ?? {}, clock, timers, log, registry: deps.registry,
      maxJobs: a.maxJobs, probesPerSec: a.jobProbesPerSec, waitSec: a.jobWaitSec, postTimeoutMs: a.postTimeoutMs, random: deps.random,
    });
  }

  async start(): Promise<void> {
    const { cfg, log } = this.#d;
    this.#running = true;
    await this.spool.init();
    await this.tasks.load();
    this.engine.start();
    // a kept list is probed at once; without one, the pull below decides (and says why if it fails)
    if (this.tasks.list) this.apply();
    await this.pull();
    const random = this.#d.random ?? Math.random;
    const cron = pullCron(cfg.agent.pullIntervalSec, random() * cfg.agent.pullIntervalSec);
    this.#job = (this.#d.scheduler ?? timerScheduler(this.#d.timers, this.#d.clock))(cron, () => { void this.pull(); });
    log.info({ gateway: this.#d.gatewayUrl, pullCron: cron, minuteSec: cfg.minuteSec }, 'agent started');
    this.#every(Math.min(60_000, cfg.minuteSec * 1000), () => this.apply());
    this.reporter.kick();
    this.jobs.start();
  }

  /** Pulls the task list now; after a failure the next try comes pullRetrySec later (with jitter), not an hour later. */
  async pull(): Promise<void> {
    const outcome = await this.tasks.pull();
    this.apply();
    if (outcome === 'failed' && this.#running) {
      const wait = this.#d.cfg.agent.pullRetrySec * 1000 * (0.5 + (this.#d.random ?? Math.random)());
      this.#after(wait, () => { void this.pull(); });
    }
  }

  /** Brings the engine in line with the list and its age: probe it, or stop and say why (fail closed). */
  apply(): void {
    const { cfg, log } = this.#d;
    const list = this.tasks.list;
    const age = this.tasks.age();
    this.metrics.listAge.set(Number.isFinite(age) ? age / 1000 : -1);
    const why = !list ? 'no task list yet: the gateway has not answered and none is kept on disk'
      : age > cfg.agent.maxListAgeSec * 1000
        ? `the task list is ${Math.round(age / 1000)} s old, over agent.maxListAgeSec (${cfg.agent.maxListAgeSec} s): probing stopped until the gateway confirms a list (fail closed)`
        : !list.targets.length ? 'the task list is empty: nothing to probe' : null;
    if (why) {
      if (this.#stopReason !== why) log.warn({ version: list?.version }, why);
      this.#stopReason = why;
      this.#applied = null;
      if (this.engine.targetCount) this.engine.setTargets(list?.host ?? '', [], 1);
      this.metrics.probing.set(0);
      return;
    }
    this.#stopReason = null;
    this.metrics.probing.set(1);
    if (this.#applied === list!.version) return;
    this.#applied = list!.version;
    const perMinute = probesPerMinute(list!.intervalSec, cfg.agent.probesPerMinute, list!.targets.length, cfg.minuteSec, cfg.agent.maxProbesPerSec);
    const skipped = list!.targets.filter((t) => !this.#d.methods[t.method]);
    this.engine.setTargets(list!.host, list!.targets, perMinute);
    log.info({ version: list!.version, targets: this.engine.targetCount, probesPerMinute: perMinute }, 'probing the task list');
    if (perMinute < Math.round(60 / list!.intervalSec)) {
      log.warn({ asked: Math.round(60 / list!.intervalSec), ceiling: cfg.agent.probesPerMinute, maxProbesPerSec: cfg.agent.maxProbesPerSec }, 'probe rate lowered to the host limits');
    }
    if (skipped.length) {
      const methods = [...new Set(skipped.map((t) => t.method))];
      log.error({ skipped: skipped.length, methods }, `targets not probed: method ${methods.join(', ')} cannot run on this machine`);
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#job?.cancel();
    for (const t of this.#timers) this.#d.timers.clearTimeout(t);
    this.#timers.clear();
    await Promise.all([this.engine.stop(), this.jobs.stop()]);
    await Promise.all([...this.#submits]);
    await this.reporter.stop();
  }

  #onMinute(batch: MinuteBatch): void {
    if (!batch.records.length) return;
    const p = this.reporter.submit(batch)
      .catch((e: Error) => { this.#d.log.error({ minute: new Date(batch.start).toISOString(), records: batch.records.length, err: e.message }, 'could not spool a minute of results'); })
      .finally(() => { this.#submits.delete(p); });
    this.#submits.add(p);
  }

  #after(ms: number, fn: () => void): void {
    const h = this.#d.timers.setTimeout(() => { this.#timers.delete(h); fn(); }, ms);
    this.#timers.add(h);
  }

  #every(ms: number, fn: () => void): void {
    this.#after(ms, () => {
      fn();
      if (this.#running) this.#every(ms, fn);
    });
  }
}
