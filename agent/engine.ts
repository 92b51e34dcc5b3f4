// The continuous probe engine: every target once per interval at its own phase, through the method registry,
// counted per minute (the minute it was sent in); each complete minute is handed to onMinute as one batch.
// The targets an offload takes (the addon's schedule: ICMP and TCP to IP addresses, native-engine.ts) are probed
// there by the same rules; the rest (http, and everything when there is no offload, as under a test's fake clock) here.
// The two sides' minutes go out as one batch per minute (minute-join.ts): the offload hands its own to offloadMinute.
import { isIP } from 'node:net';
import type { Logger } from '../core/log.js';
import type { Method, ResultRecord, Target } from '../core/model.js';
import { periodOf, type Clock, type Timers } from './clock.js';
import { countProbes, type AgentMetrics } from './metrics.js';
import { MinuteJoin } from './minute-join.js';
import { phaseKey, PhasePlan, TokenBucket } from './pacing.js';
import type { ProbeMethod, ProbeReply, ProbeTarget } from './probes/method.js';
import { Tally, tallyKey, type Acc } from './tally.js';

export interface MinuteBatch { host: string; start: number; records: ResultRecord[] }

/** What an offload is made with (by the agent, from its own parts). */
export interface OffloadOptions {
  log: Logger;
  metrics: AgentMetrics;
  minuteMs: number;
  timeoutMs: number;
  tickMs: number;
  maxProbesPerSec: number;
  onMinute(batch: MinuteBatch): void;
}

/** Probes some of the targets elsewhere (native-engine.ts), handing its minutes to onMinute itself. */
export interface Offload {
  handles(t: Target): boolean;
  /** the targets it handles; intervalMs: minute / probes per minute; maxProbesPerSec: its share of the host's cap */
  setTargets(host: string, targets: Target[], intervalMs: number, maxProbesPerSec: number): void;
  readonly targetCount: number;
  start(): void;
  /** ends it: waits for the probes in flight and hands over every minute (the last one partial) */
  stop(): Promise<void>;
}

export interface EngineDeps {
  /** the methods that can run here (ICMP is absent without CAP_NET_RAW) */
  methods: Partial<Record<Method, ProbeMethod>>;
  clock: Clock;
  timers: Timers;
  log: Logger;
  metrics: AgentMetrics;
  minuteMs: number;
  timeoutMs: number;
  maxProbesPerSec: number;
  onMinute(batch: MinuteBatch): void;
  /**
   * shortest wait between two wake-ups (agent.tickMs): probes due closer together leave together. Wake-ups are much
   * of an agent's CPU (bench:agent, 2,500 targets in the addon's schedule: 100 ms 0.50-0.59%, 200 ms 0.40-0.43% of a
   * core; with this engine's per-probe JavaScript, round 1, 1,000 targets: 20 ms 2.6%, 50 ms 1.9-2.1%, 100 ms 2.0%).
   */
  tickMs: number;
  /** probes the targets it handles instead of this engine */
  offload?: Offload;
}

/** Where a task-list target's probes go: its address, port (tcp) or URL (http). */
export const probeTargetOf = (t: Target): ProbeTarget => ({
  address: t.vip, port: t.port, url: t.url, expectStatus: t.expectStatus, bodyPattern: t.bodyPattern, family: isIP(t.vip) as 0 | 4 | 6,
});

export class ProbeEngine {
  readonly #d: EngineDeps;
  readonly #tally = new Tally();
  #inFlight = 0;
  #idle: (() => void) | null = null;
  readonly #bucket: TokenBucket;
  #host = '';
  #targets: Target[] = [];
  /** per target, where its probes go and its tally key (built once, not per probe) */
  #probeTargets: ProbeTarget[] = [];
  #tallyKeys: string[] = [];
  /** the targets due in this tick (reused) */
  readonly #due: number[] = [];
  #plan: PhasePlan | null = null;
  #cursor = 0;
  #timer: unknown = null;
  #running = false;
  readonly #join: MinuteJoin;

