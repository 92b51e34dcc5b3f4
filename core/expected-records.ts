// How many result records a complete minute holds, per board cell, from the plan contract's coverage rule
// (../shared/spec/contracts.md: every VIP is probed from exactly min(K, DCs with eligible hosts) hosts of each
// province x isp group) and each VIP's probe methods, without running the planner. Pure.
import { targetsOf, type Catalog } from './catalog.js';

export interface ExpectedRecords {
  /** "province/isp" (the source group) -> records per minute */
  groups: Map<string, number>;
  /** "vipDc/isp" (destination DC, source isp) -> records per minute */
  dcs: Map<string, number>;
}

export function expectedRecords(catalog: Catalog, redundancy: number): ExpectedRecords {
  const groups = new Map<string, number>();
  const dcs = new Map<string, number>();
  const perVip = [...catalog.vips.values()].map((v) => ({ dc: v.dc, targets: targetsOf(v).length }));
  for (const [key, hosts] of catalog.groups) {
    const isp = key.slice(key.indexOf('/') + 1);
    const probers = Math.min(redundancy, new Set(hosts.map((h) => h.dc)).size);
    let total = 0;
    for (const v of perVip) {
      const n = probers * v.targets;
      total += n;
      dcs.set(`${v.dc}/${isp}`, (dcs.get(`${v.dc}/${isp}`) ?? 0) + n);
    }
    groups.set(key, total);
  }
  return { groups, dcs };
}
