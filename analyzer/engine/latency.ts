// The latency lane's cell pass: cell latency R (median rttAvg over the group's hosts that got replies, hosts under
// an agent fault left out), the cell's baseline (baseline.ts: fed with the minute leaving the smoothing window,
// unless the cell was slow then), the slow flag R > max(B x latencyRatio, B + latencyMinDeltaMs) (never in a minute
// the cell is lossy, never without baselineMinSamples minutes of history), and the counts the rules need.
// Runs after cellPass, which has already shifted and set this minute's seen and lossy bits.
import type { Rules } from '../../core/config.js';
import { windowMask } from './bits.js';
import { medianOf, type Gathered } from './cells.js';
import type { CellCounts } from './lane.js';
import type { EngineState } from './state.js';
import type { Topology } from './topology.js';

/**
 * `vips`: only these VIP ranges [from, to) (a restart replaying the checkpoint parts that are behind); their counts
 * are then not needed and `out` is left as it was.
 */
export function latencyPass(topo: Topology, rules: Rules, state: EngineState, g: Gathered, excluded: Uint8Array, minuteIndex: number, out: CellCounts | null,
  vips: ReadonlyArray<readonly [number, number]> = [[0, topo.vips.length]]): void {
  const ng = topo.groups.length;
  const w = rules.smoothWindow;
  const mask = windowMask(w);
  const ring = minuteIndex % w;
  const oldestBit = w - 1;
  const { cellSlow, cellBad, cellSeen, pending, latency, baselines } = state;
  const { groupIsp } = topo;
  const { latencyRatio: ratio, latencyMinDeltaMs: delta, baselineMinSamples: need } = rules;
  const leaving = minuteIndex - w;
  // pending is minute-major (state.ts): this minute's row, read and rewritten front to back
  const row = pending.subarray(ring * topo.vips.length * ng, (ring + 1) * topo.vips.length * ng);
  const xs = new Float64Array(64);
  out?.clear();

  const L = baselines.slotLen;
  const { rest, first, second } = baselines.slotsAt(leaving);
  for (const [from, to] of vips) {
    baselines.rotate(leaving, from * ng, to * ng);
    let c = from * ng;
    let cl = c % L; // c % L, kept up as c moves
    for (let v = from; v < to; v++) {
      out?.beginVip();
      for (let gi = 0; gi < ng; gi++, c++) {
        let slow = cellSlow[c]!;
        // the minute leaving the smoothing window enters the baseline, unless the cell was slow in it
        const old = row[c]!;
        if (old === old && !((slow >>> oldestBit) & 1)) baselines.addInSlot(c, old, rest + cl < L ? first : second);
        if (++cl === L) cl = 0;
        slow = (slow << 1) & mask;
        let r = NaN;
        const t = g.slot[c]!;
        if (t !== 0) {
          const s = g.start[t - 1]!;
          const n = g.len[t - 1]!;
          if (n === 1) {
            if (!excluded[g.entHost[s]!]) r = g.entRtt[s]!;
          } else {
            const buf = n <= xs.length ? xs : new Float64Array(n);
            let k = 0;
            for (let e = s; e < s + n; e++) {
              const x = g.entRtt[e]!;
              if (x === x && !excluded[g.entHost[e]!]) buf[k++] = x;
            }
            if (k > 0) r = medianOf(buf, k);
          }
        }
        row[c] = r;
        latency[c] = r;
        if (r === r && !(cellBad[c]! & 1) && baselines.total[c]! >= need) {
          const b = baselines.median(c);
          if (r > Math.max(b * ratio, b + delta)) slow |= 1;
        }
        cellSlow[c] = slow;
        if (out && cellSeen[c] !== 0) out.cell(gi, groupIsp[gi]!, slow);
      }
      out?.endVip(v);
    }
  }
}
