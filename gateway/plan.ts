// The planner: a pure function inventory -> plan (which host probes which VIP).
// Per group (province, isp), every VIP ranks all eligible hosts of the group by a rendezvous score and they are
// matched by deferred acceptance (gateway/assign.ts): a VIP takes min(K, DCs) hosts of distinct DCs, each host
// holds at most its capacity. Capacities come from the DC's share of the K x V slots, proportional to host count
// (water-filled so no DC holds a VIP twice), and are tight (ceil of the share), which gives the contract's
// balance; hosts left below their DC's balance band then take their best-scoring VIPs from fuller hosts of the DC.
// Because a VIP's ranking of a host depends only on the two ids, a host that leaves or joins moves little more
// than its own VIPs. All orders and ties come from ids, never from the order of the input.
import type { Inventory, Plan } from '../core/model.js';
import { fmix32, hashId, stableAssign } from './assign.js';

export interface PlanOptions { redundancy?: number }

interface GroupHost { id: string; hash: number; dc: number }

/** Per-DC slot shares of r x V, proportional to host count, none above V (a DC holds each VIP at most once). */
export function dcShares(hostCounts: number[], vips: number, r: number): number[] {
  const share = new Array<number>(hostCounts.length).fill(0);
  const open = new Set(hostCounts.map((_, i) => i));
  let left = r * vips;
  for (;;) {
    const weight = [...open].reduce((s, i) => s + hostCounts[i]!, 0);
    const over = [...open].filter((i) => (left * hostCounts[i]!) / weight > vips);
    if (!over.length) { for (const i of open) share[i] = (left * hostCounts[i]!) / weight; return share; }
    for (const i of over) { share[i] = vips; left -= vips; open.delete(i); }
  }
}

/** The `limit` best hosts of one VIP (best first, ties to the lower index): the planner's hot loop (every VIP x
 *  every host of its group). Scores are compared as int32 with the top bit flipped, which orders them exactly as
 *  the unsigned hash values but keeps V8 on small integers. */
function topHosts(hostHash: Int32Array, vipHash: number, limit: number): Int32Array {
  const best = new Int32Array(limit);
  const bestS = new Int32Array(limit);
  let n = 0;
  let worst = 0;
  for (let b = 0; b < hostHash.length; b++) {
    let x = hostHash[b]! ^ vipHash;
    x ^= x >>> 16; x = Math.imul(x, 0x85ebca6b); x ^= x >>> 13; x = Math.imul(x, 0xc2b2ae35); x ^= x >>> 16;
    const s = x ^ 0x80000000;
    if (n === limit) {
      if (s <= worst) continue;
    }
    let i = n < limit ? n++ : n - 1;
    while (i > 0 && bestS[i - 1]! < s) { best[i] = best[i - 1]!; bestS[i] = bestS[i - 1]!; i--; }
    best[i] = b; bestS[i] = s;
    worst = bestS[n - 1]!;
  }
  return best.subarray(0, n);
}

const SLACK = 0.5;

/** Host capacities: each host of DC d may hold x = mean + SLACK VIPs (below the K = 1 bound ceil(1.1 x mean)),
 *  as floor(x) or floor(x) + 1, the hosts with the lowest hashes getting the larger one so that the average is x.
 *  Capacities thus follow the mean continuously: when a host comes or goes, only the hosts at the edge of that
 *  ranking change capacity, never a whole DC at once. Slack shortens rejection chains (fewer moves under churn). */
function hostCaps(hosts: GroupHost[], counts: number[], share: number[]): Int32Array {
  const cap = new Int32Array(hosts.length);
  const byDc = new Map<number, number[]>();
  hosts.forEach((h, i) => { const m = byDc.get(h.dc); if (m) m.push(i); else byDc.set(h.dc, [i]); });
  for (const [d, members] of byDc) {
    const n = counts[d]!;
    const mean = share[d]! / n;
    const x = Math.max(mean, Math.min(mean + SLACK, Math.ceil(1.1 * mean - 1e-9) - 1e-6));
    const base = Math.floor(x);
    const extra = Math.min(n, Math.ceil((x - base) * n - 1e-9));
    members.sort((a, b) => hosts[a]!.hash - hosts[b]!.hash || a - b);
    members.forEach((i, rank) => { cap[i] = base + (rank < extra ? 1 : 0); });
  }
  return cap;
}

