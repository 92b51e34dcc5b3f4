// Seeded generators of inventories with many DC shapes, for planner tests and benchmarks.
import { ISPS, PROVINCES } from '../../core/geo.js';
import type { Inventory } from '../../core/model.js';
import { seededRandom as rng } from '../../core/random.js';


export interface GenOptions {
  seed: number;
  /** province-ISP groups to use (max 93) */
  groups: number;
  dcsPerGroup: [number, number];
  hostsPerDc: [number, number];
  vips: number;
  /** share of hosts with probe: false */
  noProbe?: number;
  /** scale host counts so the fleet has about this many hosts */
  totalHosts?: number;
}

/** VIP addresses in the IPv6 documentation prefix: never probed, unlimited in number. */
export const docVip = (i: number): string => `2001:db8::${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`;

export function generateInventory(o: GenOptions): Inventory {
  const r = rng(o.seed);
  const between = ([lo, hi]: [number, number]) => lo + Math.floor(r() * (hi - lo + 1));
  const pairs = PROVINCES.flatMap((p) => ISPS.map((i) => [p.id, i.id] as const)).slice(0, o.groups);
  const shape = pairs.map(() => Array.from({ length: between(o.dcsPerGroup) }, () => between(o.hostsPerDc)));
  const raw = shape.flat().reduce((a, b) => a + b, 0);
  const scale = o.totalHosts ? o.totalHosts / raw : 1;
  const inv: Inventory = { datacenters: [], hosts: [], vips: [], businesses: [{ name: 'biz', owners: ['o@example.com'] }], isps: [] };
  pairs.forEach(([province, isp], g) => {
    shape[g]!.forEach((n, d) => {
      const dc = `${province}-${isp}-dc${d}`;
      inv.datacenters.push({ id: dc, province, isp });
      const count = Math.max(1, Math.round(n * scale));
      for (let h = 0; h < count; h++) inv.hosts.push({ id: `${dc}-h${h}`, ip: '192.0.2.1', dc, probe: r() >= (o.noProbe ?? 0) });
    });
  });
  const targetDcs = inv.datacenters.slice(0, Math.max(1, Math.min(5, inv.datacenters.length)));
  for (let i = 0; i < o.vips; i++) inv.vips.push({ ip: docVip(i), dc: targetDcs[i % targetDcs.length]!.id, business: 'biz' });
  return inv;
}
