// Rule 7, region faults: a province bad for an isp while no ISP fault for that isp holds (a source-side problem).
// The ISP condition only gates the opening: an open region fault stays while its province is bad, and takes the
// ISP fault as parent if one opens (correlation).
import type { EpisodeBook } from './episodes.js';
import type { ProvinceStatus } from './provinces.js';
import type { Topology } from './topology.js';

export function regionRule(topo: Topology, p: ProvinceStatus, book: EpisodeBook): void {
  const history = book.state.raw.region;
  const ispOpen = topo.isps.map((i) => book.isOpen(`isp:${i}`));
  for (let g = 0; g < topo.groups.length; g++) {
    const raw = p.badRaw[g] === 1;
    if (raw) history[g] = history[g]! | 1;
    const group = topo.groups[g]!;
    const id = `region:${group.key}`;
    const open = book.isOpen(id);
    const held = p.bad[g] === 1 && (open || !ispOpen[topo.groupIsp[g]!]);
    if (!held && !raw) continue;
    book.observe('region', group.key, g, held, raw, { isps: [group.isp], provinces: [group.province], dcs: topo.groupDcs[g]!, vips: [], businesses: [] });
  }
}
