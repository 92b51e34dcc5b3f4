// The per-(VIP, group) stage: gathers a minute's records into cells, takes the median loss over each cell's hosts,
// keeps the smoothing histories, and counts what the VIP, DC, ISP and region rules need.
import type { Rules } from '../../core/config.js';
import { moreThan, POPCOUNT16, windowMask } from './bits.js';
import type { MinuteBatch } from './batch.js';
import type { EngineState } from './state.js';
import type { Topology } from './topology.js';

/** A minute's records grouped by cell (vip * groups + group), one entry per host (its worst method). */
export class Gathered {
  /** cells that got records, in first-seen order */
  count = 0;
  cell: Int32Array;
  vip: Int32Array;
  start: Int32Array;
  len: Int32Array;
  entHost: Int32Array;
  entLoss: Float32Array;
  /** cell -> index in the lists above + 1; 0 for a cell without records */
  readonly slot: Int32Array;
  private readonly head: Int32Array;
  private next: Int32Array;

  constructor(private readonly topo: Topology) {
    const cells = topo.vips.length * topo.groups.length;
    this.slot = new Int32Array(cells);
    this.head = new Int32Array(cells).fill(-1);
    this.cell = this.vip = this.start = this.len = this.entHost = this.next = new Int32Array(0);
    this.entLoss = new Float32Array(0);
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
  }

  /** Groups the batch by cell with a linked list per cell (records may come in any order). */
  load(batch: MinuteBatch): void {
    this.clear();
    const n = batch.length;
    this.ensure(n);
    const { hostGroup } = this.topo;
    const ng = this.topo.groups.length;
    const { head, next, slot, cell, vip } = this;
    let touched = 0;
    for (let r = 0; r < n; r++) {
      const v = batch.vip[r]!;
      const c = v * ng + hostGroup[batch.host[r]!]!;
      const h = head[c]!;
      if (h < 0) { cell[touched] = c; vip[touched] = v; touched++; slot[c] = touched; }
      next[r] = h;
      head[c] = r;
    }
    // One entry per host per cell: several methods (or a repeated line) of one host count once, with the worst loss.
    let e = 0;
    for (let t = 0; t < touched; t++) {
      const c = cell[t]!;
      const s = e;
      for (let r = head[c]!; r >= 0; r = next[r]!) {
        const h = batch.host[r]!;
        const l = batch.loss[r]!;
        let k = s;
        while (k < e && this.entHost[k] !== h) k++;
        if (k < e) { if (l > this.entLoss[k]!) this.entLoss[k] = l; } else { this.entHost[e] = h; this.entLoss[e] = l; e++; }
      }
      this.start[t] = s;
      this.len[t] = e - s;
      head[c] = -1;
    }
    this.count = touched;
  }

  private clear(): void {
    for (let t = 0; t < this.count; t++) this.slot[this.cell[t]!] = 0;
    this.count = 0;
  }
}

/** What the cell pass hands to the fault rules (all per minute, overwritten each step). */
export class CellCounts {
  /** per VIP: bit i = the VIP fault condition holds for isp i (smoothed) */
  readonly vipC: Uint32Array;
  /** per VIP: the same on this minute's data alone */
  readonly vipR: Uint32Array;
  /** per VIP: bit i = some province of isp i reported it within the window */
  readonly vipProbed: Uint32Array;
  /** per group: VIPs reported within the window, lossy (smoothed), bad this minute */
  readonly groupProbed: Int32Array;
  readonly groupLossy: Int32Array;
  readonly groupRaw: Int32Array;

  constructor(topo: Topology) {
    const nv = topo.vips.length;
    const ng = topo.groups.length;
    this.vipC = new Uint32Array(nv);
    this.vipR = new Uint32Array(nv);
    this.vipProbed = new Uint32Array(nv);
    this.groupProbed = new Int32Array(ng);
    this.groupLossy = new Int32Array(ng);
    this.groupRaw = new Int32Array(ng);
  }
}

const medianOf = (xs: Float64Array, n: number): number => {
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
  const ni = topo.isps.length;
  const mask = windowMask(rules.smoothWindow);
  const need = rules.smoothNeed;
  const limit = rules.lossPct;
  const share = rules.vipProvinceShare;
  const { cellBad, cellSeen } = state;
  const { groupIsp } = topo;
  const probing = new Int32Array(ni);
  const lossy = new Int32Array(ni);
  const raw = new Int32Array(ni);
  const xs = new Float64Array(64);
  out.groupProbed.fill(0);
  out.groupLossy.fill(0);
  out.groupRaw.fill(0);

  let c = 0;
  for (let v = 0; v < nv; v++) {
    probing.fill(0);
    lossy.fill(0);
    raw.fill(0);
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
      if (seen !== 0) {
        const i = groupIsp[gi]!;
        probing[i] = probing[i]! + 1;
        out.groupProbed[gi] = out.groupProbed[gi]! + 1;
        if (POPCOUNT16[bad]! >= need) { lossy[i] = lossy[i]! + 1; out.groupLossy[gi] = out.groupLossy[gi]! + 1; }
        if (bad & 1) { raw[i] = raw[i]! + 1; out.groupRaw[gi] = out.groupRaw[gi]! + 1; }
      }
    }
    let cm = 0;
    let rm = 0;
    let pm = 0;
    for (let i = 0; i < ni; i++) {
      if (probing[i] === 0) continue;
      pm |= 1 << i;
      if (moreThan(lossy[i]!, share, probing[i]!)) cm |= 1 << i;
      if (moreThan(raw[i]!, share, probing[i]!)) rm |= 1 << i;
    }
    out.vipC[v] = cm >>> 0;
    out.vipR[v] = rm >>> 0;
    out.vipProbed[v] = pm >>> 0;
  }
}

/** The provinces of the given isps (bit mask) in which the VIP is lossy now: a VIP fault's scope. */
export function lossyProvinces(topo: Topology, rules: Rules, state: EngineState, v: number, ispMask: number): string[] {
  const ng = topo.groups.length;
  const mask = windowMask(rules.smoothWindow);
  const out: string[] = [];
  for (let gi = 0; gi < ng; gi++) {
    if (!((ispMask >>> topo.groupIsp[gi]!) & 1)) continue;
    if (POPCOUNT16[state.cellBad[v * ng + gi]! & mask]! >= rules.smoothNeed) out.push(topo.groups[gi]!.province);
  }
  return out;
}
