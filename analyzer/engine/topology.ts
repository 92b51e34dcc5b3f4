// Integer ids over the inventory for the engine's hot path, built once per catalog.
// Entities are sorted by id so the same inventory gives the same ids whatever the order of its entries.
import type { Catalog } from '../../core/catalog.js';
import { groupKey } from '../../core/catalog.js';
import type { Datacenter, Host, Vip } from '../../core/model.js';

export interface Group { province: string; isp: string; key: string }

export interface Topology {
  vips: Vip[];
  vipIndex: Map<string, number>;
  /** VIP -> DC index */
  vipDc: Int32Array;
  hosts: Host[];
  hostIndex: Map<string, number>;
  /** host -> group index (the host's DC's province and isp) */
  hostGroup: Int32Array;
  hostDc: Int32Array;
  dcs: Datacenter[];
  dcIndex: Map<string, number>;
  /** DC -> its VIPs */
  dcVips: number[][];
  isps: string[];
  ispIndex: Map<string, number>;
  groups: Group[];
  groupIsp: Int32Array;
  /** group -> the DCs of its hosts (a region fault's scope) */
  groupDcs: string[][];
  /** a digest of the ids above: a checkpoint taken under another inventory cannot reuse the histories */
  fingerprint: string;
}

const byId = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

function fnv1a(parts: string[]): string {
  let h = 0x811c9dc5;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 10, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function buildTopology(catalog: Catalog): Topology {
  const inv = catalog.inventory;
  const dcs = [...inv.datacenters].sort(byId((d) => d.id));
  const dcIndex = new Map(dcs.map((d, i) => [d.id, i]));
  const hosts = [...inv.hosts].sort(byId((h) => h.id));
  const hostIndex = new Map(hosts.map((h, i) => [h.id, i]));
  const vips = [...inv.vips].sort(byId((v) => v.ip));
  const vipIndex = new Map(vips.map((v, i) => [v.ip, i]));

  const isps = [...new Set(dcs.map((d) => d.isp))].sort();
  const ispIndex = new Map(isps.map((s, i) => [s, i]));
  if (isps.length > 32) throw new Error(`the engine keeps per-isp flags in 32-bit masks; the inventory has ${isps.length} isps`);

  const groupKeys = [...new Set(hosts.map((h) => { const d = catalog.dcs.get(h.dc)!; return groupKey(d.province, d.isp); }))].sort();
  const groupIdx = new Map(groupKeys.map((k, i) => [k, i]));
  const groups: Group[] = groupKeys.map((key) => { const [province, isp] = key.split('/') as [string, string]; return { province, isp, key }; });
  const groupIsp = Int32Array.from(groups, (g) => ispIndex.get(g.isp)!);
  const groupDcSets = groups.map(() => new Set<string>());

  const hostGroup = new Int32Array(hosts.length);
  const hostDc = new Int32Array(hosts.length);
  hosts.forEach((h, i) => {
    const d = catalog.dcs.get(h.dc)!;
    const g = groupIdx.get(groupKey(d.province, d.isp))!;
    hostGroup[i] = g;
    hostDc[i] = dcIndex.get(h.dc)!;
    groupDcSets[g]!.add(h.dc);
  });

  const vipDc = new Int32Array(vips.length);
  const dcVips: number[][] = dcs.map(() => []);
  vips.forEach((v, i) => {
    const d = dcIndex.get(v.dc)!;
    vipDc[i] = d;
    dcVips[d]!.push(i);
  });

  const fingerprint = fnv1a([
    ...vips.map((v) => `v${v.ip}@${v.dc}`), ...hosts.map((h) => `h${h.id}@${h.dc}`), ...dcs.map((d) => `d${d.id}@${d.province}/${d.isp}`),
  ]);
  return {
    vips, vipIndex, vipDc, hosts, hostIndex, hostGroup, hostDc, dcs, dcIndex, dcVips, isps, ispIndex,
    groups, groupIsp, groupDcs: groupDcSets.map((s) => [...s].sort()), fingerprint,
  };
}
