// The agent's ICMP socket addon (agent/native) on loopback: stamps (send before the kernel's receive stamps, both on the
// realtime clock), the kernel type filter, setTtl (read back from the IP header of our own request, which loopback
// delivers to a raw socket that accepts every type), IPv6, and its errors. Needs root (raw sockets) and a built addon
// (`npm run build`). The RTT agreement with fping is tested in icmp-fping.test.ts and measured by `npm run bench:rtt`.
// Also echo mode (the addon matching replies itself) and the TCP connector (tcp_connect.c) of the same addon.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ECHO6_REPLY, ECHO6_REQUEST, ECHO_REPLY, ECHO_REQUEST, echoMessage } from '../../agent/probes/icmp-packet.js';
import { icmpSocketClass, probeScheduleClass, tcpConnectorClass, type IcmpSocket } from '../../agent/native/icmp-socket.js';
import { createServer } from 'node:net';
import { freePort } from '../support/ports.js';
import { skipUnless } from '../support/env.js';

interface Got { type: number; ttl: number; id: number; bytes: number; source: string; at: bigint }

/** Opens a socket that records every datagram (parsed at once: the buffer is reused) */
function open(family: 4 | 6, accept: number[] | null): { s: IcmpSocket; got: Got[] } {
  const got: Got[] = [];
  const IcmpSocket = icmpSocketClass();
  const s = new IcmpSocket(family, accept, (buf, bytes, source, at) => {
    const ip = family === 4 ? (buf[0]! & 0x0f) * 4 : 0;
    got.push({ type: buf[ip]!, ttl: family === 4 ? buf[8]! : -1, id: buf.readUInt16BE(ip + 4), bytes, source, at });
  });
  return { s, got };
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const realtimeNs = () => BigInt(Date.now()) * 1_000_000n;

test('IPv4: the send stamp precedes the kernel receive stamps of our request and its reply; setTtl sets the IP TTL', async (t) => {
  if (skipUnless(t, { root: true })) return;
  const { s, got } = open(4, null);
  t.after(() => s.close());
  const id = 0x4a11;
  s.setTtl(7);
  const before = realtimeNs();
  const t0 = s.send(echoMessage(ECHO_REQUEST, id, 1, Buffer.alloc(56)), '127.0.0.1');
  await until(() => got.some((g) => g.id === id && g.type === ECHO_REPLY));
  const after = realtimeNs() + 1_000_000n;
  assert.ok(t0 >= before - 1_000_000n && t0 <= after, `the send stamp ${t0} is realtime ns (${before}..${after})`);
  const request = got.find((g) => g.id === id && g.type === ECHO_REQUEST);
  const reply = got.find((g) => g.id === id && g.type === ECHO_REPLY)!;
  assert.ok(request, 'with no filter, loopback hands us our own request');
  assert.equal(request.ttl, 7, 'the request left with the TTL set');
  assert.deepEqual([reply.source, reply.bytes], ['127.0.0.1', 20 + 8 + 56]);
  assert.ok(t0 <= request.at && request.at <= reply.at && reply.at <= after, `stamps in order: ${t0} <= ${request.at} <= ${reply.at} <= ${after}`);
  assert.ok(reply.at - t0 < 100_000_000n, `a loopback round trip is well under 100 ms (${reply.at - t0} ns)`);
});

test('IPv4: the kernel filter passes only the accepted types', async (t) => {
  if (skipUnless(t, { root: true })) return;
  const { s, got } = open(4, [ECHO_REPLY]);
  t.after(() => s.close());
  const id = 0x4a12;
  for (let seq = 0; seq < 3; seq++) s.send(echoMessage(ECHO_REQUEST, id, seq, Buffer.alloc(8)), '127.0.0.1');
  await until(() => got.filter((g) => g.id === id).length >= 3);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(got.filter((g) => g.id === id).map((g) => g.type), [ECHO_REPLY, ECHO_REPLY, ECHO_REPLY], 'no requests, three replies');
});

test('IPv6: echo over ::1 with the kernel filling in the checksum; replies come without the IP header', async (t) => {
  if (skipUnless(t, { root: true })) return;
  const { s, got } = open(6, [ECHO6_REPLY]);
  t.after(() => s.close());
  const id = 0x4a13;
  s.setTtl(9); // IPV6_UNICAST_HOPS: accepted
  let t0: bigint;
  try {
    t0 = s.send(echoMessage(ECHO6_REQUEST, id, 1, Buffer.alloc(56)), '::1');
  } catch (e) {
    if (/EADDRNOTAVAIL|ENETUNREACH/.test((e as NodeJS.ErrnoException).code ?? '')) return t.skip(`no IPv6 loopback here: ${(e as Error).message}`);
    throw e;
  }
  await until(() => got.some((g) => g.id === id));
  const r = got.find((g) => g.id === id)!;
  assert.deepEqual([r.type, r.source, r.bytes], [ECHO6_REPLY, '::1', 8 + 56]);
  assert.ok(r.at >= t0);
});

test('bad input and a closed socket are errors that say what was wrong', (t) => {
  if (skipUnless(t, { root: true })) return;
  const IcmpSocket = icmpSocketClass();
  assert.throws(() => new IcmpSocket(5 as 4, null, () => {}), /family must be 4 or 6/);
  assert.throws(() => new IcmpSocket(4, [40], () => {}), /not an ICMP type/);
  const { s } = open(4, [ECHO_REPLY]);
  assert.throws(() => s.send(Buffer.alloc(16), '::1'), /"::1" is not an IPv4 address/);
  assert.throws(() => s.setTtl(0), /1\.\.255/);
  s.close();
  s.close();
  assert.throws(() => s.send(Buffer.alloc(16), '127.0.0.1'), /closed/);
});

test('without CAP_NET_RAW the socket cannot be opened: EPERM', (t) => {
  if (skipUnless(t, { root: true, commands: ['setpriv'] })) return;
  const addon = fileURLToPath(new URL('../../agent/native/build/Release/icmp_socket.node', import.meta.url));
  const js = `try { new (require(${JSON.stringify(addon)}).IcmpSocket)(4, null, () => {}); console.log('opened') } catch (e) { console.log(e.code, e.message) }`;
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', process.execPath, '-e', js], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'EPERM socket: Operation not permitted');
});

test('echo mode: only replies to our identifier, nonce, sequence number and address are matched, once, with an RTT', async (t) => {
  if (skipUnless(t, { root: true })) return;
  const IcmpSocket = icmpSocketClass();
  const s = new IcmpSocket(4, [ECHO_REPLY], () => assert.fail('onPacket is not called in echo mode'));
  t.after(() => s.close());
  const id = 0x4a21;
  const nonce = Buffer.from('0123456789abcdef', 'hex');
  const got: [number, number][] = [];
  s.echoMode(id, nonce, (n) => { for (let i = 0; i < n; i++) got.push([s.seqs![i]!, s.rtts![i]!]); });
  const payload = Buffer.concat([nonce, Buffer.alloc(48)]);
  s.sendEcho(echoMessage(ECHO_REQUEST, id, 5, payload), '127.0.0.1', 5);
  s.sendEcho(echoMessage(ECHO_REQUEST, id, 6, payload), '127.0.0.1', 6);
  // not ours: another nonce; a sequence number never sent (the kernel answers it all the same); another identifier
  s.sendEcho(echoMessage(ECHO_REQUEST, id, 7, Buffer.alloc(56)), '127.0.0.1', 7);
  s.send(echoMessage(ECHO_REQUEST, id, 8, payload), '127.0.0.1');
  s.sendEcho(echoMessage(ECHO_REQUEST, id + 1, 9, payload), '127.0.0.1', 9);
  // sent to 127.0.0.2 but recorded under seq 10 as gone to 127.0.0.1: the reply's source does not match
  const other = echoMessage(ECHO_REQUEST, id, 10, payload);
  s.sendEcho(other, '127.0.0.1', 11);
  s.send(other, '127.0.0.2');
  await until(() => got.length >= 2);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(got.map(([seq]) => seq).sort(), [5, 6]);
  for (const [, rtt] of got) assert.ok(rtt >= 0 && rtt < 100, `a loopback RTT in ms: ${rtt}`);
  assert.equal(s.seqSpace, 16384);
  assert.throws(() => s.sendEcho(payload, '127.0.0.1', 16384), /below seqSpace/);
  assert.throws(() => s.sendEcho(payload, 'nowhere', 1), /not an IPv4 address/);
});

test('TCP connector: a listening port connects with an RTT, a refused one fails, an aborted one never reports', async (t) => {
  const Connector = tcpConnectorClass();
  assert.ok(Connector, 'the addon has the TCP connector (npm run build)');
  let accepted = 0;
  const server = createServer((c) => { accepted++; c.on('error', () => {}); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  const port = (server.address() as { port: number }).port;
  const done = new Map<number, number>();
  const c = new Connector((n) => { for (let i = 0; i < n; i++) done.set(c.ids[i]!, c.rtts[i]!); });
  t.after(() => c.close());
  const ok = c.connect('127.0.0.1', port);
  const ok6 = c.connect('::1', port); // nothing on ::1: refused (or no IPv6: lost at once, -1)
  const refused = c.connect('127.0.0.1', await freePort());
  await until(() => done.has(ok) && done.has(refused) && (ok6 < 0 || done.has(ok6)));
  assert.ok(done.get(ok)! >= 0 && done.get(ok)! < 100, `connected, RTT ${done.get(ok)} ms`);
  assert.equal(done.get(refused), -1, 'refused: failed');
  if (ok6 >= 0) assert.equal(done.get(ok6), -1);
  const aborted = c.connect('127.0.0.1', port);
  c.abort(aborted);
  done.clear();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(done.size, 0, 'an aborted probe reports nothing');
  await until(() => accepted >= 1);
  assert.throws(() => c.connect('nowhere', port), /not an IP address/);
  assert.throws(() => c.connect('127.0.0.1', 0), /port 1\.\.65535/);
});

test('TCP connector: one socket serves probe after probe (refused and aborted ones too); each connection ends in a reset', async (t) => {
  const Connector = tcpConnectorClass()!;
  let accepted = 0;
  const server = createServer((c) => { accepted++; c.on('error', () => {}); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  const port = (server.address() as { port: number }).port;
  const closed = await freePort();
  const done = new Map<number, number>();
  const c = new Connector((n) => { for (let i = 0; i < n; i++) done.set(c.ids[i]!, c.rtts[i]!); });
  t.after(() => c.close());
  // the socket behind an id: the same inode from probe to probe when it is kept, a new one when it is made again
  const inode = (id: number) => readlinkSync(`/proc/self/fd/${id}`);
  const inodes = new Set<string>();
  const results: number[] = [];
  const ROUNDS = 30;
  for (let i = 0; i < ROUNDS; i++) {
    // every third round a refused port; every fifth, first a probe given up at once: its socket, idle, is woken by
    // the disconnect, and that is not a result
    if (i % 5 === 4) {
      const given = c.connect('127.0.0.1', port);
      inodes.add(inode(given));
      c.abort(given);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(done.has(given), false, `round ${i}: the probe given up reported ${done.get(given)}`);
    }
    const id = c.connect('127.0.0.1', i % 3 === 2 ? closed : port);
    assert.ok(id >= 0, `round ${i}: started`);
    inodes.add(inode(id));
    await until(() => done.has(id));
    results.push(done.get(id)!);
    done.delete(id);
  }
  assert.equal(done.size, 0, 'nothing reported beyond the probes awaited (an aborted probe or an idle socket never reports)');
  const refusedRounds = Array.from({ length: ROUNDS }, (_, i) => i).filter((i) => i % 3 === 2);
  assert.deepEqual(results.flatMap((r, i) => (r < 0) !== refusedRounds.includes(i) ? [`round ${i}: ${r}`] : []), [], 'the listening port connects, the closed one is refused, every round');
  assert.equal(inodes.size, 1, `one socket for all ${ROUNDS + Math.floor(ROUNDS / 5)} probes, not one each (${inodes.size} sockets)`);
  await until(() => accepted >= ROUNDS - refusedRounds.length);
  // a reset, not a FIN: no connection of ours lingers in TIME_WAIT or FIN-WAIT
  const lingering = spawnSync('ss', ['-Htn', 'state', 'time-wait', 'state', 'fin-wait-1', 'state', 'fin-wait-2', `dport = :${port}`], { encoding: 'utf8' });
  assert.equal(lingering.status, 0, lingering.stderr);
  assert.equal(lingering.stdout.trim(), '', 'no connection to the port waits out a close');
});

test('schedule: the tick is shortened when a tick\'s echo replies at the rate cap would not fit the receive buffer', (t) => {
  if (skipUnless(t, { root: true })) return;
  const Schedule = probeScheduleClass()!;
  const ok = new Schedule(() => {}, 60_000, 2000, 50, 500);
  // 500 probes/s: 25 replies a tick, far below what the default buffer (net.core.rmem_default) holds
  assert.equal(ok.tickMs, 50);
  ok.close();
  // 200,000 probes/s: 10,000 replies in a 50 ms tick. The schedule asks for 2 KiB a reply (at most 4 MiB); the kernel
  // grants min(asked, net.core.rmem_max), doubled, and the tick becomes what half of that holds at 1 KiB a reply
  const perSec = 200_000;
  const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
  const granted = Math.min(Math.min(4 << 20, perSec * 0.05 * 2048), rmemMax) * 2;
  const fast = new Schedule(() => {}, 60_000, 2000, 50, perSec);
  assert.equal(fast.tickMs, Math.max(1, Math.min(50, Math.floor((granted / 2048 / perSec) * 1000))), `rmem_max ${rmemMax}`);
  assert.ok(fast.tickMs < 50);
  fast.close();
});
