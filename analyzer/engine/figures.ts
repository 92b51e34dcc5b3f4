// How much slower a latency fault is, per isp, for its messages: `ct: 38 ms -> 92 ms (x2.4) in 19 of 31 provinces`.
// Over the fault's VIPs (a DC's or ISP's without children yet: all of its VIPs) and the isp's provinces (a region
// fault: its own): a province is slow when at least half of its cells for those VIPs are slow (smoothed); the
// figures are the medians over the slow provinces of their cells' baselines and of this minute's latencies.
import type { Rules } from '../../core/config.js';
import type { FaultEpisode, IspLatency } from '../../core/model.js';
import { POPCOUNT16, windowMask } from './bits.js';
import { medianOf } from './cells.js';
import type { EngineState } from './state.js';
import type { Topology } from './topology.js';

export function faultVips(topo: Topology, e: FaultEpisode): number[] {
  const listed = e.vips.map((ip) => topo.vipIndex.get(ip)).filter((v): v is number => v !== undefined);
  if (listed.length) return listed;
  const d = e.type === 'dc' ? topo.dcIndex.get(e.key) : undefined;
  return d !== undefined ? topo.dcVips[d]! : topo.vips.map((_, i) => i);
}

/** The median of a list (NaN when empty); one or two values, the usual case per cell, without a typed-array copy. */
export const smallMedian = (xs: number[]): number =>
  (xs.length > 2 ? medianOf(Float64Array.from(xs), xs.length) : xs.length === 2 ? (xs[0]! + xs[1]!) / 2 : xs.length ? xs[0]! : NaN);
const median = smallMedian;

export function latencyFigures(topo: Topology, rules: Rules, state: EngineState, e: FaultEpisode): IspLatency[] {
  const ng = topo.groups.length;
  const mask = windowMask(rules.smoothWindow);
  const vips = faultVips(topo, e);
  const out: IspLatency[] = [];
  for (const isp of e.isps) {
    const i = topo.ispIndex.get(isp);
    if (i === undefined) continue;
    let provinces = 0;
    const baselines: number[] = [];
    const currents: number[] = [];
    for (let g = 0; g < ng; g++) {
      if (topo.groupIsp[g] !== i || (e.type === 'region' && topo.groups[g]!.key !== e.key)) continue;
      let seen = 0;
      const base: number[] = [];
      const cur: number[] = [];
      for (const v of vips) {
        const c = v * ng + g;
        if ((state.cellSeen[c]! & mask) === 0) continue;
        seen++;
        if (POPCOUNT16[state.cellSlow[c]! & mask]! < rules.smoothNeed) continue;
        base.push(state.baselines.median(c));
        const r = state.latency[c]!;
        if (r === r) cur.push(r);
      }
      if (seen === 0) continue;
      provinces++;
      if (base.length === 0 || base.length * 2 < seen) continue;
      baselines.push(median(base));
      if (cur.length) currents.push(median(cur));
    }
    if (baselines.length === 0 || currents.length === 0) continue;
    out.push({ isp, baselineMs: median(baselines), currentMs: median(currents), slowProvinces: baselines.length, provinces });
  }
  return out;
}
