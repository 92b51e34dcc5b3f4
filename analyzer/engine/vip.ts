// Rule 4, VIP faults: lossy in more than half of the provinces of an isp that probe the VIP.
import type { Rules } from '../../core/config.js';
import { lossyProvinces, type CellCounts } from './cells.js';
import type { EpisodeBook } from './episodes.js';
import type { Topology } from './topology.js';

/** Names of the isps whose bits are set. */
export const ispNames = (topo: Topology, mask: number): string[] => topo.isps.filter((_, i) => (mask >>> i) & 1);

export function vipRule(topo: Topology, rules: Rules, c: CellCounts, book: EpisodeBook): void {
  const history = book.state.raw.vip;
  for (let v = 0; v < topo.vips.length; v++) {
    const held = c.vipC[v]! !== 0;
    const raw = c.vipR[v]! !== 0;
    if (raw) history[v] = history[v]! | 1;
    if (!held && !raw) continue;
    const vip = topo.vips[v]!;
    book.observe('vip', vip.ip, v, held, raw, held ? {
      isps: ispNames(topo, c.vipC[v]!), provinces: lossyProvinces(topo, rules, book.state, v, c.vipC[v]!),
      dcs: [vip.dc], vips: [vip.ip], businesses: [vip.business],
    } : undefined);
  }
}