/** Assigns all VIPs to the hosts of one group; returns per host (same order) the VIP indices. */
function planGroup(hosts: GroupHost[], dcCount: number, vipHash: Uint32Array, K: number): number[][] {
  const counts = new Array<number>(dcCount).fill(0);
  for (const h of hosts) counts[h.dc]!++;
  const r = Math.min(K, dcCount);
  const share = dcShares(counts, vipHash.length, r);
  const hostHash = Int32Array.from(hosts, (h) => h.hash | 0);
  const classOf = Int32Array.from(hosts, (h) => h.dc);
  const cap = hostCaps(hosts, counts, share);
  const score = (v: number, b: number) => fmix32(hostHash[b]! ^ vipHash[v]!);
  const perHost = stableAssign({
    items: vipHash.length, bins: hosts.length, need: r, classOf, cap, score,
    prefs: (v, limit) => topHosts(hostHash, vipHash[v]!, limit),
  }, Math.min(hosts.length, 8 * r));
  for (let d = 0; d < dcCount; d++) balanceDc(perHost, hosts, d, score);
  return perHost;
}

/** Balance inside DC d (the contract: loads differ by at most ceil(0.1 x mean) + 1). The band's floor is
 *  lo = max - spread; hosts below it, in the fixed order of their hashes (so churn elsewhere does not reorder
 *  them), take their best-scoring VIPs from hosts above lo. Capacities keep max <= mean + spread, so a donor
 *  exists; the variance-lowering loop after it only acts when forced placements (K > 1) overfilled a host. */
function balanceDc(perHost: number[][], hosts: GroupHost[], d: number, score: (v: number, b: number) => number): void {
  const members = hosts.flatMap((h, i) => (h.dc === d ? [i] : []));
  if (members.length < 2) return;
  const load = (i: number) => perHost[i]!.length;
  const total = members.reduce((s, i) => s + load(i), 0);
  const spread = Math.ceil((0.1 * total) / members.length) + 1;
  /** the taker's best-scoring VIP among hosts holding at least minLoad */
  const take = (taker: number, minLoad: number): boolean => {
    let best = -1, from = -1, at = -1;
    for (const i of members) {
      const items = perHost[i]!;
      if (items.length < minLoad) continue;
      for (let k = 0; k < items.length; k++) {
        const s = score(items[k]!, taker);
        if (s > best) { best = s; from = i; at = k; }
      }
    }
    if (from < 0) return false;
    perHost[taker]!.push(perHost[from]!.splice(at, 1)[0]!);
    return true;
  };
  const lo = Math.max(...members.map(load)) - spread;
  const low = members.filter((i) => load(i) < lo).sort((a, b) => hosts[a]!.hash - hosts[b]!.hash || a - b);
  for (const h of low) while (load(h) < lo && take(h, lo + 1));
  for (;;) {
    let min = members[0]!, max = 0;
    for (const i of members) { if (load(i) < load(min)) min = i; max = Math.max(max, load(i)); }
    if (max - load(min) <= spread || !take(min, load(min) + 2)) return;
  }
}

export function plan(inv: Inventory, opts: PlanOptions = {}): Plan {
  const K = opts.redundancy ?? 1;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`redundancy must be a positive integer, got ${K}`);
  const vipIps = inv.vips.map((v) => v.ip).sort();
  const vipHash = Uint32Array.from(vipIps, (ip) => fmix32(hashId(ip) ^ 0x9e3779b9));
  const dcInfo = new Map(inv.datacenters.map((d) => [d.id, d]));
  const groups = new Map<string, { id: string; dc: string }[]>();
  for (const h of inv.hosts) {
    if (h.probe === false) continue;
    const info = dcInfo.get(h.dc);
    if (!info) throw new Error(`host ${h.id}: unknown datacenter ${h.dc}`);
    const gk = `${info.province}/${info.isp}`;
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = []));
    g.push({ id: h.id, dc: h.dc });
  }
  const lists = new Map<string, string[]>();
  for (const members of groups.values()) {
    members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const dcIds = [...new Set(members.map((m) => m.dc))].sort();
    const dcIndex = new Map(dcIds.map((d, i) => [d, i]));
    const hosts = members.map((m) => ({ id: m.id, hash: hashId(m.id), dc: dcIndex.get(m.dc)! }));
    const perHost = vipIps.length ? planGroup(hosts, dcIds.length, vipHash, K) : hosts.map(() => []);
    hosts.forEach((h, i) => lists.set(h.id, perHost[i]!.map((v) => vipIps[v]!).sort()));
  }
  const assignments: Record<string, string[]> = {};
  for (const id of [...lists.keys()].sort()) assignments[id] = lists.get(id)!;
  return { redundancy: K, assignments };
}
