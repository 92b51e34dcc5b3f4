// The contract's plan rules as a checker: returns every violation found (empty when the plan is valid).
import type { Inventory, Plan } from '../../core/model.js';

export function planViolations(inv: Inventory, plan: Plan, K: number): string[] {
  const out: string[] = [];
  const dcOf = new Map(inv.datacenters.map((d) => [d.id, d]));
  const eligible = inv.hosts.filter((h) => h.probe !== false);
  const expectedHosts = new Set(eligible.map((h) => h.id));
  const got = Object.keys(plan.assignments);
  if (got.length !== expectedHosts.size || got.some((h) => !expectedHosts.has(h))) out.push('plan hosts differ from the eligible hosts');
  for (const [h, list] of Object.entries(plan.assignments)) {
    if (list.join('\n') !== [...list].sort().join('\n')) out.push(`${h}: list not sorted`);
    if (new Set(list).size !== list.length) out.push(`${h}: duplicate VIP`);
  }
  const groups = new Map<string, typeof eligible>();
  for (const h of eligible) {
    const dc = dcOf.get(h.dc)!;
    const k = `${dc.province}/${dc.isp}`;
    groups.set(k, [...(groups.get(k) ?? []), h]);
  }
  for (const [g, hosts] of groups) {
    const dcs = new Set(hosts.map((h) => h.dc));
    const want = Math.min(K, dcs.size);
    const perVip = new Map<string, string[]>();
    for (const h of hosts) for (const v of plan.assignments[h.id] ?? []) perVip.set(v, [...(perVip.get(v) ?? []), h.id]);
    for (const v of inv.vips) {
      const holders = perVip.get(v.ip) ?? [];
      if (holders.length !== want) out.push(`${g}: VIP ${v.ip} covered by ${holders.length} hosts, want ${want}`);
      const hdcs = holders.map((h) => inv.hosts.find((x) => x.id === h)!.dc);
      if (new Set(hdcs).size !== hdcs.length) out.push(`${g}: VIP ${v.ip} on two hosts of one DC`);
    }
    const load = (h: { id: string }) => plan.assignments[h.id]?.length ?? 0;
    if (K === 1) {
      const mean = inv.vips.length / hosts.length;
      const bound = Math.ceil(1.1 * mean - 1e-9);
      for (const h of hosts) if (load(h) > bound) out.push(`${g}: host ${h.id} carries ${load(h)} > ceil(1.1 x ${mean.toFixed(2)}) = ${bound}`);
    }
    for (const dc of dcs) {
      const loads = hosts.filter((h) => h.dc === dc).map(load);
      const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
      const spread = Math.max(...loads) - Math.min(...loads);
      if (spread > Math.ceil(0.1 * mean - 1e-9) + 1) out.push(`${g}: DC ${dc} loads differ by ${spread} (mean ${mean.toFixed(2)})`);
    }
  }
  return out;
}

export interface Churn {
  /** VIP-slot reassignments touching staying hosts, over their pairs before: max(lost, gained) / before */
  moved: number;
  /** the stricter count: every pair a staying host lost or gained, (lost + gained) / before */
  changed: number;
}

/** How much of the staying hosts' (host, VIP) pairs two plans differ in. */
export function churn(before: Plan, after: Plan): Churn {
  let base = 0, lost = 0, gained = 0;
  for (const [host, list] of Object.entries(before.assignments)) {
    const next = after.assignments[host];
    if (!next) continue;
    const a = new Set(list), b = new Set(next);
    base += a.size;
    for (const v of a) if (!b.has(v)) lost++;
    for (const v of b) if (!a.has(v)) gained++;
  }
  return base ? { moved: Math.max(lost, gained) / base, changed: (lost + gained) / base } : { moved: 0, changed: 0 };
}
