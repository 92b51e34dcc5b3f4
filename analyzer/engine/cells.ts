// The per-(VIP, group) stage: gathers a minute's records into cells, takes the median loss over each cell's hosts,
// keeps the smoothing histories, and counts what the VIP, DC, ISP and region rules need (loss lane; latency.ts is
// the latency lane's pass over the same cells).
import type { Rules } from '../../core/config.js';
import { POPCOUNT16, windowMask } from './bits.js';
import type { MinuteBatch } from './batch.js';
import type { CellCounts } from './lane.js';
import type { EngineState } from './state.js';
import type { Topology } from './topology.js';

/** A minute's records grouped by cell (vip * groups + group), one entry per host (its worst method for loss; for latency, its latency method: batch.ts latencyRank). */
export class Gathered {
  /** cells that got records, in cell order */
  count = 0;
  cell: Int32Array;
  vip: Int32Array;
  start: Int32Array;
  len: Int32Array;
  entHost: Int32Array;
  entLoss: Float32Array;
  /** the rttAvg (ms) of the host's latency method (the highest latencyRank it probed); NaN when that got no reply */
  entRtt: Float32Array;
  entRank: Uint8Array;
  /** cell -> index in the lists above + 1; 0 for a cell without records */
  readonly slot: Int32Array;
  private readonly head: Int32Array;
  private next: Int32Array;

  constructor(private readonly topo: Topology) {
    const cells = topo.vips.length * topo.groups.length;
    this.slot = new Int32Array(cells);
    this.head = new Int32Array(cells).fill(-1);
    this.cell = this.vip = this.start = this.len = this.entHost = this.next = new Int32Array(0);
    this.entLoss = this.entRtt = new Float32Array(0);
    this.entRank = new Uint8Array(0);
  }

  private ensure(n: number): void {
    if (this.next.length >= n) return;
    const cap = Math.max(n, this.next.length * 2, 1024);
    this.next = new Int32Array(cap);
    this.cell = new Int32Array(cap);
    this.vip = new Int32Array(cap);
    this.start = new Int32Array(cap);
    this.len = new Int32Array(cap);
    this.entHost = new Int32Array(cap);
    this.entLoss = new Float32Array(cap);
    this.entRtt = new Float32Array(cap);
    this.entRank = new Uint8Array(cap);
  }

  /**
   * Groups the batch by cell with a linked list per cell (records may come in any order), then lays the cells out in
   * cell order: the passes go cell by cell, so they read these lists front to back instead of jumping (records come
   * grouped by host or group, a stride of a whole VIP list in cell order).
   */
  load(batch: MinuteBatch): void {
    this.clear();
    const n = batch.length;
    this.ensure(n);
    const { hostGroup } = this.topo;
    const ng = this.topo.groups.length;
    const { head, next, slot, cell, vip } = this;
    let lo = head.length;
    let hi = -1;
    for (let r = 0; r < n; r++) {
      const c = batch.vip[r]! * ng + hostGroup[batch.host[r]!]!;
      next[r] = head[c]!;
      head[c] = r;
      if (c < lo) lo = c;
      if (c > hi) hi = c;
    }
    // One entry per host per cell: several methods (or a repeated line) of one host count once, with the worst loss.
    let e = 0;
    let touched = 0;
    for (let c = lo; c <= hi; c++) {
      if (head[c]! < 0) continue;
      cell[touched] = c;
      vip[touched] = (c / ng) | 0;
      const s = e;
      for (let r = head[c]!; r >= 0; r = next[r]!) {
        const h = batch.host[r]!;
        const l = batch.loss[r]!;
        const rtt = batch.rtt[r]!;
        const rank = batch.rank[r]!;
        let k = s;
        while (k < e && this.entHost[k] !== h) k++;
        if (k < e) {
          if (l > this.entLoss[k]!) this.entLoss[k] = l;
          const had = this.entRank[k]!;
          // a record of a slower kind takes over (replies or not); one of the same kind (a repeated line) counts if slower
          if (rank > had || (rank === had && (rtt > this.entRtt[k]! || (rtt === rtt && this.entRtt[k] !== this.entRtt[k])))) {
            this.entRtt[k] = rtt;
            this.entRank[k] = rank;
          }
        } else { this.entHost[e] = h; this.entLoss[e] = l; this.entRtt[e] = rtt; this.entRank[e] = rank; e++; }
      }
      this.start[touched] = s;
      this.len[touched] = e - s;
      head[c] = -1;
      slot[c] = ++touched;
    }
    this.count = touched;
  }

  private clear(): void {
    for (let t = 0; t < this.count; t++) this.slot[this.cell[t]!] = 0;
    this.count = 0;
  }
}

export const medianOf = (xs: Float64Array, n: number): number => {
  const a = xs.subarray(0, n).sort();
  return n % 2 ? a[n >> 1]! : (a[n / 2 - 1]! + a[n / 2]!) / 2;
};

/**
 * Shifts every cell's history by one minute, adds this minute's province loss (median over the group's hosts that
 * probed the VIP, leaving out `excluded` hosts), and counts lossy provinces per VIP and isp and lossy VIPs per group.
 */
export function cellPass(topo: Topology, rules: Rules, state: EngineState, g: Gathered, excluded: Uint8Array, out: CellCounts): void {
  const nv = topo.vips.length;
  const ng = topo.groups.length;
  const mask = windowMask(rules.smoothWindow);
  const limit = rules.lossPct;
  const { cellBad, cellSeen } = state;
  const { groupIsp } = topo;
  const xs = new Float64Array(64);
  out.clear();

  let c = 0;
  for (let v = 0; v < nv; v++) {
    out.beginVip();
    for (let gi = 0; gi < ng; gi++, c++) {
      let bad = (cellBad[c]! << 1) & mask;
      let seen = (cellSeen[c]! << 1) & mask;
      const t = g.slot[c]!;
      if (t !== 0) {
        const s = g.start[t - 1]!;
        const n = g.len[t - 1]!;
        let k = 0;
        let median = 0;
        if (n === 1) {
          if (!excluded[g.entHost[s]!]) { k = 1; median = g.entLoss[s]!; }
        } else {
          const buf = n <= xs.length ? xs : new Float64Array(n);
          for (let e = s; e < s + n; e++) if (!excluded[g.entHost[e]!]) buf[k++] = g.entLoss[e]!;
          if (k > 0) median = medianOf(buf, k);
        }
        if (k > 0) {
          seen |= 1;
          if (median > limit) bad |= 1;
        }
      }
      cellBad[c] = bad;
      cellSeen[c] = seen;
      if (seen !== 0) out.cell(gi, groupIsp[gi]!, bad);
    }
    out.endVip(v);
  }
}

/** The provinces of the given isps (bit mask) in which the VIP is lossy (or slow: `flags`) now: a VIP fault's scope. */
export function flaggedProvinces(topo: Topology, rules: Rules, flags: Uint16Array, v: number, ispMask: number): string[] {
  const ng = topo.groups.length;
  const mask = windowMask(rules.smoothWindow);
  const out: string[] = [];
  for (let gi = 0; gi < ng; gi++) {
    if (!((ispMask >>> topo.groupIsp[gi]!) & 1)) continue;
    if (POPCOUNT16[flags[v * ng + gi]! & mask]! >= rules.smoothNeed) out.push(topo.groups[gi]!.province);
  }
  return out;
}
