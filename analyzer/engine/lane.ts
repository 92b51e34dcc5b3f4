// A signal's lane through the rules: loss ("lossy" cells) and latency ("slow" cells) run the same VIP, DC, ISP and
// region rules over their own per-cell flag histories, raw-condition histories and counts, and their faults have
// their own ids (loss keeps the contract's `type:key`, latency adds `:latency`).
import type { Signal } from '../../core/episode.js';
import type { FaultType } from '../../core/model.js';
import { moreThan, POPCOUNT16 } from './bits.js';
import type { Topology } from './topology.js';

export const faultId = (type: FaultType, key: string, signal: Signal): string => (signal === 'loss' ? `${type}:${key}` : `${type}:${key}:${signal}`);

/** What a cell pass hands to the fault rules of one signal (all per minute, overwritten each step). */
export class CellCounts {
  /** per VIP: bit i = the VIP fault condition holds for isp i (smoothed) */
  readonly vipC: Uint32Array;
  /** per VIP: the same on this minute's data alone */
  readonly vipR: Uint32Array;
  /** per VIP: bit i = some province of isp i reported it within the window */
  readonly vipProbed: Uint32Array;
  /** per group: VIPs reported within the window, flagged (smoothed), flagged this minute */
  readonly groupProbed: Int32Array;
  readonly groupFlagged: Int32Array;
  readonly groupRaw: Int32Array;
  // per isp, for the VIP being counted
  private readonly probing: Int32Array;
  private readonly flagged: Int32Array;
  private readonly raw: Int32Array;

  constructor(topo: Topology, private readonly need: number, private readonly share: number) {
    const nv = topo.vips.length;
    const ng = topo.groups.length;
    const ni = topo.isps.length;
    this.vipC = new Uint32Array(nv);
    this.vipR = new Uint32Array(nv);
    this.vipProbed = new Uint32Array(nv);
    this.groupProbed = new Int32Array(ng);
    this.groupFlagged = new Int32Array(ng);
    this.groupRaw = new Int32Array(ng);
    this.probing = new Int32Array(ni);
    this.flagged = new Int32Array(ni);
    this.raw = new Int32Array(ni);
  }

  clear(): void {
    this.groupProbed.fill(0);
    this.groupFlagged.fill(0);
    this.groupRaw.fill(0);
  }

  beginVip(): void {
    this.probing.fill(0);
    this.flagged.fill(0);
    this.raw.fill(0);
  }

  /** Counts one cell of the current VIP: `flags` is its (masked) history, bit 0 this minute. */
  cell(gi: number, isp: number, flags: number): void {
    this.probing[isp] = this.probing[isp]! + 1;
    this.groupProbed[gi] = this.groupProbed[gi]! + 1;
    if (POPCOUNT16[flags]! >= this.need) { this.flagged[isp] = this.flagged[isp]! + 1; this.groupFlagged[gi] = this.groupFlagged[gi]! + 1; }
    if (flags & 1) { this.raw[isp] = this.raw[isp]! + 1; this.groupRaw[gi] = this.groupRaw[gi]! + 1; }
  }

  /** VIP rule masks: isps in which more than `share` of the probing provinces are flagged. */
  endVip(v: number): void {
    let cm = 0;
    let rm = 0;
    let pm = 0;
    for (let i = 0; i < this.probing.length; i++) {
      const n = this.probing[i]!;
      if (n === 0) continue;
      pm |= 1 << i;
      if (moreThan(this.flagged[i]!, this.share, n)) cm |= 1 << i;
      if (moreThan(this.raw[i]!, this.share, n)) rm |= 1 << i;
    }
    this.vipC[v] = cm >>> 0;
    this.vipR[v] = rm >>> 0;
    this.vipProbed[v] = pm >>> 0;
  }
}

export interface Lane {
  signal: Signal;
  /** per (vip, group) cell: bit k = the cell was lossy (loss) or slow (latency) k minutes ago */
  flags: Uint16Array;
  /** per fault type and key index: bit k = the raw (unsmoothed) condition held k minutes ago */
  raw: Record<FaultType, Uint16Array>;
  counts: CellCounts;
}
