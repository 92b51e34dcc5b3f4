// Where in each probe interval a target's probes go. Pure: no clock, no I/O.
// Every target is probed once per interval (minute / probesPerMinute) at its own fixed phase. The targets are
// ordered by a hash and given evenly spaced phases (interval / n apart), shifted by a per-host offset: a host's
// probes leave at an even rate, never in bursts, and hosts probing the same VIP do not line up.
import type { Target } from '../core/model.js';

/** FNV-1a, 32 bit: a stable, well-spread hash of a short string. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** FNV-1a with murmur3's finalizer: similar keys (127.0.0.1, 127.0.0.2...) land far apart. */
export function mixHash(s: string): number {
  let h = fnv1a(s);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface Slot { index: number; at: number }

/** A target's key in a host's phase plan (both engines use it, with the host as the seed). */
export const phaseKey = (host: string, t: Target): string => `${host} ${t.method} ${t.vip} ${t.port ?? ''} ${t.url ?? ''}`;

export class PhasePlan {
  /** target indexes sorted by phase, and their phases (ms into the interval) */
  readonly #order: number[];
  readonly #phases: number[];

  /** keys: one per target; seed: the host (sets the offset) */
  constructor(keys: string[], readonly intervalMs: number, seed = '') {
    const hash = keys.map(mixHash);
    this.#order = keys.map((_, i) => i).sort((a, b) => hash[a]! - hash[b]! || a - b);
    const n = keys.length;
    const offset = mixHash(seed) / 0x1_0000_0000;
    // rank r goes at (r + offset) / n of the interval: evenly spaced, still sorted
    this.#phases = this.#order.map((_, r) => ((r + offset) / n) * intervalMs);
  }

  get size(): number { return this.#order.length; }

  /** The table as the addon's schedule takes it: target indexes in phase order, and their phases. */
  table(): { order: Int32Array; phases: Float64Array } {
    return { order: Int32Array.from(this.#order), phases: Float64Array.from(this.#phases) };
  }

  /** Every slot with from <= at < to, in time order. */
  *between(from: number, to: number): Generator<Slot> {
    const n = this.#phases.length;
    if (!n || to <= from) return;
    const iv = this.intervalMs;
    for (let base = Math.floor(from / iv) * iv; base < to; base += iv) {
      for (let k = this.#firstAtOrAfter(from - base); k < n; k++) {
        const at = base + this.#phases[k]!;
        if (at >= to) return;
        yield { index: this.#order[k]!, at };
      }
    }
  }

  /** The target indexes of every slot with from <= at < to, in time order, into `out` (emptied first): no object per slot. */
  indexesBetween(from: number, to: number, out: number[]): void {
    out.length = 0;
    const n = this.#phases.length;
    if (!n || to <= from) return;
    const iv = this.intervalMs;
    for (let base = Math.floor(from / iv) * iv; base < to; base += iv) {
      for (let k = this.#firstAtOrAfter(from - base); k < n; k++) {
        if (base + this.#phases[k]! >= to) return;
        out.push(this.#order[k]!);
      }
    }
  }

  /** How many slots have from <= at < to (the slots a stall passed over: counted, not listed). */
  countBetween(from: number, to: number): number {
    return to > from ? this.#countBefore(to) - this.#countBefore(from) : 0;
  }

  #countBefore(t: number): number {
    const base = Math.floor(t / this.intervalMs);
    return base * this.#phases.length + this.#firstAtOrAfter(t - base * this.intervalMs);
  }

  /** The time of the first slot at or after t (Infinity when there are no targets). */
  nextAt(t: number): number {
    const n = this.#phases.length;
    if (!n) return Infinity;
    const base = Math.floor(t / this.intervalMs) * this.intervalMs;
    const k = this.#firstAtOrAfter(t - base);
    return k < n ? base + this.#phases[k]! : base + this.intervalMs + this.#phases[0]!;
  }

  #firstAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.#phases.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#phases[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Probes per target per minute: the gateway's rate (60 / intervalSec), never above the host's ceiling, and lowered
 * so that all targets together stay under the global cap of maxPerSec.
 */
export function probesPerMinute(intervalSec: number, ceiling: number, targets: number, minuteSec: number, maxPerSec: number): number {
  const fromGateway = Math.max(1, Math.round(60 / intervalSec));
  const wanted = Math.min(fromGateway, ceiling);
  if (!targets) return wanted;
  return Math.max(1, Math.min(wanted, Math.floor((maxPerSec * minuteSec) / targets)));
}

/** A token bucket: the last line of the global rate cap (one second of burst). */
export class TokenBucket {
  #tokens: number;
  #at: number;
  #perSec: number;
  constructor(perSec: number, now: number) {
    this.#perSec = perSec;
    this.#tokens = this.#burst();
    this.#at = now;
  }
  /** a new rate from now on: what was filled so far at the old rate, no more than a second of the new one */
  setRate(perSec: number, now: number): void {
    this.#refill(now);
    this.#perSec = perSec;
    this.#tokens = Math.min(this.#burst(), this.#tokens);
  }
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
  /** a second of the rate, and at least one probe: a share under 1/s still gets its probes */
  #burst(): number { return Math.max(1, this.#perSec); }
  #refill(now: number): void {
    this.#tokens = Math.min(this.#burst(), this.#tokens + ((now - this.#at) / 1000) * this.#perSec);
    this.#at = now;
  }
}
