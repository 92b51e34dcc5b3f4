// The planner: a pure function inventory -> plan (which host probes which VIP).
// Per group (province, isp): first each VIP picks min(K, DCs) distinct DCs by weighted rendezvous hashing with
// bounded DC loads; then, inside each DC, its VIPs go to its hosts by rendezvous hashing with tight host
// capacities, and hosts left below the contract's balance band take their best-scoring VIPs from fuller ones.
// All ties and orders come from ids, never from the order of the input.
import type { Inventory, Plan } from '../core/model.js';
import { fmix32, hashId, stableAssign, topBins } from './assign.js';

export interface PlanOptions {
  redundancy?: number;
  /** DC load slack over its share (bounded loads): more slack moves fewer pairs under churn */
  dcSlack?: number;
}

interface Dc { id: string; hash: number; hosts: { id: string; hash: number }[] }

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const U32 = 4294967296;

/** DC shares of rV slots: proportional to host count, none above V (a DC holds each VIP at most once). */
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

/** Level 1: each VIP (index into vipHash) picks r distinct DCs; returns per DC the VIP indices. */
function assignDcs(dcs: Dc[], vipHash: Uint32Array, r: number, slack: number): number[][] {
  const V = vipHash.length;
  const counts = dcs.map((d) => d.hosts.length);
  const H = counts.reduce((a, b) => a + b, 0);
  const share = dcShares(counts, V, r);
  const hostBound = Math.ceil((1.1 * V) / H); // the contract's K = 1 host bound
  const cap = Int32Array.from(share, (t, i) =>
    Math.min(V, Math.ceil(t * (1 + slack)), r === 1 ? counts[i]! * hostBound : V));
  const dcHash = dcs.map((d) => d.hash);
  // Weighted rendezvous: -ln(u)/w is exponential with rate w, so a DC is first choice in proportion to its share.
  const score = (v: number, d: number) => share[d]! / -Math.log((fmix32(dcHash[d]! ^ vipHash[v]!) + 0.5) / U32);
  return stableAssign({
    items: V, bins: dcs.length, need: r, cap, score,
    prefs: (v, limit) => topBins(dcs.length, limit, (d) => score(v, d)),
  }, dcs.length);
}

/** Level 2: the VIPs of one DC onto its hosts; returns per host the VIP indices. */
function assignHosts(dc: Dc, vips: number[], vipHash: Uint32Array): number[][] {
  const n = dc.hosts.length;
  if (n === 1) return [vips.slice()];
  const hh = Uint32Array.from(dc.hosts, (h) => h.hash);
  const vh = Uint32Array.from(vips, (v) => vipHash[v]!);
  const score = (i: number, h: number) => fmix32(hh[h]! ^ vh[i]!);
  const hi = Math.ceil(vips.length / n);
  const perHost = stableAssign({
    items: vips.length, bins: n, need: 1, cap: new Int32Array(n).fill(hi), score,
    prefs: (i, limit) => topBins(n, limit, (h) => score(i, h)),
  });
  raiseLowHosts(perHost, hi - (Math.ceil((0.1 * vips.length) / n) + 1), score);
  return perHost.map((items) => items.map((i) => vips[i]!));
}

/** Hosts below `lo` take, one at a time, their best-scoring item from hosts above `lo`. */
function raiseLowHosts(perHost: number[][], lo: number, score: (item: number, host: number) => number): void {
  if (lo <= 0) return;
  for (let h = 0; h < perHost.length; h++) {
    while (perHost[h]!.length < lo) {
      let best = -1, bestHost = -1, bestPos = -1;
      perHost.forEach((items, d) => {
        if (items.length <= lo) return;
        items.forEach((item, pos) => {
          const s = score(item, h);
          if (s > best) { best = s; bestHost = d; bestPos = pos; }
        });
      });
      const [item] = perHost[bestHost]!.splice(bestPos, 1);
      perHost[h]!.push(item!);
    }
  }
}

export function plan(inv: Inventory, opts: PlanOptions = {}): Plan {
  const K = opts.redundancy ?? 1;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`redundancy must be a positive integer, got ${K}`);
  const slack = opts.dcSlack ?? 0.08;
  const vipIps = inv.vips.map((v) => v.ip).sort();
  const vipHash = Uint32Array.from(vipIps, (ip) => fmix32(hashId(ip) ^ 0x9e3779b9));
  const dcInfo = new Map(inv.datacenters.map((d) => [d.id, d]));
  const groups = new Map<string, Map<string, Dc>>();
  for (const h of inv.hosts) {
    if (h.probe === false) continue;
    const info = dcInfo.get(h.dc);
    if (!info) throw new Error(`host ${h.id}: unknown datacenter ${h.dc}`);
    const gk = `${info.province}/${info.isp}`;
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = new Map()));
    let dc = g.get(h.dc);
    if (!dc) g.set(h.dc, (dc = { id: h.dc, hash: hashId(h.dc), hosts: [] }));
    dc.hosts.push({ id: h.id, hash: hashId(h.id) });
  }
  const assignments: Record<string, string[]> = {};
  const hostIds: string[] = [];
  const lists = new Map<string, string[]>();
  for (const gk of [...groups.keys()].sort()) {
    const dcs = [...groups.get(gk)!.values()].sort(byId);
    for (const d of dcs) d.hosts.sort(byId);
    const perDc = vipIps.length ? assignDcs(dcs, vipHash, Math.min(K, dcs.length), slack) : dcs.map(() => []);
    dcs.forEach((dc, di) => {
      const perHost = assignHosts(dc, perDc[di]!, vipHash);
      dc.hosts.forEach((h, hi) => {
        hostIds.push(h.id);
        lists.set(h.id, perHost[hi]!.map((v) => vipIps[v]!).sort());
      });
    });
  }
  for (const id of hostIds.sort()) assignments[id] = lists.get(id)!;
  return { redundancy: K, assignments };
}
