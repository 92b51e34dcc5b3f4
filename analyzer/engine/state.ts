// The engine's state between minutes, and its JSON form for the live analyzer's checkpoint.
import { FAULT_TYPES, type FaultEpisode, type FaultType } from '../../core/model.js';
import { Baselines } from './baseline.js';
import { oldestSave, packLane, restoreLanePart, unpackLane, type PackedLane } from './lane-checkpoint.js';
import { pack, unpackInto } from './pack.js';
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
  /**
   * the latencies of the smoothing window's minutes waiting to enter the baseline: a ring of `window` rows by minute,
   * each row one value per cell (minute-major: a minute reads and rewrites one row, not a fifth of every cell's line)
   */
  pending: Float32Array;
  baselines: Baselines;
  /** open episodes by fault id */
  open: Map<string, Tracker>;
  /** which minute each part of the latency lane was last checkpointed at, and what a restart needs to catch up */
  laneLog: LaneLog;
}

/**
 * The latency lane is too large to checkpoint every minute at full scale (~480 MB of typed arrays for 10,000 VIPs x
 * 93 groups), so it is checkpointed in `parts` VIP ranges, one part a minute in turn (lane-checkpoint.ts). A restart
 * restores each part as of its minute and replays the minutes since from the series store; what those minutes
 * need beyond their records is kept here, in the every-minute checkpoint.
 */
export interface LaneLog {
  /** per part: the minute (ms) it was last checkpointed at; null = not yet */
  saved: (number | null)[];
  /** [minute, hosts left out (agent faults)] for each minute after the oldest save that left any out */
  excluded: Array<[number, number[]]>;
}

export const keyCount = (topo: Topology, type: FaultType): number =>
  ({ agent: topo.hosts.length, vip: topo.vips.length, dc: topo.dcs.length, isp: topo.isps.length, region: topo.groups.length })[type];

/** What the latency lane's state is sized by, and how many parts it is checkpointed in. */
export interface LatencyLayout { window: number; baselineMinutes: number; parts: number }

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

export const freshLaneLog = (l: LatencyLayout): LaneLog => ({ saved: new Array<number | null>(l.parts).fill(null), excluded: [] });

export const initialState = (topo: Topology, l: LatencyLayout): EngineState =>
  ({ fingerprint: topo.fingerprint, minute: null, ...freshHistories(topo, l), open: new Map(), laneLog: freshLaneLog(l) });

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
  latency?: SerializedLatency;
}

/**
 * The latency lane in the main checkpoint: its raw-condition histories and the parts' log always; its cell arrays
 * either inline (an in-memory hand-over, and checkpoints from before parts) or apart, in lane-checkpoint.ts parts.
 */
export interface SerializedLatency extends Partial<PackedLane> {
  window: number;
  baselineMinutes: number;
  raw: Record<string, string>;
  /** absent in checkpoints from before parts */
  parts?: number;
  saved?: (number | null)[];
  excluded?: Array<[number, number[]]>;
  /** this minute's cell latencies (inline form only: a step overwrites them before reading) */
  latency?: string;
}

const packRaw = (r: Record<FaultType, Uint16Array>): Record<string, string> => Object.fromEntries(FAULT_TYPES.map((t) => [t, pack(r[t])]));
const unpackRaw = (s: Record<string, string> | undefined, into: Record<FaultType, Uint16Array>): boolean =>
  !!s && FAULT_TYPES.every((t) => unpackInto(s[t], into[t]));

/**
 * `l` null: loss only (latency faults off), the latency lane is left out. `inline`: the lane's cell arrays go in too
 * (everything in one value); otherwise they are checkpointed apart, in parts.
 */
export function serializeState(s: EngineState, l: LatencyLayout | null, inline = true): SerializedState {
  const pairs: number[] = [];
  for (const [k, b] of s.pairBad) pairs.push(k, b);
  return {
    v: 1, fingerprint: s.fingerprint, minute: s.minute, cellBad: pack(s.cellBad), cellSeen: pack(s.cellSeen), pairBad: pairs,
    raw: packRaw(s.raw), open: [...s.open.values()],
    ...(l && { latency: {
      window: l.window, baselineMinutes: l.baselineMinutes, raw: packRaw(s.rawLatency),
      parts: l.parts, saved: [...s.laneLog.saved], excluded: s.laneLog.excluded.map(([m, hosts]) => [m, [...hosts]]),
      ...(inline && { ...packLane(s, l.window, 0, s.cellSlow.length), latency: pack(s.latency) }),
    } }),
  };
}

