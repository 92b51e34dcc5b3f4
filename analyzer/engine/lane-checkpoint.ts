// The latency lane's checkpoint in parts. The lane (per cell: slow history, the smoothing window's latencies, the
// baseline summary) is ~480 MB of typed arrays at 10,000 VIPs x 93 groups: packing all of it every minute cost
// seconds and ~25 MB of writes a minute. It is split by VIP range into `parts`; the live analyzer writes one part a
// minute in turn (all of them on a first save and on a clean shutdown), beside the small every-minute checkpoint.
// On restore each part is as of its own minute; every cell's lane depends only on its own records (and the hosts
// under agent faults, logged in the every-minute checkpoint), so replaying each part's missing minutes from the
// series store gives exactly the state an uninterrupted run would have.
import { Baselines } from './baseline.js';
import { pack, unpackInto } from './pack.js';
import type { EngineState, LaneLog, LatencyLayout } from './state.js';
import type { Topology } from './topology.js';

/** VIPs [from, to) of part k. */
export const partVips = (nv: number, parts: number, k: number): [number, number] =>
  [Math.floor((k * nv) / parts), Math.floor(((k + 1) * nv) / parts)];

/** The name of part k among the fault store's checkpoint parts. */
export const partName = (k: number): string => `latency.${k}`;

/** The lane's arrays for cells [c0, c1). The baselines' merged histogram and median bucket are derived on restore. */
export interface PackedLane {
  cellSlow: string;
  pending: string;
  baselines: Record<'slots' | 'mergedBase' | 'total' | 'last', string>;
  /** the slots slot-major (Baselines.slotsOf); absent: cell-major, as checkpoints before it */
  slotMajor?: true;
}

/**
 * The pending latencies of cells [c0, c1) cell by cell (window values each, by minute ring position): the checkpoint's
 * form, as the state held them before it turned minute-major (state.ts), so checkpoints of either layout read alike.
 */
function pendingOf(s: EngineState, window: number, c0: number, c1: number): Float32Array {
  const cells = s.cellSlow.length;
  const out = new Float32Array((c1 - c0) * window);
  for (let r = 0; r < window; r++) {
    const row = s.pending.subarray(r * cells, (r + 1) * cells);
    for (let c = c0, o = r; c < c1; c++, o += window) out[o] = row[c]!;
  }
  return out;
}

/** The inverse of pendingOf. */
function setPending(s: EngineState, window: number, c0: number, c1: number, from: Float32Array): void {
  const cells = s.cellSlow.length;
  for (let r = 0; r < window; r++) {
    const row = s.pending.subarray(r * cells, (r + 1) * cells);
    for (let c = c0, o = r; c < c1; c++, o += window) row[c] = from[o]!;
  }
}

export function packLane(s: EngineState, window: number, c0: number, c1: number): PackedLane {
  const b = s.baselines;
  return {
    cellSlow: pack(s.cellSlow.subarray(c0, c1)),
    pending: pack(pendingOf(s, window, c0, c1)),
    baselines: {
      slots: pack(b.slotsOf(c0, c1)), mergedBase: pack(b.mergedBase.subarray(c0, c1)),
      total: pack(b.total.subarray(c0, c1)), last: pack(b.last.subarray(c0, c1)),
    },
    slotMajor: true,
  };
}

/** Fills cells [c0, c1) of the lane; false when anything is missing or of another size (the cells are then dirty). */
export function unpackLane(p: Partial<PackedLane> | undefined, s: EngineState, window: number, c0: number, c1: number): boolean {
  const b = s.baselines;
  const pb = p?.baselines;
  const slots = new Uint8Array(Baselines.slotBytes(b.minutes, c1 - c0));
  const pending = new Float32Array((c1 - c0) * window);
  const ok = !!pb && unpackInto(p.cellSlow, s.cellSlow.subarray(c0, c1)) && unpackInto(p.pending, pending)
    && unpackInto(pb.slots, slots) && unpackInto(pb.mergedBase, b.mergedBase.subarray(c0, c1))
    && unpackInto(pb.total, b.total.subarray(c0, c1)) && unpackInto(pb.last, b.last.subarray(c0, c1));
  if (!ok) return false;
  setPending(s, window, c0, c1, pending);
  b.setSlots(c0, c1, slots, p.slotMajor === true);
  b.derive(c0, c1);
  return true;
}

export interface SerializedLanePart extends PackedLane {
  v: 1;
  fingerprint: string;
  /** the minute (ms) the part is as of */
  minute: number;
  part: number;
  parts: number;
  window: number;
  baselineMinutes: number;
  vips: [number, number];
}

export function serializeLanePart(topo: Topology, s: EngineState, l: LatencyLayout, k: number): SerializedLanePart {
  const ng = topo.groups.length;
  const vips = partVips(topo.vips.length, l.parts, k);
  return {
    v: 1, fingerprint: topo.fingerprint, minute: s.minute!, part: k, parts: l.parts, window: l.window, baselineMinutes: l.baselineMinutes, vips,
    ...packLane(s, l.window, vips[0] * ng, vips[1] * ng),
  };
}

/** Restores part k, which the every-minute checkpoint says was saved at `minute`; false when it does not fit. */
export function restoreLanePart(topo: Topology, json: unknown, s: EngineState, l: LatencyLayout, k: number, minute: number): boolean {
  const p = json as Partial<SerializedLanePart> | undefined;
  const ng = topo.groups.length;
  const vips = partVips(topo.vips.length, l.parts, k);
  return !!p && p.v === 1 && p.fingerprint === topo.fingerprint && p.minute === minute && p.part === k && p.parts === l.parts
    && p.window === l.window && p.baselineMinutes === l.baselineMinutes && p.vips?.[0] === vips[0] && p.vips[1] === vips[1]
    && unpackLane(p, s, l.window, vips[0] * ng, vips[1] * ng);
}

/** The oldest part's save minute, or null while some part was never saved (a restart then rebuilds the whole lane). */
export function oldestSave(log: LaneLog): number | null {
  let oldest = Infinity;
  for (const m of log.saved) {
    if (m === null) return null;
    if (m < oldest) oldest = m;
  }
  return log.saved.length ? oldest : null;
}

/** Notes the hosts left out in `minute` (for a replay after a restart), and forgets what no part needs any more. */
export function logExcluded(log: LaneLog, minute: number, excluded: Uint8Array): void {
  const oldest = oldestSave(log);
  if (oldest === null) { log.excluded.length = 0; return; }
  if (log.excluded.length && log.excluded[0]![0] <= oldest) log.excluded = log.excluded.filter(([m]) => m > oldest);
  let hosts: number[] | null = null;
  for (let h = 0; h < excluded.length; h++) if (excluded[h]) (hosts ??= []).push(h);
  if (hosts) log.excluded.push([minute, hosts]);
}

/** VIP ranges of the parts saved before `minute` (those a replay of that minute must feed), adjacent ones merged. */
export function behindAt(topo: Topology, log: LaneLog, minute: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  log.saved.forEach((m, k) => {
    if (m === null || m >= minute) return;
    const [a, b] = partVips(topo.vips.length, log.saved.length, k);
    const last = out.at(-1);
    if (last && last[1] === a) last[1] = b;
    else out.push([a, b]);
  });
  return out;
}
