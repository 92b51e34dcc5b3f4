// Rule 6, ISP faults: a third of the isp's provinces are bad, or a third of the VIPs it probes, over at least two
// DCs, are under VIP faults for it that no DC fault explains.
import type { Rules } from '../../core/config.js';
import { atLeast } from './bits.js';
import type { EpisodeBook } from './episodes.js';
import type { Lane } from './lane.js';
import type { ProvinceStatus } from './provinces.js';
import type { Topology } from './topology.js';

/** Counts VIPs under a VIP fault for isp i (per `masks`) outside open DC faults, and the DCs they span. */
function unexplained(topo: Topology, masks: Uint32Array, i: number, dcOpen: Uint8Array): { vips: number; dcs: number } {
  let vips = 0;
  const dcs = new Set<number>();
  for (let v = 0; v < masks.length; v++) {
    if (!((masks[v]! >>> i) & 1)) continue;
    const d = topo.vipDc[v]!;
    if (dcOpen[d]) continue;
    vips++;
    dcs.add(d);
  }
  return { vips, dcs: dcs.size };
}

export function ispRule(topo: Topology, rules: Rules, lane: Lane, p: ProvinceStatus, dcOpen: Uint8Array, book: EpisodeBook): void {
  const c = lane.counts;
  const history = lane.raw.isp;
  for (let i = 0; i < topo.isps.length; i++) {
    let provinces = 0;
    let bad = 0;
    let badRaw = 0;
    const badNames: string[] = [];
    for (let g = 0; g < topo.groups.length; g++) {
      if (topo.groupIsp[g] !== i || !p.reporting[g]) continue;
      provinces++;
      if (p.bad[g]) { bad++; badNames.push(topo.groups[g]!.province); }
      if (p.badRaw[g]) badRaw++;
    }
    let probed = 0;
    for (let v = 0; v < c.vipProbed.length; v++) if ((c.vipProbed[v]! >>> i) & 1) probed++;
    const byVips = (u: { vips: number; dcs: number }) => u.dcs >= rules.ispMinDcs && atLeast(u.vips, rules.ispVipShare, probed);
    const held = atLeast(bad, rules.ispProvinceShare, provinces) || byVips(unexplained(topo, c.vipC, i, dcOpen));
    const raw = atLeast(badRaw, rules.ispProvinceShare, provinces) || byVips(unexplained(topo, c.vipR, i, dcOpen));
    if (raw) history[i] = history[i]! | 1;
    if (!held && !raw) continue;
    const isp = topo.isps[i]!;
    // VIPs, businesses and DCs come from the child VIP faults (correlation).
    book.observe(lane, 'isp', isp, i, held, raw, { isps: [isp], provinces: badNames.sort(), dcs: [], vips: [], businesses: [] });
  }
}