export interface Restored {
  state: EngineState;
  historiesKept: boolean;
  /** false: the latency lane starts afresh and must be rebuilt from the series store */
  baselineKept: boolean;
  /** the lane parts are as of different minutes: the minutes after this one, up to the checkpoint's, must be replayed */
  replayAfter: number | null;
}

/**
 * Restores a checkpoint. Under a changed inventory the minute and the open episodes carry over (they are keyed by
 * name) but the short histories start afresh: smoothing needs a few minutes to fill again. `baselineKept` is false
 * when the latency lane could not be restored (another inventory, another window or part count, a missing part,
 * or a checkpoint from before latency faults): the live analyzer then rebuilds it from the series store.
 * `part(k)`: the lane's part k as stored apart (for a checkpoint without the lane inline).
 */
export function restoreState(topo: Topology, json: unknown, l: LatencyLayout, part: (k: number) => unknown = () => undefined): Restored {
  const s = json as SerializedState;
  if (!s || s.v !== 1 || !Array.isArray(s.open)) throw new Error(`not an engine checkpoint (expected v 1, got ${JSON.stringify((s as { v?: unknown })?.v)})`);
  const open = new Map(s.open.map((t) => [t.episode.id, t]));
  const fresh = freshHistories(topo, l);
  const state: EngineState = { fingerprint: topo.fingerprint, minute: s.minute, ...fresh, open, laneLog: freshLaneLog(l) };
  if (s.fingerprint !== topo.fingerprint) return { state, historiesKept: false, baselineKept: false, replayAfter: null };
  const historiesKept = unpackInto(s.cellBad, fresh.cellBad) && unpackInto(s.cellSeen, fresh.cellSeen) && unpackRaw(s.raw, fresh.raw);
  if (!historiesKept) return { state: { ...state, ...freshHistories(topo, l) }, historiesKept, baselineKept: false, replayAfter: null };
  for (let i = 0; i + 1 < s.pairBad.length; i += 2) fresh.pairBad.set(s.pairBad[i]!, s.pairBad[i + 1]!);
  const lat = s.latency;
  const log: LaneLog | null = lat?.parts === l.parts && Array.isArray(lat.saved) && lat.saved.length === l.parts
    && lat.saved.every((m) => m === null || (typeof m === 'number' && s.minute !== null && m <= s.minute)) && Array.isArray(lat.excluded)
    ? { saved: [...lat.saved], excluded: lat.excluded.map(([m, hosts]) => [m, [...hosts]]) } : null;
  let baselineKept = !!lat && lat.window === l.window && lat.baselineMinutes === l.baselineMinutes && unpackRaw(lat.raw, fresh.rawLatency);
  let replayAfter: number | null = null;
  if (baselineKept && lat!.baselines) {
    // inline: every cell as of the checkpoint's minute
    baselineKept = unpackLane(lat, state, l.window, 0, fresh.cellSlow.length) && (lat!.latency === undefined || unpackInto(lat!.latency, fresh.latency));
    if (log) state.laneLog = log;
  } else if (baselineKept) {
    // apart: each part as of its own minute, the minutes since to be replayed
    const oldest = log && oldestSave(log);
    baselineKept = oldest !== null && oldest !== undefined && log!.saved.every((m, k) => restoreLanePart(topo, part(k), state, l, k, m!));
    if (baselineKept) {
      state.laneLog = log!;
      if (oldest! < s.minute!) replayAfter = oldest!;
    }
  }
  if (!baselineKept) {
    const again = freshHistories(topo, l);
    Object.assign(state, { cellSlow: again.cellSlow, rawLatency: again.rawLatency, latency: again.latency, pending: again.pending, baselines: again.baselines, laneLog: freshLaneLog(l) });
  }
  return { state, historiesKept, baselineKept, replayAfter };
}
