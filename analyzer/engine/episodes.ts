// Episode bookkeeping shared by every fault type: opening (start from the raw history), flaps, recovery, closing,
// and telling opens, updates and closes apart.
import type { Rules } from '../../core/config.js';
import { signalOf, type Signal } from '../../core/episode.js';
import type { FaultEpisode, FaultTransition, FaultType } from '../../core/model.js';
import { oldestBit, windowMask } from './bits.js';
import { faultId, type Lane } from './lane.js';
import type { EngineState, Tracker } from './state.js';

export interface Scope { isps: string[]; provinces: string[]; dcs: string[]; vips: string[]; businesses: string[] }

export const TYPE_ORDER: Record<FaultType, number> = { agent: 0, vip: 1, dc: 2, isp: 3, region: 4 };

/** Whether sorted `a` holds `x` (binary search: a DC fault's VIP list grows to thousands). */
function holds(a: readonly string[], x: string): boolean {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const y = a[mid]!;
    if (y === x) return true;
    if (y < x) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/**
 * Union of a scope list `a` (sorted, no repeats: only this function builds them) and `b` (any order); returns `a`
 * itself when `b` adds nothing. The same as [...new Set([...a, ...b])].sort(), in O(|b| log |a| + |a|): a parent
 * fault takes each of its 1,000 children's VIPs one at a time.
 */
export function mergeSorted(a: string[], b: readonly string[]): string[] {
  let add: string[] | null = null;
  for (const x of b) if (!holds(a, x)) (add ??= []).push(x);
  if (!add) return a;
  if (add.length > 1) add = [...new Set(add)].sort();
  const out: string[] = [];
  let i = 0;
  for (const x of add) {
    while (i < a.length && a[i]! < x) out.push(a[i++]!);
    out.push(x);
  }
  while (i < a.length) out.push(a[i++]!);
  return out;
}

export function mergeScope(e: FaultEpisode, s: Partial<Scope>): void {
  if (s.isps) e.isps = mergeSorted(e.isps, s.isps);
  if (s.provinces) e.provinces = mergeSorted(e.provinces, s.provinces);
  if (s.dcs) e.dcs = mergeSorted(e.dcs, s.dcs);
  if (s.vips) e.vips = mergeSorted(e.vips, s.vips);
  if (s.businesses) e.businesses = mergeSorted(e.businesses, s.businesses);
}

/** One minute's view of the open episodes: the rules report each key's conditions here. */
export class EpisodeBook {
  private readonly observed = new Set<string>();
  private readonly opened = new Set<string>();
  /** episodes that ended this minute (already removed from state.open) */
  readonly closing: Tracker[] = [];

  constructor(readonly state: EngineState, private readonly rules: Rules, readonly minute: number, private readonly minuteMs: number,
    private readonly lanes: Record<Signal, Lane>) {}

  get lossLane(): Lane {
    return this.lanes.loss;
  }

  isOpen(id: string): boolean {
    return this.state.open.has(id);
  }

  /**
   * Reports one key's conditions: `held` is the rule on smoothed data (opens and holds the episode), `raw` the same
   * rule on this minute's data alone (its history dates the start; a run of raw-clean minutes ends the episode).
   * `scope` is needed whenever `held` is true.
   */
  observe(lane: Lane, type: FaultType, key: string, rawIndex: number, held: boolean, raw: boolean, scope?: Scope): void {
    const id = faultId(type, key, lane.signal);
    let t = this.state.open.get(id);
    if (!t) {
      if (!held) return;
      const back = rawIndex >= 0 ? oldestBit(lane.raw[type][rawIndex]!, windowMask(this.rules.smoothWindow)) : -1;
      const start = this.minute - Math.max(0, back) * this.minuteMs;
      t = { episode: newEpisode(id, type, key, lane.signal, start, this.minute), clean: 0, cleanSince: this.minute, emitted: '' };
      this.state.open.set(id, t);
      this.opened.add(id);
    }
    this.observed.add(id);
    if (raw) t.clean = 0;
    else {
      if (t.clean === 0) t.cleanSince = this.minute;
      t.clean++;
    }
    if (held) mergeScope(t.episode, scope!);
    else if (t.clean >= this.rules.recoverMinutes) {
      t.episode.end = isoTime(t.cleanSince);
      this.state.open.delete(id);
      this.closing.push(t);
    }
  }

  /** Open episodes the rules did not mention this minute count as clean minutes (e.g. a VIP that left the inventory). */
  observeRest(): void {
    for (const t of [...this.state.open.values()]) {
      if (!this.observed.has(t.episode.id)) this.observe(this.lanes[signalOf(t.episode)], t.episode.type, t.episode.key, -1, false, false);
    }
  }

  /** Every episode touched this minute, open ones first. */
  touched(): Tracker[] {
    return [...this.state.open.values(), ...this.closing];
  }

  /** The minute's transitions, in rule order (agent, vip, dc, isp, region) then id. */
  transitions(): FaultTransition[] {
    const out: FaultTransition[] = [];
    const closed = new Set(this.closing);
    for (const t of this.touched()) {
      const json = JSON.stringify(t.episode);
      const kind = closed.has(t) ? 'close' : this.opened.has(t.episode.id) ? 'open' : json !== t.emitted ? 'update' : null;
      t.emitted = json;
      if (kind) out.push({ kind, minute: this.minute, episode: JSON.parse(json) as FaultEpisode });
    }
    return out.sort((a, b) => TYPE_ORDER[a.episode.type] - TYPE_ORDER[b.episode.type] || (a.episode.id < b.episode.id ? -1 : a.episode.id > b.episode.id ? 1 : 0));
  }
}

/** ISO time without milliseconds (minutes may be shorter than 60 s in drills, so no flooring here). */
export const isoTime = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function newEpisode(id: string, type: FaultType, key: string, signal: Signal, start: number, minute: number): FaultEpisode {
  // Key order is the contract's output order.
  return {
    id, type, key, start: isoTime(start), detectedAt: isoTime(minute), end: null,
    isps: [], provinces: [], dcs: [], vips: [], businesses: [], parent: null, suppressed: false, signal,
  };
}