  constructor(deps: EngineDeps) {
    this.#d = deps;
    this.#bucket = new TokenBucket(deps.maxProbesPerSec, deps.clock.now());
    this.#join = new MinuteJoin({
      timers: deps.timers,
      // the two sides hand a minute over once its probes are done: a probe timeout and a tick apart at most
      holdMs: deps.timeoutMs + 2 * deps.tickMs + 1000,
      active: (source) => (source === 0 ? this.#targets.length : deps.offload?.targetCount ?? 0) > 0,
      emit: (b) => deps.onMinute(b),
    });
  }

  /** A minute of the offload's: sent with this engine's same minute as one batch. */
  offloadMinute(batch: MinuteBatch): void {
    this.#join.add(1, batch);
  }

  /** Replaces what is probed (an empty list stops probing); minutes already under way keep their counts. */
  setTargets(host: string, targets: Target[], perMinute: number): void {
    const all = targets.filter((t) => this.#d.methods[t.method]);
    const offload = this.#d.offload;
    const offloaded: Target[] = [];
    const usable: Target[] = [];
    for (const t of all) (offload?.handles(t) ? offloaded : usable).push(t);
    // the host's cap split by targets (each is probed at the same rate), so that the two buckets together hold to it;
    // a side with no targets keeps the whole cap, as it sends nothing
    const share = (n: number) => (n ? (this.#d.maxProbesPerSec * n) / all.length : this.#d.maxProbesPerSec);
    offload?.setTargets(host, offloaded, this.#d.minuteMs / perMinute, share(offloaded.length));
    this.#bucket.setRate(share(usable.length), this.#d.clock.now());
    this.#host = host;
    this.#targets = usable;
    this.#probeTargets = usable.map(probeTargetOf);
    this.#tallyKeys = usable.map((t) => tallyKey(t.method, t.vip));
    this.#plan = usable.length ? new PhasePlan(usable.map((t) => phaseKey(host, t)), this.#d.minuteMs / perMinute, host) : null;
    this.#cursor = this.#d.clock.now();
    this.#d.metrics.targets.set(all.length);
    if (this.#running) this.#schedule();
  }

  get targetCount(): number { return this.#targets.length + (this.#d.offload?.targetCount ?? 0); }

  start(): void {
    this.#d.offload?.start();
    this.#running = true;
    this.#cursor = this.#d.clock.now();
    this.#schedule();
  }

  /** Stops sending, waits for probes in flight, and hands over every minute counted so far (the last one partial). */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) this.#d.timers.clearTimeout(this.#timer);
    this.#timer = null;
    const offloaded = this.#d.offload?.stop();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => { this.#idle = resolve; });
    await offloaded;
    this.#idle = null;
    for (const b of this.#tally.takeComplete(this.#d.clock.now(), this.#d.minuteMs, this.#host, true)) this.#join.add(0, { host: this.#host, ...b });
    this.#join.flush();
  }

  #schedule(): void {
    if (this.#timer !== null) this.#d.timers.clearTimeout(this.#timer);
    const now = this.#d.clock.now();
    const nextMinute = periodOf(now, this.#d.minuteMs) + this.#d.minuteMs;
    const nextSlot = this.#plan ? this.#plan.nextAt(this.#cursor) : Infinity;
    const wait = Math.max(this.#d.tickMs, Math.min(nextSlot, nextMinute) - now);
    this.#timer = this.#d.timers.setTimeout(() => this.#tick(), wait);
  }

  #tick(): void {
    this.#timer = null;
    if (!this.#running) return;
    const now = this.#d.clock.now();
    const plan = this.#plan;
    if (plan) {
      // after a stall (suspended process), send at most one probe per target, not the whole backlog; count the rest
      const from = Math.max(this.#cursor, now - plan.intervalMs);
      if (from > this.#cursor) this.#d.metrics.late.inc(plan.countBetween(this.#cursor, from));
      plan.indexesBetween(from, now + 1, this.#due);
      for (const index of this.#due) this.#send(index, now);
      this.#cursor = now + 1;
    }
    this.#flush(now);
    this.#schedule();
  }

  #send(index: number, now: number): void {
    const target = this.#targets[index]!;
    if (!this.#bucket.take(now)) {
      this.#d.metrics.skipped.inc();
      return;
    }
    const acc = this.#tally.count(periodOf(now, this.#d.minuteMs), this.#tallyKeys[index]!, target.vip, target.method);
    this.#inFlight++;
    const method = this.#d.methods[target.method]!;
    if (!method.launch) {
      return void method.probe(this.#probeTargets[index]!, this.#d.timeoutMs).then((reply) => this.#settle(acc, reply), (e: Error) => this.#failed(target, acc, e));
    }
    try {
      method.launch(this.#probeTargets[index]!, this.#d.timeoutMs, acc, this.#settled);
    } catch (e) {
      this.#failed(target, acc, e as Error);
    }
  }

  /** A probe that could not start counts as lost. (A method, not a closure made for every probe in case it fails.) */
  #failed(target: Target, acc: Acc, e: Error): void {
    this.#d.log.warn({ vip: target.vip, method: target.method, err: e.message }, 'probe failed to start');
    this.#settle(acc, null);
  }

  /** launch()'s callback, one for every probe: the tally's accumulator is the probe's context */
  readonly #settled = (acc: Acc, reply: ProbeReply): void => this.#settle(acc, reply);

  #settle(acc: Acc, reply: ProbeReply): void {
    this.#tally.settle(acc, reply);
    if (--this.#inFlight === 0) this.#idle?.();
    // a minute still under way is flushed by the ticks; only a late reply may complete an ended one
    if (acc.minute.start + this.#d.minuteMs <= this.#d.clock.now()) this.#flush(this.#d.clock.now());
  }

  #flush(now: number): void {
    for (const b of this.#tally.takeComplete(now, this.#d.minuteMs, this.#host)) {
      // counted per minute, not per probe: the probe path stays free of metric bookkeeping
      countProbes(this.#d.metrics, b.records);
      this.#join.add(0, { host: this.#host, ...b });
    }
  }
}
