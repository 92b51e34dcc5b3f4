// Rule 5, DC faults: at least 2 isps each see at least 1/3 of the DC's VIPs under a VIP fault for that isp.
import type { Rules } from '../../core/config.js';
import { atLeast } from './bits.js';
import type { EpisodeBook } from './episodes.js';
import { faultId, type Lane } from './lane.js';
import type { Topology } from './topology.js';
import { ispNames } from './vip.js';

/** Bit mask of the isps that see at least dcVipShare of the DC's VIPs faulted, per the given per-VIP masks. */
function seeingIsps(topo: Topology, rules: Rules, vipMasks: Uint32Array, vips: number[], counts: Int32Array): number {
  counts.fill(0);
  for (const v of vips) {
    const m = vipMasks[v]!;
    if (m === 0) continue;
    for (let i = 0; i < topo.isps.length; i++) if ((m >>> i) & 1) counts[i] = counts[i]! + 1;
  }
  let out = 0;
  for (let i = 0; i < topo.isps.length; i++) if (atLeast(counts[i]!, rules.dcVipShare, vips.length)) out |= 1 << i;
  return out;
}

const bitCount = (m: number): number => { let n = 0; for (; m; m &= m - 1) n++; return n; };

export function dcRule(topo: Topology, rules: Rules, lane: Lane, book: EpisodeBook): void {
  const c = lane.counts;
  const history = lane.raw.dc;
  const counts = new Int32Array(topo.isps.length);
  for (let d = 0; d < topo.dcs.length; d++) {
    const vips = topo.dcVips[d]!;
    if (vips.length === 0) continue;
    const seen = seeingIsps(topo, rules, c.vipC, vips, counts);
    const seenRaw = seeingIsps(topo, rules, c.vipR, vips, counts);
    const held = bitCount(seen) >= rules.dcMinIsps;
    const raw = bitCount(seenRaw) >= rules.dcMinIsps;
    if (raw) history[d] = history[d]! | 1;
    if (!held && !raw) continue;
    const dc = topo.dcs[d]!;
    // VIPs, businesses and provinces come from the child VIP faults (correlation).
    book.observe(lane, 'dc', dc.id, d, held, raw, { isps: ispNames(topo, seen), provinces: [], dcs: [dc.id], vips: [], businesses: [] });
  }
}

/** Per DC: 1 when a DC fault of the lane's signal is open (it explains the VIP faults of its VIPs). */
export function openDcs(topo: Topology, book: EpisodeBook, lane: Lane): Uint8Array {
  const out = new Uint8Array(topo.dcs.length);
  topo.dcs.forEach((d, i) => { if (book.isOpen(faultId('dc', d.id, lane.signal))) out[i] = 1; });
  return out;
}
