// The engine's state between minutes, and its JSON form for the live analyzer's checkpoint.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { FAULT_TYPES, type FaultEpisode, type FaultType } from '../../core/model.js';
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
  /** open episodes by fault id */
  open: Map<string, Tracker>;
}

export const keyCount = (topo: Topology, type: FaultType): number =>
  ({ agent: topo.hosts.length, vip: topo.vips.length, dc: topo.dcs.length, isp: topo.isps.length, region: topo.groups.length })[type];

function freshHistories(topo: Topology): Pick<EngineState, 'cellBad' | 'cellSeen' | 'pairBad' | 'raw'> {
  const cells = topo.vips.length * topo.groups.length;
  const raw = Object.fromEntries(FAULT_TYPES.map((t) => [t, new Uint16Array(keyCount(topo, t))])) as Record<FaultType, Uint16Array>;
  return { cellBad: new Uint16Array(cells), cellSeen: new Uint16Array(cells), pairBad: new Map(), raw };
}

export const initialState = (topo: Topology): EngineState => ({ fingerprint: topo.fingerprint, minute: null, ...freshHistories(topo), open: new Map() });

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
}

const pack = (a: Uint16Array): string => deflateRawSync(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), { level: 1 }).toString('base64');
function unpack(s: string, length: number): Uint16Array | null {
  const bytes = inflateRawSync(Buffer.from(s, 'base64'));
  if (bytes.byteLength !== length * 2) return null;
  const out = new Uint16Array(length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function serializeState(s: EngineState): SerializedState {
  const pairs: number[] = [];
  for (const [k, b] of s.pairBad) pairs.push(k, b);
  return {
    v: 1, fingerprint: s.fingerprint, minute: s.minute, cellBad: pack(s.cellBad), cellSeen: pack(s.cellSeen), pairBad: pairs,
    raw: Object.fromEntries(FAULT_TYPES.map((t) => [t, pack(s.raw[t])])), open: [...s.open.values()],
  };
}

/**
 * Restores a checkpoint. Under a changed inventory the minute and the open episodes carry over (they are keyed by
 * name) but the short histories start afresh: smoothing needs a few minutes to fill again.
 */
export function restoreState(topo: Topology, json: unknown): { state: EngineState; historiesKept: boolean } {
  const s = json as SerializedState;
  if (!s || s.v !== 1 || !Array.isArray(s.open)) throw new Error(`not an engine checkpoint (expected v 1, got ${JSON.stringify((s as { v?: unknown })?.v)})`);
  const open = new Map(s.open.map((t) => [t.episode.id, t]));
  if (s.fingerprint === topo.fingerprint) {
    const cells = topo.vips.length * topo.groups.length;
    const cellBad = unpack(s.cellBad, cells);
    const cellSeen = unpack(s.cellSeen, cells);
    const raw = {} as Record<FaultType, Uint16Array>;
    let ok = cellBad !== null && cellSeen !== null;
    for (const t of FAULT_TYPES) {
      const a = ok && typeof s.raw[t] === 'string' ? unpack(s.raw[t]!, keyCount(topo, t)) : null;
      if (!a) ok = false; else raw[t] = a;
    }
    if (ok) {
      const pairBad = new Map<number, number>();
      for (let i = 0; i + 1 < s.pairBad.length; i += 2) pairBad.set(s.pairBad[i]!, s.pairBad[i + 1]!);
      return { state: { fingerprint: topo.fingerprint, minute: s.minute, cellBad: cellBad!, cellSeen: cellSeen!, pairBad, raw, open }, historiesKept: true };
    }
  }
  return { state: { fingerprint: topo.fingerprint, minute: s.minute, ...freshHistories(topo), open }, historiesKept: false };
}
