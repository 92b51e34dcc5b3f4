// The engine's state between minutes, and its JSON form for the live analyzer's checkpoint.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { FAULT_TYPES, type FaultEpisode, type FaultType } from '../../core/model.js';
import { Baselines } from './baseline.js';
import type { Topology } from './topology.js';

/** An open episode and its recovery count. */
export interface Tracker {
  episode: FaultEpisode;
  /** consecutive minutes (up to now) in which the raw condition was false */
  clean: number;
  /** first minute (ms) of that clean run */
  cleanSince: number;
  /** the episode as last reported, to tell an update from no change */
  emitted: string;
}

export interface EngineState {
  fingerprint: string;
  /** last evaluated minute (ms); null before the first */
  minute: number | null;
  /** per (vip, group) cell: bit k = the median loss was above the threshold k minutes ago */
  cellBad: Uint16Array;
  /** per (vip, group) cell: bit k = the group reported the VIP k minutes ago */
  cellSeen: Uint16Array;
  /** per (host, vip) pair (key host * vips + vip): bit k = lossy k minutes ago; only pairs with a bit set are kept */
  pairBad: Map<number, number>;
  /** per fault type and key index: bit k = the raw (unsmoothed) condition held k minutes ago */
  raw: Record<FaultType, Uint16Array>;
  /** the latency lane: per cell bit k = slow k minutes ago; raw conditions of latency faults */
  cellSlow: Uint16Array;
  rawLatency: Record<FaultType, Uint16Array>;
  /** per cell: the latency of this minute (ms; NaN without replies) */
  latency: Float32Array;
  /** per cell: the latencies of the smoothing window's minutes (ring by minute), waiting to enter the baseline */
  pending: Float32Array;
  baselines: Baselines;
  /** open episodes by fault id */
  open: Map<string, Tracker>;
}

export const keyCount = (topo: Topology, type: FaultType): number =>
  ({ agent: topo.hosts.length, vip: topo.vips.length, dc: topo.dcs.length, isp: topo.isps.length, region: topo.groups.length })[type];

/** What the latency lane's state is sized by. */
export interface LatencyLayout { window: number; baselineMinutes: number }

type Histories = Pick<EngineState, 'cellBad' | 'cellSeen' | 'pairBad' | 'raw' | 'cellSlow' | 'rawLatency' | 'latency' | 'pending' | 'baselines'>;

const rawArrays = (topo: Topology): Record<FaultType, Uint16Array> =>
  Object.fromEntries(FAULT_TYPES.map((t) => [t, new Uint16Array(keyCount(topo, t))])) as Record<FaultType, Uint16Array>;

function freshHistories(topo: Topology, l: LatencyLayout): Histories {
  const cells = topo.vips.length * topo.groups.length;
  return {
    cellBad: new Uint16Array(cells), cellSeen: new Uint16Array(cells), pairBad: new Map(), raw: rawArrays(topo),
    cellSlow: new Uint16Array(cells), rawLatency: rawArrays(topo), latency: new Float32Array(cells).fill(NaN),
    pending: new Float32Array(cells * l.window).fill(NaN), baselines: new Baselines(cells, l.baselineMinutes),
  };
}

export const initialState = (topo: Topology, l: LatencyLayout): EngineState => ({ fingerprint: topo.fingerprint, minute: null, ...freshHistories(topo, l), open: new Map() });

/** The checkpoint form: plain JSON (typed arrays deflated and base64-encoded). */
export interface SerializedState {
  v: 1;
  fingerprint: string;
  minute: number | null;
  cellBad: string;
  cellSeen: string;
  /** flattened [key, bits, key, bits, ...] */
  pairBad: number[];
  raw: Record<string, string>;
  open: Tracker[];
  /** the latency lane (absent in checkpoints from before it: then it starts afresh) */
  latency?: {
    window: number;
    baselineMinutes: number;
    cellSlow: string;
    raw: Record<string, string>;
    latency: string;
    pending: string;
    baselines: Record<BaselineArray, string>;
  };
}

const BASELINE_ARRAYS = ['slots', 'merged', 'mergedBase', 'total', 'medIdx', 'below', 'last'] as const;
type BaselineArray = (typeof BASELINE_ARRAYS)[number];
type Typed = Uint8Array | Uint16Array | Float32Array;

