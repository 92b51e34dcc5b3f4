// The continuous probe engine: every target once per interval at its own phase, through the method registry,
// counted per minute (the minute it was sent in); each complete minute is handed to onMinute as one batch.
import type { Logger } from '../core/log.js';
import type { Method, ResultRecord, Target } from '../core/model.js';
import { periodOf, type Clock, type Timers } from './clock.js';
import type { AgentMetrics } from './metrics.js';
import { PhasePlan, TokenBucket } from './pacing.js';
import type { ProbeMethod, ProbeTarget } from './probes/method.js';
import { Tally } from './tally.js';

export interface MinuteBatch { host: string; start: number; records: ResultRecord[] }

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
  /** shortest wait between two wake-ups: probes due closer together leave together (default 20 ms) */
  tickMs?: number;
}

/** Where a task-list target's probes go: its address, port (tcp) or URL (http). */
export const probeTargetOf = (t: Target): ProbeTarget => ({ address: t.vip, port: t.port, url: t.url });

export class ProbeEngine {
  readonly #d: EngineDeps;
  readonly #tally = new Tally();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #bucket: TokenBucket;
  #host = '';
  #targets: Target[] = [];
  #plan: PhasePlan | null = null;
  #cursor = 0;
  #timer: unknown = null;
  #running = false;

  constructor(deps: EngineDeps) {
    this.#d = deps;
    this.#bucket = new TokenBucket(deps.maxProbesPerSec, deps.clock.now());
  }

  /** Replaces what is probed (an empty list stops probing); minutes already under way keep their counts. */
  setTargets(host: string, targets: Target[], perMinute: number): void {
    const usable = targets.filter((t) => this.#d.methods[t.method]);
    this.#host = host;
    this.#targets = usable;
    const keys = usable.map((t) => `${host} ${t.method} ${t.vip} ${t.port ?? ''} ${t.url ?? ''}`);
    this.#plan = usable.length ? new PhasePlan(keys, this.#d.minuteMs / perMinute, host) : null;
    this.#cursor = this.#d.clock.now();
    this.#d.metrics.targets.set(usable.length);
    if (this.#running) this.#schedule();
  }

  get targetCount(): number { return this.#targets.length; }

  start(): void {
    this.#running = true;
    this.#cursor = this.#d.clock.now();
    this.#schedule();
  }

  /** Stops sending, waits for probes in flight, and hands over every minute counted so far (the last one partial). */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) this.#d.timers.clearTimeout(this.#timer);
    this.#timer = null;
    await Promise.all([...this.#inFlight]);
    for (const b of this.#tally.takeComplete(this.#d.clock.now(), this.#d.minuteMs, this.#host, true)) this.#d.onMinute({ host: this.#host, ...b });
  }

  #schedule(): void {
    if (this.#timer !== null) this.#d.timers.clearTimeout(this.#timer);
    const now = this.#d.clock.now();
    const nextMinute = periodOf(now, this.#d.minuteMs) + this.#d.minuteMs;
    const nextSlot = this.#plan ? this.#plan.nextAt(this.#cursor) : Infinity;
    const wait = Math.max(this.#d.tickMs ?? 20, Math.min(nextSlot, nextMinute) - now);
    this.#timer = this.#d.timers.setTimeout(() => this.#tick(), wait);
  }

  #tick(): void {
    this.#timer = null;
    if (!this.#running) return;
    const now = this.#d.clock.now();
    const plan = this.#plan;
    if (plan) {
      // after a stall (suspended process), send at most one probe per target, not the whole backlog
      const from = Math.max(this.#cursor, now - plan.intervalMs);
      for (const slot of plan.between(from, now + 1)) this.#send(this.#targets[slot.index]!, now);
      this.#cursor = now + 1;
    }
    this.#flush(now);
    this.#schedule();
  }

  #send(target: Target, now: number): void {
    if (!this.#bucket.take(now)) {
      this.#d.metrics.skipped.inc();
      return;
    }
    const method = this.#d.methods[target.method]!;
    const done = this.#tally.sent(periodOf(now, this.#d.minuteMs), target.vip, target.method);
    const p = method.probe(probeTargetOf(target), this.#d.timeoutMs)
      .catch((e: Error) => {
        this.#d.log.warn({ vip: target.vip, method: target.method, err: e.message }, 'probe failed to start');
        return null;
      })
      .then((rtt) => {
        done(rtt);
        this.#d.metrics.probes.inc({ method: target.method, outcome: rtt === null ? 'lost' : 'reply' });
        this.#inFlight.delete(p);
        this.#flush(this.#d.clock.now());
      });
    this.#inFlight.add(p);
  }

  #flush(now: number): void {
    for (const b of this.#tally.takeComplete(now, this.#d.minuteMs, this.#host)) this.#d.onMinute({ host: this.#host, ...b });
  }
}
