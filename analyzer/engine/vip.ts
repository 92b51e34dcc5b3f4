// Rule 4, VIP faults: lossy (or slow) in more than half of the provinces of an isp that probe the VIP.
import type { Rules } from '../../core/config.js';
import { flaggedProvinces } from './cells.js';
import type { EpisodeBook } from './episodes.js';
import type { Lane } from './lane.js';
import type { Topology } from './topology.js';

/** Names of the isps whose bits are set. */
export const ispNames = (topo: Topology, mask: number): string[] => topo.isps.filter((_, i) => (mask >>> i) & 1);

export function vipRule(topo: Topology, rules: Rules, lane: Lane, book: EpisodeBook): void {
  const c = lane.counts;
  const history = lane.raw.vip;
  for (let v = 0; v < topo.vips.length; v++) {
    const held = c.vipC[v]! !== 0;
    const raw = c.vipR[v]! !== 0;
    if (raw) history[v] = history[v]! | 1;
    if (!held && !raw) continue;
    const vip = topo.vips[v]!;
    book.observe(lane, 'vip', vip.ip, v, held, raw, held ? {
      isps: ispNames(topo, c.vipC[v]!), provinces: flaggedProvinces(topo, rules, lane.flags, v, c.vipC[v]!),
      dcs: [vip.dc], vips: [vip.ip], businesses: [vip.business],
    } : undefined);
  }
}
