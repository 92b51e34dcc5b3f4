// The engine's ICMP and TCP targets probed by the addon's schedule (agent/native/schedule.c): the phase table,
// sending, replies, timeouts and per-minute sums run in C, and this side gets one call per finished minute, which it
// turns into the same records the JS tally makes (tally.ts sumsRecord). Per probe no JavaScript runs: at 2,500
// targets that was the engine's tick, the tally, the deadline queue and their garbage (agent/README.md, Benchmark).
// Counts are kept by a target id that stays the same across task lists, so a minute under way keeps its counts when
// the list changes, as in the JS tally. A dropped target's id is free again once the minute under way at the change
// has been handed over (no probe of it can count later), so the addon's per-minute cells stay as many as the list's
// targets plus the last change's, however many VIPs a host sees over months.
import { isIP } from 'node:net';
import type { Method, ResultRecord, Target } from '../core/model.js';
import { isoSeconds } from './clock.js';
import { countProbes } from './metrics.js';
import type { Offload, OffloadOptions } from './engine.js';
import { probeScheduleClass, type ProbeSchedule, type ProbeScheduleConstructor } from './native/icmp-socket.js';
import { phaseKey, PhasePlan } from './pacing.js';
import { sumsRecord, tallyKey } from './tally.js';

const KIND: Partial<Record<Method, number>> = { icmp: 0, tcp: 1 };

export class NativeEngine implements Offload {
  readonly #o: OffloadOptions;
  readonly #schedule: ProbeSchedule;
  /** tallyKey -> id (the list's targets and those retiring), and per id its vip and method */
  readonly #ids = new Map<string, number>();
  readonly #byId: { vip: string; method: Method }[] = [];
  /** ids of targets dropped from the list -> the start of the minute under way when they were (ms) */
  readonly #retiring = new Map<number, number>();
  /** ids free for new targets */
  readonly #free: number[] = [];
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
    this.#schedule = new Schedule((...minute) => this.#onMinute(...minute), o.minuteMs, o.timeoutMs, o.tickMs, o.maxProbesPerSec);
    if (this.#schedule.tickMs < o.tickMs) {
      o.log.warn({ tickMs: o.tickMs, inUse: this.#schedule.tickMs, maxProbesPerSec: o.maxProbesPerSec },
        'native schedule: a shorter tick, so that a tick\'s echo replies fit the socket\'s receive buffer (raise net.core.rmem_max to keep tickMs)');
    }
  }

  /** ICMP to an IP address of a family whose raw socket opened, and TCP to an IP address and port. */
  handles(t: Target): boolean {
    const family = isIP(t.vip);
    if (t.method === 'tcp') return family !== 0 && t.port !== undefined;
    if (t.method !== 'icmp') return false;
    return family === 4 ? this.#schedule.icmp4Error === null : family === 6 && this.#schedule.icmp6Error === null;
  }

  get targetCount(): number { return this.#count; }

  /** how many target ids the addon keeps cells for (the list's targets, those retiring and free ones) */
  get idSpace(): number { return this.#byId.length; }

  setTargets(host: string, targets: Target[], intervalMs: number, maxProbesPerSec: number): void {
    this.#host = host;
    this.#count = targets.length;
    const n = targets.length;
    const ids = new Int32Array(n);
    const kinds = new Uint8Array(n);
    const ports = new Int32Array(n);
    const listed = new Set<number>();
    for (let i = 0; i < n; i++) {
      const t = targets[i]!;
      const key = tallyKey(t.method, t.vip);
      let id = this.#ids.get(key);
      if (id === undefined) {
        const target = { vip: t.vip, method: t.method };
        id = this.#free.pop() ?? this.#byId.push(target) - 1;
        this.#byId[id] = target;
        this.#ids.set(key, id);
      }
      this.#retiring.delete(id); // back in the list before its minute was handed over: it counts on under its id
      listed.add(id);
      ids[i] = id;
      kinds[i] = KIND[t.method]!;
      ports[i] = t.port ?? 0;
    }
    // Date.now() after any send of the old list (sends run on this thread): its minute is the last they count in
    const under = Math.floor(Date.now() / this.#o.minuteMs) * this.#o.minuteMs;
    for (const id of this.#ids.values()) if (!listed.has(id) && !this.#retiring.has(id)) this.#retiring.set(id, under);
    // the JS engine's keys and seed: the targets here spread evenly over the interval, shifted by the host's offset
    const plan = new PhasePlan(targets.map((t) => phaseKey(host, t)), intervalMs, host);
    const { order, phases } = plan.table();
    this.#schedule.setTargets(ids, kinds, targets.map((t) => t.vip), ports, order, phases, intervalMs, maxProbesPerSec);
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

  #onMinute(start: number, count: number, skipped: number, late: number, failed: number, error: string | null): void {
    const { metrics, log } = this.#o;
    if (skipped) metrics.skipped.inc(skipped);
    if (late) metrics.late.inc(late);
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
      records[i] = sumsRecord(ts, this.#host, t.vip, t.method, out[o + 1]!, out[o + 2]!, out[o + 3]!, out[o + 4]!, out[o + 5]!);
    }
    // counted per minute, as the JS engine does
    countProbes(metrics, records);
    this.#o.onMinute({ host: this.#host, start, records });
    // minutes are handed over in order, each once nothing of it is in flight: a retiring id's last minute is done
    for (const [id, last] of this.#retiring) {
      if (start < last) continue;
      const t = this.#byId[id]!;
      this.#ids.delete(tallyKey(t.method, t.vip));
      this.#retiring.delete(id);
      this.#free.push(id);
    }
  }
}