const pack = (a: Typed): string => deflateRawSync(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), { level: 1 }).toString('base64');
/** Fills `into` from a packed string; false when the sizes differ (another inventory or layout). */
function unpackInto(s: unknown, into: Typed): boolean {
  if (typeof s !== 'string') return false;
  const bytes = inflateRawSync(Buffer.from(s, 'base64'));
  if (bytes.byteLength !== into.byteLength) return false;
  new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(bytes);
  return true;
}
const packRaw = (r: Record<FaultType, Uint16Array>): Record<string, string> => Object.fromEntries(FAULT_TYPES.map((t) => [t, pack(r[t])]));
const unpackRaw = (s: Record<string, string> | undefined, into: Record<FaultType, Uint16Array>): boolean =>
  !!s && FAULT_TYPES.every((t) => unpackInto(s[t], into[t]));

/** `l` null: loss only (latency faults off), the latency lane is left out of the checkpoint. */
export function serializeState(s: EngineState, l: LatencyLayout | null): SerializedState {
  const pairs: number[] = [];
  for (const [k, b] of s.pairBad) pairs.push(k, b);
  const b = s.baselines;
  return {
    v: 1, fingerprint: s.fingerprint, minute: s.minute, cellBad: pack(s.cellBad), cellSeen: pack(s.cellSeen), pairBad: pairs,
    raw: packRaw(s.raw), open: [...s.open.values()],
    ...(l && { latency: {
      window: l.window, baselineMinutes: l.baselineMinutes, cellSlow: pack(s.cellSlow), raw: packRaw(s.rawLatency),
      latency: pack(s.latency), pending: pack(s.pending),
      baselines: Object.fromEntries(BASELINE_ARRAYS.map((k) => [k, pack(b[k])])) as Record<BaselineArray, string>,
    } }),
  };
}

/**
 * Restores a checkpoint. Under a changed inventory the minute and the open episodes carry over (they are keyed by
 * name) but the short histories start afresh: smoothing needs a few minutes to fill again. `baselineKept` is false
 * when the latency baselines could not be restored (another inventory, another window, or a checkpoint from
 * before latency faults): the live analyzer then rebuilds them from the series store.
 */
export function restoreState(topo: Topology, json: unknown, l: LatencyLayout): { state: EngineState; historiesKept: boolean; baselineKept: boolean } {
  const s = json as SerializedState;
  if (!s || s.v !== 1 || !Array.isArray(s.open)) throw new Error(`not an engine checkpoint (expected v 1, got ${JSON.stringify((s as { v?: unknown })?.v)})`);
  const open = new Map(s.open.map((t) => [t.episode.id, t]));
  const fresh = freshHistories(topo, l);
  const state: EngineState = { fingerprint: topo.fingerprint, minute: s.minute, ...fresh, open };
  if (s.fingerprint !== topo.fingerprint) return { state, historiesKept: false, baselineKept: false };
  const historiesKept = unpackInto(s.cellBad, fresh.cellBad) && unpackInto(s.cellSeen, fresh.cellSeen) && unpackRaw(s.raw, fresh.raw);
  if (!historiesKept) return { state: { ...state, ...freshHistories(topo, l) }, historiesKept, baselineKept: false };
  for (let i = 0; i + 1 < s.pairBad.length; i += 2) fresh.pairBad.set(s.pairBad[i]!, s.pairBad[i + 1]!);
  const lat = s.latency;
  const baselineKept = !!lat && lat.window === l.window && lat.baselineMinutes === l.baselineMinutes
    && unpackInto(lat.cellSlow, fresh.cellSlow) && unpackRaw(lat.raw, fresh.rawLatency) && unpackInto(lat.latency, fresh.latency)
    && unpackInto(lat.pending, fresh.pending) && BASELINE_ARRAYS.every((k) => unpackInto(lat.baselines[k], fresh.baselines[k]));
  if (!baselineKept) {
    const again = freshHistories(topo, l);
    Object.assign(state, { cellSlow: again.cellSlow, rawLatency: again.rawLatency, latency: again.latency, pending: again.pending, baselines: again.baselines });
  }
  return { state, historiesKept, baselineKept };
}
