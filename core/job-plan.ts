// Pure decisions for on-demand jobs: what a target string means for a method, whether the fleet may probe it, and
// which hosts of a scope probe it (spread over DCs: every DC once before any DC twice). No clock, no I/O.
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { Catalog } from './catalog.js';
import type { JobMethod, JobScope, JobTarget } from './jobs.js';

/** FNV-1a (32 bit): a stable order for a seed, not a secret. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

const TCP = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/;

/** "IPv4:port" or "[IPv6]:port" (the brackets keep the address's colons apart from the port's); null otherwise. */
function ipPort(target: string): { address: string; port: number } | null {
  const m = TCP.exec(target);
  const address = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  return address !== undefined && isIP(address) && port >= 1 && port <= 65535 ? { address, port } : null;
}

/** The address (and port or URL) a target string names for a method; only IP literals: the allow-list checks them. */
export function parseTarget(method: JobMethod, target: string): Outcome<JobTarget> {
  const bad = (why: string): Outcome<JobTarget> => ({ ok: false, error: `target ${JSON.stringify(target)}: ${why}` });
  switch (method) {
    case 'traceroute': {
      // a bare address: ICMP echo traceroute; ip:port or [ipv6]:port: TCP SYN traceroute to that port (both families)
      if (isIP(target)) return { ok: true, value: { address: target } };
      const hp = ipPort(target);
      return hp ? { ok: true, value: hp } : bad('traceroute needs an IP address, or IPv4:port or [IPv6]:port for TCP SYN traceroute');
    }
    case 'icmp':
      return isIP(target) ? { ok: true, value: { address: target } } : bad('icmp needs an IP address');
    case 'tcp': {
      const hp = ipPort(target);
      return hp ? { ok: true, value: hp } : bad('tcp needs ip:port (or [ipv6]:port)');
    }
    case 'http': {
      let u: URL;
      try { u = new URL(target); } catch { return bad('http needs a URL'); }
      const host = u.hostname.replace(/^\[|\]$/g, '');
      if (!/^https?:$/.test(u.protocol) || !isIP(host)) return bad('http needs an http(s) URL whose host is an IP address');
      return { ok: true, value: { address: host, url: u.toString() } };
    }
  }
}

/** The allow-list: the inventory's VIPs plus probes.allowCidrs. */
export function allowList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [net, bits] = c.split('/');
    list.addSubnet(net!, Number(bits), isIPv4(net!) ? 'ipv4' : 'ipv6');
  }
  return list;
}

export const isAllowed = (address: string, catalog: Catalog, cidrs: BlockList): boolean =>
  catalog.vips.has(address) || cidrs.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');

/**
 * Up to n eligible hosts (probe != false) inside the scope (a host must match every field given; within a field any
 * value), spread over DCs: round robin over the scope's DCs, each DC's hosts in an order fixed by the seed, the DCs
 * too, so two jobs with different seeds ask different hosts. Unknown names in the scope are an error.
 */
export function selectSources(catalog: Catalog, scope: JobScope, n: number, seed: string): Outcome<string[]> {
  const unknown: string[] = [];
  const check = (field: string, values: string[] | undefined, known: (v: string) => boolean) => {
    for (const v of values ?? []) if (!known(v)) unknown.push(`scope.${field}: unknown ${JSON.stringify(v)}`);
  };
  const dcs = [...catalog.dcs.values()];
  check('provinces', scope.provinces, (v) => dcs.some((d) => d.province === v));
  check('isps', scope.isps, (v) => dcs.some((d) => d.isp === v));
  check('dcs', scope.dcs, (v) => catalog.dcs.has(v));
  check('hosts', scope.hosts, (v) => catalog.hosts.has(v));
  if (unknown.length) return { ok: false, error: unknown.join('; ') };
  const has = (list: string[] | undefined, v: string) => !list?.length || list.includes(v);
  const byDc = new Map<string, string[]>();
  for (const h of catalog.inventory.hosts) {
    const dc = catalog.dcs.get(h.dc)!;
    if (h.probe === false || !has(scope.provinces, dc.province) || !has(scope.isps, dc.isp) || !has(scope.dcs, dc.id) || !has(scope.hosts, h.id)) continue;
    let list = byDc.get(dc.id);
    if (!list) byDc.set(dc.id, (list = []));
    list.push(h.id);
  }
  if (!byDc.size) return { ok: false, error: 'no eligible host in the scope' };
  const order = (xs: string[]) => xs.map((x) => [hash(`${seed}|${x}`), x] as const).sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1)).map((p) => p[1]);
  const queues = order([...byDc.keys()]).map((dc) => order(byDc.get(dc)!));
  const out: string[] = [];
  for (let round = 0; out.length < n; round++) {
    let any = false;
    for (const q of queues) {
      if (round < q.length && out.length < n) { out.push(q[round]!); any = true; }
    }
    if (!any) break;
  }
  return { ok: true, value: out };
}
