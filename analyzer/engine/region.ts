// Rule 7, region faults: a province bad for an isp while no ISP fault for that isp holds (a source-side problem).
// The ISP condition only gates the opening: an open region fault stays while its province is bad, and takes the
// ISP fault as parent if one opens (correlation).
import type { EpisodeBook } from './episodes.js';
import { faultId, type Lane } from './lane.js';
import type { ProvinceStatus } from './provinces.js';
import type { Topology } from './topology.js';

export function regionRule(topo: Topology, p: ProvinceStatus, lane: Lane, book: EpisodeBook): void {
  const history = lane.raw.region;
  const ispOpen = topo.isps.map((i) => book.isOpen(faultId('isp', i, lane.signal)));
  for (let g = 0; g < topo.groups.length; g++) {
    const raw = p.badRaw[g] === 1;
    if (raw) history[g] = history[g]! | 1;
    const group = topo.groups[g]!;
    const id = faultId('region', group.key, lane.signal);
    const open = book.isOpen(id);
    const held = p.bad[g] === 1 && (open || !ispOpen[topo.groupIsp[g]!]);
    if (!held && !raw) continue;
    book.observe(lane, 'region', group.key, g, held, raw, { isps: [group.isp], provinces: [group.province], dcs: topo.groupDcs[g]!, vips: [], businesses: [] });
  }
}
