// The engine's ICMP and TCP targets probed by the addon's schedule (agent/native/schedule.c): the phase table,
// sending, replies, timeouts and per-minute sums run in C, and this side gets one call per finished minute, which it
// turns into the same records the JS tally makes (tally.ts sumsRecord). Per probe no JavaScript runs: at 2,500
// targets that was the engine's tick, the tally, the deadline queue and their garbage (agent/README.md, Benchmark).
// Counts are kept by a target id that stays the same across task lists, so a minute under way keeps its counts when
// the list changes, as in the JS tally.
import { isIP } from 'node:net';
import type { Method, ResultRecord, Target } from '../core/model.js';
import { isoSeconds } from './clock.js';
import type { Offload, OffloadOptions } from './engine.js';
import { probeScheduleClass, type ProbeSchedule, type ProbeScheduleConstructor } from './native/icmp-socket.js';
import { phaseKey, PhasePlan } from './pacing.js';
import { sumsRecord, tallyKey } from './tally.js';

const KIND: Partial<Record<Method, number>> = { icmp: 0, tcp: 1 };

export class NativeEngine implements Offload {
  readonly #o: OffloadOptions;
  readonly #schedule: ProbeSchedule;
  /** tallyKey -> id, and per id its vip and method (never reused: a minute under way may still count under one) */
  readonly #ids = new Map<string, number>();
  readonly #byId: { vip: string; method: Method }[] = [];
  #host = '';
  #count = 0;
  #stopped: (() => void) | null = null;

  /** null when the addon is not built: the JS engine then probes everything */
  static open(o: OffloadOptions): NativeEngine | null {
    const Schedule = probeScheduleClass();
    return Schedule ? new NativeEngine(o, Schedule) : null;
  }

  private constructor(o: OffloadOptions, Schedule: ProbeScheduleConstructor) {
    this.#o = o;
    this.#schedule = new Schedule((start, count, skipped, failed, error) => this.#onMinute(start, count, skipped, failed, error), o.minuteMs, o.timeoutMs, o.tickMs, o.maxProbesPerSec);
  }

  /** ICMP to an IP address of a family whose raw socket opened, and TCP to an IP address and port. */
  handles(t: Target): boolean {
    const family = isIP(t.vip);
    if (t.method === 'tcp') return family !== 0 && t.port !== undefined;
    if (t.method !== 'icmp') return false;
    return family === 4 ? this.#schedule.icmp4Error === null : family === 6 && this.#schedule.icmp6Error === null;
  }

  get targetCount(): number { return this.#count; }

  setTargets(host: string, targets: Target[], intervalMs: number): void {
    this.#host = host;
    this.#count = targets.length;
    const n = targets.length;
    const ids = new Int32Array(n);
    const kinds = new Uint8Array(n);
    const ports = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const t = targets[i]!;
      const key = tallyKey(t.method, t.vip);
      let id = this.#ids.get(key);
      if (id === undefined) {
        id = this.#byId.push({ vip: t.vip, method: t.method }) - 1;
        this.#ids.set(key, id);
      }
      ids[i] = id;
      kinds[i] = KIND[t.method]!;
      ports[i] = t.port ?? 0;
    }
    // the JS engine's keys and seed: the targets here spread evenly over the interval, shifted by the host's offset
    const plan = new PhasePlan(targets.map((t) => phaseKey(host, t)), intervalMs, host);
    const { order, phases } = plan.table();
    this.#schedule.setTargets(ids, kinds, targets.map((t) => t.vip), ports, order, phases, intervalMs);
  }

  start(): void { this.#schedule.start(); }

  /** Sends no more, waits for the probes in flight, hands over every minute counted (the last one partial), and closes. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#stopped = resolve;
      this.#schedule.stop();
    });
    this.#schedule.close();
  }

  #onMinute(start: number, count: number, skipped: number, failed: number, error: string | null): void {
    const { metrics, log } = this.#o;
    if (skipped) metrics.skipped.inc(skipped);
    if (failed) log.warn({ probes: failed, err: error }, 'probes failed to start');
    if (start < 0) {
      this.#stopped?.();
      return;
    }
    const out = this.#schedule.out;
    const ts = isoSeconds(start);
    const records: ResultRecord[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const o = i * 6;
      const t = this.#byId[out[o]!]!;
      const r = sumsRecord(ts, this.#host, t.vip, t.method, out[o + 1]!, out[o + 2]!, out[o + 3]!, out[o + 4]!, out[o + 5]!);
      // counted per minute, not per probe, as the JS engine does
      metrics.probes.inc({ method: r.method, outcome: 'reply' }, r.recv);
      metrics.probes.inc({ method: r.method, outcome: 'lost' }, r.sent - r.recv);
      records[i] = r;
    }
    this.#o.onMinute({ host: this.#host, start, records });
  }
}
