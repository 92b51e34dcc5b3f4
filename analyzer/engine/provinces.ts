// A province is *bad* for an isp when its group is lossy to at least half of the VIPs it probes (rules 6 and 7);
// *slow-bad* the same with slow cells (the latency lane).
// VIPs of a DC under an open DC fault are left out of that count: the DC fault explains them, and a big DC going
// down must not also make every province "bad" (ISP or region faults for the same root cause).
import type { Rules } from '../../core/config.js';
import { atLeast, POPCOUNT16, windowMask } from './bits.js';
import type { Lane } from './lane.js';
import type { Topology } from './topology.js';

export interface ProvinceStatus {
  /** per group: reported any VIP within the window (outside faulted DCs) */
  reporting: Uint8Array;
  /** per group: bad on smoothed data */
  bad: Uint8Array;
  /** per group: bad on this minute's data alone */
  badRaw: Uint8Array;
}

export function provinceStatus(topo: Topology, rules: Rules, cellSeen: Uint16Array, lane: Lane, dcOpen: Uint8Array): ProvinceStatus {
  const ng = topo.groups.length;
  const c = lane.counts;
  const probed = Int32Array.from(c.groupProbed);
  const lossy = Int32Array.from(c.groupFlagged);
  const raw = Int32Array.from(c.groupRaw);
  const mask = windowMask(rules.smoothWindow);
  for (let d = 0; d < topo.dcs.length; d++) {
    if (!dcOpen[d]) continue;
    for (const v of topo.dcVips[d]!) {
      for (let g = 0; g < ng; g++) {
        const cell = v * ng + g;
        if ((cellSeen[cell]! & mask) === 0) continue;
        const bad = lane.flags[cell]! & mask;
        probed[g] = probed[g]! - 1;
        if (POPCOUNT16[bad]! >= rules.smoothNeed) lossy[g] = lossy[g]! - 1;
        if (bad & 1) raw[g] = raw[g]! - 1;
      }
    }
  }
  const s: ProvinceStatus = { reporting: new Uint8Array(ng), bad: new Uint8Array(ng), badRaw: new Uint8Array(ng) };
  for (let g = 0; g < ng; g++) {
    const n = probed[g]!;
    if (n === 0) continue;
    s.reporting[g] = 1;
    s.bad[g] = atLeast(lossy[g]!, rules.provinceBadShare, n) ? 1 : 0;
    s.badRaw[g] = atLeast(raw[g]!, rules.provinceBadShare, n) ? 1 : 0;
  }
  return s;
}
