// Rule 1, agent faults: a host lossy to most of its VIPs while the other hosts of its group are fine.
import type { Rules } from '../../core/config.js';
import { atLeast, POPCOUNT16, under, windowMask } from './bits.js';
import type { Gathered } from './cells.js';
import type { EpisodeBook } from './episodes.js';
import type { EngineState } from './state.js';
import type { Topology } from './topology.js';

/** Per host, this minute: VIPs reported, VIPs lossy (smoothed per host and VIP), VIPs lossy in this minute alone. */
export class HostCounts {
  readonly reported: Int32Array;
  readonly lossy: Int32Array;
  readonly raw: Int32Array;
  constructor(hosts: number) {
    this.reported = new Int32Array(hosts);
    this.lossy = new Int32Array(hosts);
    this.raw = new Int32Array(hosts);
  }
}

/** Ages the (host, VIP) histories by a minute, adds this minute's, and counts per host. */
export function hostPass(topo: Topology, rules: Rules, state: EngineState, g: Gathered, out: HostCounts): void {
  const mask = windowMask(rules.smoothWindow);
  const pairs = state.pairBad;
  for (const [k, b] of pairs) {
    const nb = (b << 1) & mask;
    if (nb === 0) pairs.delete(k); else pairs.set(k, nb);
  }
  out.reported.fill(0);
  out.lossy.fill(0);
  out.raw.fill(0);
  const nv = topo.vips.length;
  const limit = rules.lossPct;
  const need = rules.smoothNeed;
  for (let t = 0; t < g.count; t++) {
    const v = g.vip[t]!;
    const s = g.start[t]!;
    const e = s + g.len[t]!;
    for (let i = s; i < e; i++) {
      const h = g.entHost[i]!;
      const key = h * nv + v;
      let b = pairs.get(key) ?? 0;
      if (g.entLoss[i]! > limit) {
        b |= 1;
        pairs.set(key, b);
        out.raw[h] = out.raw[h]! + 1;
      }
      out.reported[h] = out.reported[h]! + 1;
      if (POPCOUNT16[b]! >= need) out.lossy[h] = out.lossy[h]! + 1;
    }
  }
}

export function agentRule(topo: Topology, rules: Rules, counts: HostCounts, book: EpisodeBook): void {
  const ng = topo.groups.length;
  const { reported, lossy, raw } = counts;
  const reporting = new Int32Array(ng);
  // hosts of the group that are not clean (lossy to >= agentOthersMax of their VIPs), smoothed and raw
  const dirty = new Int32Array(ng);
  const dirtyRaw = new Int32Array(ng);
  const nh = topo.hosts.length;
  const othersMax = rules.agentOthersMax;
  for (let h = 0; h < nh; h++) {
    const n = reported[h]!;
    if (n === 0) continue;
    const gi = topo.hostGroup[h]!;
    reporting[gi] = reporting[gi]! + 1;
    if (!under(lossy[h]!, othersMax, n)) dirty[gi] = dirty[gi]! + 1;
    if (!under(raw[h]!, othersMax, n)) dirtyRaw[gi] = dirtyRaw[gi]! + 1;
  }
  const history = book.state.raw.agent;
  for (let h = 0; h < nh; h++) {
    const n = reported[h]!;
    if (n === 0) continue;
    const gi = topo.hostGroup[h]!;
    if (reporting[gi]! < 2) continue;
    const othersDirty = dirty[gi]! - (under(lossy[h]!, othersMax, n) ? 0 : 1);
    const othersDirtyRaw = dirtyRaw[gi]! - (under(raw[h]!, othersMax, n) ? 0 : 1);
    const held = othersDirty === 0 && atLeast(lossy[h]!, rules.agentLossyShare, n);
    const isRaw = othersDirtyRaw === 0 && atLeast(raw[h]!, rules.agentLossyShare, n);
    if (isRaw) history[h] = history[h]! | 1;
    if (!held && !isRaw) continue;
    const host = topo.hosts[h]!;
    const group = topo.groups[gi]!;
    book.observe(book.lossLane, 'agent', host.id, h, held, isRaw, { isps: [group.isp], provinces: [group.province], dcs: [host.dc], vips: [], businesses: [] });
  }
}

/** Hosts under an open agent fault: their records do not count towards province loss. */
export function excludedHosts(topo: Topology, state: EngineState, out: Uint8Array): void {
  out.fill(0);
  for (const t of state.open.values()) {
    if (t.episode.type !== 'agent') continue;
    const h = topo.hostIndex.get(t.episode.key);
    if (h !== undefined) out[h] = 1;
  }
}
