// How lossy a loss fault is, per isp, for its messages: `ct: loss 100% in 19 of 31 provinces`.
// Over the fault's VIPs (as latencyFigures picks them) and the isp's provinces (a region fault: its own): a province
// is lossy when at least half of its cells for those VIPs are lossy (smoothed); the loss is the median over the lossy
// provinces of their cells' loss this minute (each cell: the median over its hosts, as the rules judge it).
import type { Rules } from '../../core/config.js';
import type { FaultEpisode, IspLoss } from '../../core/model.js';
import { POPCOUNT16, windowMask } from './bits.js';
import type { Gathered } from './cells.js';
import { faultVips, smallMedian as median } from './figures.js';
import type { EngineState } from './state.js';
import type { Topology } from './topology.js';


/** The cell's loss this minute over the hosts the rules count (not excluded); NaN without records. */
function cellLoss(g: Gathered, excluded: Uint8Array, c: number): number {
  const t = g.slot[c]!;
  if (t === 0) return NaN;
  const xs: number[] = [];
  for (let e = g.start[t - 1]!, end = e + g.len[t - 1]!; e < end; e++) if (!excluded[g.entHost[e]!]) xs.push(g.entLoss[e]!);
  return median(xs);
}

export function lossFigures(topo: Topology, rules: Rules, state: EngineState, g: Gathered, excluded: Uint8Array, e: FaultEpisode): IspLoss[] {
  const ng = topo.groups.length;
  const mask = windowMask(rules.smoothWindow);
  const vips = faultVips(topo, e);
  const out: IspLoss[] = [];
  for (const isp of e.isps) {
    const i = topo.ispIndex.get(isp);
    if (i === undefined) continue;
    let provinces = 0;
    const losses: number[] = [];
    for (let gi = 0; gi < ng; gi++) {
      if (topo.groupIsp[gi] !== i || (e.type === 'region' && topo.groups[gi]!.key !== e.key)) continue;
      let seen = 0, lossy = 0;
      const now: number[] = [];
      for (const v of vips) {
        const c = v * ng + gi;
        if ((state.cellSeen[c]! & mask) === 0) continue;
        seen++;
        if (POPCOUNT16[state.cellBad[c]! & mask]! < rules.smoothNeed) continue;
        lossy++;
        const l = cellLoss(g, excluded, c);
        if (l === l) now.push(l);
      }
      if (seen === 0) continue;
      provinces++;
      if (lossy === 0 || lossy * 2 < seen) continue;
      // a lossy province without records this minute (all lost reports) counts as lossy with unknown loss
      losses.push(now.length ? median(now) : NaN);
    }
    if (losses.length === 0) continue;
    const known = losses.filter((x) => x === x);
    out.push({ isp, lossPct: known.length ? median(known) : null, lossyProvinces: losses.length, provinces });
  }
  return out;
}
