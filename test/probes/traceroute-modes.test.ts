// The other traceroute modes in network namespaces (src -> r1 -> r2 -> r3 -> vip, test/probes/chain.ts):
// TCP SYN traceroute lists the routers and reaches a listening port while every ICMP echo is dropped on the way
// (nftables), and says "not reached" for a port the target drops; ICMPv6 traceroute lists the IPv6 routers in order;
// TCP SYN traceroute over IPv6 does the same as over IPv4, its hops answered by ICMPv6 time exceeded.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TraceHop } from '../../core/jobs.js';
import { skipUnless } from '../support/env.js';
import { NetLab, type Netns } from '../support/netns.js';
import { buildChain } from './chain.js';

const child = fileURLToPath(new URL('./trace-child.ts', import.meta.url));

interface Line { address: string; ms: number; hops: TraceHop[]; reached: boolean }

const trace = (src: Netns, opts: object, ...addrs: string[]): Line[] =>
  src.run(process.execPath, ['--import', 'tsx', child, JSON.stringify(opts), ...addrs]).trim().split('\n').map((l) => JSON.parse(l) as Line);

/** Drops every ICMP and ICMPv6 echo request entering ns, before routing (so not even TTL 1 draws a time exceeded). */
function dropEcho(ns: Netns, extra: string[] = []): void {
  ns.run('nft', ['-f', '-'], [
    'table inet vipwatch_noecho', 'delete table inet vipwatch_noecho',
    'table inet vipwatch_noecho {', '  chain pre {', '    type filter hook prerouting priority 0; policy accept;',
    '    icmp type echo-request drop', '    icmpv6 type echo-request drop', ...extra.map((l) => `    ${l}`), '  }', '}', '',
  ].join('\n'));
}

/** A TCP listener on address:port inside ns that closes every connection; resolves once it listens. */
async function listen(ns: Netns, address: string, port: number): Promise<void> {
  const server = ns.spawn(process.execPath, ['-e',
    `require('net').createServer((s) => s.destroy()).listen(${port}, '${address}', () => console.log('listening'))`]);
  const [first] = (await Promise.race([once(server.stdout!, 'data'), new Promise((_, no) => setTimeout(() => no(new Error('listener did not start in 10 s')), 10_000))])) as [Buffer];
  assert.match(first.toString(), /listening/);
}

function assertHops(hops: TraceHop[], probes: number): void {
  for (const h of hops) {
    assert.equal(h.rtt.length, probes, `hop ${h.ttl}: ${probes} probes, ${probes} RTTs: ${JSON.stringify(h)}`);
    assert.equal(h.lost, 0);
    for (const r of h.rtt) assert.ok(r > 0 && r < 100, `hop ${h.ttl}: RTT ${r} ms`);
  }
}

test('TCP SYN traceroute reaches a listening port through routers that drop ICMP echo; a filtered port is not reached', async (t) => {
  if (skipUnless(t, { root: true, commands: ['ip', 'nft', 'sysctl'] })) return;
  const lab = new NetLab('vwtt');
  t.after(() => lab.cleanup());
  const c = buildChain(lab);
  const [vip] = c.vips;
  const open = 8080;
  const filtered = 9;
  await listen(c.vip, vip!, open);
  for (const r of c.routers) dropEcho(r);
  dropEcho(c.vip, [`tcp dport ${filtered} drop`]);

  const opts = { maxTtl: 8, probesPerHop: 3, timeoutMs: 400 };
  // ICMP echo is filtered everywhere: the ICMP mode sees nothing at all
  const [icmp] = trace(c.src, opts, vip!);
  assert.equal(icmp!.reached, false);
  assert.deepEqual(icmp!.hops.filter((h) => h.ip !== null), [], JSON.stringify(icmp!.hops));

  const [tcp] = trace(c.src, { ...opts, port: open }, vip!);
  assert.equal(tcp!.reached, true, JSON.stringify(tcp!.hops));
  assert.deepEqual(tcp!.hops.map((h) => h.ip), [...c.routerIps, vip], JSON.stringify(tcp!.hops));
  assert.deepEqual(tcp!.hops.map((h) => h.ttl), [1, 2, 3, 4]);
  assertHops(tcp!.hops, 3);
  // every probe answered: no round waited for its timeout
  assert.ok(tcp!.ms < opts.timeoutMs, `an answered TCP trace took ${tcp!.ms} ms`);

  const [shut] = trace(c.src, { ...opts, port: filtered }, vip!);
  assert.equal(shut!.reached, false);
  assert.deepEqual(shut!.hops.map((h) => h.ip), [...c.routerIps, null, null], JSON.stringify(shut!.hops));
  assert.deepEqual(shut!.hops.slice(3).map((h) => h.lost), [3, 3]);
  assert.ok(shut!.ms < opts.probesPerHop * opts.timeoutMs + 500, `a filtered TCP trace took ${shut!.ms} ms`);
});

