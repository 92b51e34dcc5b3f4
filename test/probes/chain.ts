// A routed chain of network namespaces for path tests: src -> r1 -> r2 -> r3 -> vip, each link a /30 in
// 198.18.1.0/24, the VIP addresses on the last namespace's lo in 198.19.1.0/24. The routers forward and answer
// expired packets with ICMP time exceeded at once (no ICMP rate limit, which would turn quick repeated traces into loss).
// With ipv6, every link also gets fd00:1:k::1/64 (near) and ::2 (far), the VIP fd00:19::1, and the routers forward IPv6.
import type { NetLab, Netns } from '../support/netns.js';

export interface Chain {
  src: Netns;
  routers: Netns[];
  vip: Netns;
  /** the address each router answers from (its side of the link towards src), in hop order */
  routerIps: string[];
  /** per router, its device towards the next namespace (for breaking the path there) */
  downlinks: string[];
  vips: string[];
  /** with ipv6: the routers' IPv6 addresses in hop order, and the VIP's IPv6 address */
  routerIps6: string[];
  vips6: string[];
}

/** link k is 198.18.1.(4k)/30: .4k+1 on the near side, .4k+2 on the far side */
const near = (k: number) => `198.18.1.${4 * k + 1}`;
const far = (k: number) => `198.18.1.${4 * k + 2}`;

const near6 = (k: number) => `fd00:1:${k}::1`;
const far6 = (k: number) => `fd00:1:${k}::2`;

export function buildChain(lab: NetLab, routersCount = 3, vips = ['198.19.1.1'], opts: { ipv6?: boolean } = {}): Chain {
  const src = lab.ns('src');
  const routers = Array.from({ length: routersCount }, (_, i) => lab.ns(`r${i + 1}`));
  const vip = lab.ns('vip');
  const chain = [src, ...routers, vip];
  // IPv6: no duplicate address detection on the links' own (link-local) addresses either, so they work at once
  if (opts.ipv6) for (const ns of chain) ns.run('sysctl', ['-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0']);
  const devs: string[] = [];
  for (let k = 0; k + 1 < chain.length; k++) {
    const { devA, devB } = lab.link(chain[k]!, chain[k + 1]!, `${near(k)}/30`, `${far(k)}/30`);
    devs.push(devA);
    if (opts.ipv6) {
      chain[k]!.run('ip', ['addr', 'add', `${near6(k)}/64`, 'dev', devA, 'nodad']);
      chain[k + 1]!.run('ip', ['addr', 'add', `${far6(k)}/64`, 'dev', devB, 'nodad']);
    }
  }
  lab.addresses(vip, vips);
  const vips6 = opts.ipv6 ? ['fd00:19::1'] : [];
  lab.addresses(vip, vips6);
  for (const r of routers) {
    r.run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    r.run('sysctl', ['-qw', 'net.ipv4.icmp_ratelimit=0']);
    if (opts.ipv6) {
      r.run('sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
      r.run('sysctl', ['-qw', 'net.ipv6.icmp.ratelimit=0']);
    }
  }
  // forward: everything for 198.19/16 goes one namespace further; back: the source links behind each router
  chain.forEach((ns, k) => {
    if (ns !== vip) lab.route(ns, '198.19.0.0/16', far(k));
    if (k >= 2) lab.route(ns, `198.18.1.0/${32 - Math.ceil(Math.log2(4 * (k - 1)))}`, near(k - 1));
    if (!opts.ipv6) return;
    if (ns !== vip) lab.route(ns, 'fd00:19::/64', far6(k));
    // the links behind (fd00:1:0..k-2::/64) lie inside fd00:1::/48; the node's own links are more specific
    if (k >= 2) lab.route(ns, 'fd00:1::/48', near6(k - 1));
  });
  return {
    src, routers, vip, routerIps: routers.map((_, i) => far(i)), downlinks: devs.slice(1, 1 + routersCount), vips,
    // canonical text (fd00:1::2, not fd00:1:0::2), as traceroute names hops
    routerIps6: opts.ipv6 ? routers.map((_, i) => new URL(`http://[${far6(i)}]/`).hostname.slice(1, -1)) : [], vips6,
  };
}

/** Drops every packet router `r` would forward out of `dev` (the path beyond it goes silent). */
export function breakAfter(r: Netns, dev: string): void {
  r.run('nft', ['-f', '-'], [
    'table ip vipwatch_break', 'delete table ip vipwatch_break',
    'table ip vipwatch_break {', '  chain forward {', '    type filter hook forward priority 0; policy accept;',
    `    oifname "${dev}" drop`, '  }', '}', '',
  ].join('\n'));
}