test('ICMPv6 traceroute lists the IPv6 routers in order and reaches the VIP', async (t) => {
  if (skipUnless(t, { root: true, commands: ['ip', 'sysctl'] })) return;
  const lab = new NetLab('vwt6');
  t.after(() => lab.cleanup());
  const c = buildChain(lab, 3, ['198.19.1.1'], { ipv6: true });
  const [vip6] = c.vips6;
  const opts = { maxTtl: 8, probesPerHop: 3, timeoutMs: 400 };
  // the address written long-hand: results name hops in canonical form all the same
  const [line] = trace(c.src, opts, 'fd00:19:0:0::1');
  assert.equal(line!.reached, true, JSON.stringify(line!.hops));
  assert.deepEqual(line!.hops.map((h) => h.ip), [...c.routerIps6, vip6], JSON.stringify(line!.hops));
  assert.deepEqual(line!.hops.map((h) => h.ttl), [1, 2, 3, 4]);
  assertHops(line!.hops, 3);
});

test('TCP SYN traceroute over IPv6: the routers in order (ICMPv6 time exceeded), then the VIP by SYN-ACK or RST; a filtered port is not reached', async (t) => {
  if (skipUnless(t, { root: true, commands: ['ip', 'nft', 'sysctl'] })) return;
  const lab = new NetLab('vwt6t');
  t.after(() => lab.cleanup());
  const c = buildChain(lab, 3, ['198.19.1.1'], { ipv6: true });
  const [vip6] = c.vips6;
  const open = 8443;
  const closed = 8444;
  const filtered = 9;
  await listen(c.vip, vip6!, open);
  for (const r of c.routers) dropEcho(r);
  dropEcho(c.vip, [`tcp dport ${filtered} drop`]);
  // what the hops must be, written out here: the far side of links 0..2 (fd00:1:k::2), then the VIP
  const routers = ['fd00:1:0::2', 'fd00:1:1::2', 'fd00:1:2::2'].map((a) => new URL(`http://[${a}]/`).hostname.slice(1, -1));
  assert.deepEqual(routers, ['fd00:1::2', 'fd00:1:1::2', 'fd00:1:2::2']);

  const opts = { maxTtl: 8, probesPerHop: 3, timeoutMs: 400 };
  // ICMPv6 echo is filtered everywhere: the ICMP mode sees nothing at all
  const [icmp] = trace(c.src, opts, vip6!);
  assert.equal(icmp!.reached, false);
  assert.deepEqual(icmp!.hops.filter((h) => h.ip !== null), [], JSON.stringify(icmp!.hops));

  // the target written long-hand: hops in canonical form all the same; an open port answers SYN-ACK, a closed one RST
  const [synack, rst] = trace(c.src, { ...opts, port: open }, 'fd00:19:0:0::1').concat(trace(c.src, { ...opts, port: closed }, vip6!));
  for (const line of [synack!, rst!]) {
    assert.equal(line.reached, true, JSON.stringify(line.hops));
    assert.deepEqual(line.hops.map((h) => h.ip), [...routers, 'fd00:19::1'], JSON.stringify(line.hops));
    assert.deepEqual(line.hops.map((h) => h.ttl), [1, 2, 3, 4]);
    assertHops(line.hops, 3);
    assert.ok(line.ms < opts.timeoutMs, `an answered IPv6 TCP trace took ${line.ms} ms`);
  }

  const [shut] = trace(c.src, { ...opts, port: filtered }, vip6!);
  assert.equal(shut!.reached, false);
  assert.deepEqual(shut!.hops.map((h) => h.ip), [...routers, null, null], JSON.stringify(shut!.hops));
  assert.deepEqual(shut!.hops.slice(3).map((h) => h.lost), [3, 3]);
  assert.ok(shut!.ms < opts.probesPerHop * opts.timeoutMs + 500, `a filtered IPv6 TCP trace took ${shut!.ms} ms`);
});
