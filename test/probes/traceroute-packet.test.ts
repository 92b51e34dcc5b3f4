// The traceroute modes' packets, built and parsed without a network: the SYN's checksum (TCP pseudo-header), the
// target's SYN-ACK / RST, a router's time exceeded quoting a SYN, ICMPv6 answers, and the source-port block choice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checksum } from '../../agent/probes/icmp-packet.js';
import { pickPortBlock } from '../../agent/probes/traceroute-tcp.js';
import { parseTcp6Answer, parseTcp6Quote, parseTcpAnswer, parseTcpQuote, synSegment } from '../../agent/probes/traceroute-tcp-packet.js';
import { canonicalIPv6, parseTrace6Reply } from '../../agent/probes/traceroute-packet.js';

const ip4 = (a: string) => Buffer.from(a.split('.').map(Number));

/** An IPv4 header (no options) for protocol `proto` from src to dst around `body`. */
function ipv4(src: string, dst: string, proto: number, body: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45; h.writeUInt16BE(20 + body.length, 2); h[8] = 1; h[9] = proto;
  ip4(src).copy(h, 12); ip4(dst).copy(h, 16);
  return Buffer.concat([h, body]);
}

test('a SYN checksums to zero with its pseudo-header and carries ports, sequence and the SYN flag only', () => {
  const syn = synSegment('198.18.1.1', '198.19.1.1', 61001, 443, 0xdeadbeef);
  const pseudo = Buffer.concat([ip4('198.18.1.1'), ip4('198.19.1.1'), Buffer.from([0, 6, 0, syn.length]), syn]);
  assert.equal(checksum(pseudo), 0);
  assert.deepEqual([syn.readUInt16BE(0), syn.readUInt16BE(2), syn.readUInt32BE(4), syn[13]], [61001, 443, 0xdeadbeef, 0x02]);
  // a different source address gives a different checksum: the pseudo-header counts
  assert.notEqual(synSegment('198.18.1.5', '198.19.1.1', 61001, 443, 0xdeadbeef).readUInt16BE(16), syn.readUInt16BE(16));
});

test('the target\'s SYN-ACK and RST-ACK name the SYN they answer (ack - 1); a bare ACK or SYN is not an answer', () => {
  const answer = (flags: number, ack: number) => {
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(443, 0); tcp.writeUInt16BE(61001, 2); tcp.writeUInt32BE(ack, 8); tcp[12] = 0x50; tcp[13] = flags;
    return parseTcpAnswer(ipv4('198.19.1.1', '198.18.1.1', 6, tcp));
  };
  assert.deepEqual(answer(0x12, 0xdeadbef0), { from: '198.19.1.1', sport: 443, dport: 61001, seq: 0xdeadbeef, kind: 'synack' });
  assert.deepEqual(answer(0x14, 0), { from: '198.19.1.1', sport: 443, dport: 61001, seq: 0xffffffff, kind: 'rst' });
  assert.equal(answer(0x10, 5), null);
  assert.equal(answer(0x02, 5), null);
});

test('a time exceeded quoting our SYN gives back its source port, sequence and destination', () => {
  const syn = synSegment('198.18.1.1', '198.19.1.1', 61003, 443, 77);
  const quoted = ipv4('198.18.1.1', '198.19.1.1', 6, syn.subarray(0, 8));
  const icmp = Buffer.concat([Buffer.from([11, 0, 0, 0, 0, 0, 0, 0]), quoted]);
  icmp.writeUInt16BE(checksum(icmp), 2);
  assert.deepEqual(parseTcpQuote(ipv4('198.18.1.6', '198.18.1.1', 1, icmp)),
    { kind: 'exceeded', from: '198.18.1.6', sport: 61003, seq: 77, dst: '198.19.1.1' });
  icmp.writeUInt8(icmp[5]! ^ 1, 5); // a broken checksum is not an answer
  assert.equal(parseTcpQuote(ipv4('198.18.1.6', '198.18.1.1', 1, icmp)), null);
});

test('ICMPv6: an echo reply and a time exceeded quoting an echo request are matched by identifier and sequence', () => {
  assert.deepEqual(parseTrace6Reply(Buffer.from([129, 0, 0, 0, 0x12, 0x34, 0, 7]), 'fd00:19:0::1'),
    { kind: 'reply', from: 'fd00:19::1', id: 0x1234, seq: 7, dst: 'fd00:19::1' });
  const quote = Buffer.alloc(8 + 40 + 8);
  quote[0] = 3; quote[8] = 0x60; quote[8 + 6] = 58;
  quote.writeUInt16BE(0xfd00, 8 + 24); quote.writeUInt16BE(0x19, 8 + 26); quote.writeUInt16BE(1, 8 + 38);
  quote[48] = 128; quote.writeUInt16BE(0x1234, 52); quote.writeUInt16BE(9, 54);
  assert.deepEqual(parseTrace6Reply(quote, 'fd00:1:1::2'), { kind: 'exceeded', from: 'fd00:1:1::2', id: 0x1234, seq: 9, dst: 'fd00:19::1' });
  quote[8 + 6] = 6; // quoting a TCP segment: not ours
  assert.equal(parseTrace6Reply(quote, 'fd00:1:1::2'), null);
  assert.equal(canonicalIPv6('FD00:0000:0:0::0001'), 'fd00::1');
});

test('IPv6: a SYN checksums to zero with the 40-byte pseudo-header; the SYN-ACK, RST and a time exceeded quoting it are matched', () => {
  // fd00:1:0::1 -> fd00:19::1, written out byte by byte (not with the code under test)
  const src = Buffer.from('fd000001000000000000000000000001', 'hex');
  const dst = Buffer.from('fd000019000000000000000000000001', 'hex');
  const syn = synSegment('fd00:1:0::1', 'FD00:19::1', 61005, 443, 0xcafe0001);
  const pseudo = Buffer.concat([src, dst, Buffer.from([0, 0, 0, syn.length, 0, 0, 0, 6]), syn]);
  assert.equal(checksum(pseudo), 0);
  assert.deepEqual([syn.readUInt16BE(0), syn.readUInt16BE(2), syn.readUInt32BE(4), syn[13]], [61005, 443, 0xcafe0001, 0x02]);
  // the IPv4 pseudo-header would give another sum: the family counts
  assert.notEqual(synSegment('fd00:1::2', 'fd00:19::1', 61005, 443, 0xcafe0001).readUInt16BE(16), syn.readUInt16BE(16));

  // a raw IPv6 socket delivers the segment alone, the sender beside it
  const answer = (flags: number, ack: number) => {
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(443, 0); tcp.writeUInt16BE(61005, 2); tcp.writeUInt32BE(ack, 8); tcp[12] = 0x50; tcp[13] = flags;
    return parseTcp6Answer(tcp, 'fd00:19:0:0::1');
  };
  assert.deepEqual(answer(0x12, 0xcafe0002), { from: 'fd00:19::1', sport: 443, dport: 61005, seq: 0xcafe0001, kind: 'synack' });
  assert.deepEqual(answer(0x14, 0xcafe0002), { from: 'fd00:19::1', sport: 443, dport: 61005, seq: 0xcafe0001, kind: 'rst' });
  assert.equal(answer(0x02, 5), null);
  assert.equal(parseTcp6Answer(Buffer.alloc(19), 'fd00:19::1'), null);

  // ICMPv6 time exceeded (3): 8 bytes of header, the SYN's IPv6 header (next header 6), then the SYN's first bytes
  const ip6 = Buffer.alloc(40);
  ip6[0] = 0x60; ip6.writeUInt16BE(20, 4); ip6[6] = 6; ip6[7] = 1; src.copy(ip6, 8); dst.copy(ip6, 24);
  const quote = Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), ip6, syn.subarray(0, 8)]);
  assert.deepEqual(parseTcp6Quote(quote, 'fd00:1:1::2'), { kind: 'exceeded', from: 'fd00:1:1::2', sport: 61005, seq: 0xcafe0001, dst: 'fd00:19::1' });
  quote[0] = 1;
  assert.equal(parseTcp6Quote(quote, 'fd00:1:2::2')?.kind, 'unreachable');
  quote[0] = 3;
  assert.equal(parseTcp6Quote(quote.subarray(0, 55), 'fd00:1:1::2'), null); // less than the 8 TCP bytes
  quote[0] = 129; // an echo reply is not about a SYN
  assert.equal(parseTcp6Quote(quote, 'fd00:1:1::2'), null);
  quote[0] = 3; quote[8 + 6] = 58; // quoting an ICMPv6 echo request: the ICMP mode's, not ours
  assert.equal(parseTcp6Quote(quote, 'fd00:1:1::2'), null);
});

test('the source-port block lies outside the ephemeral range and avoids ports in use and blocks under way', () => {
  const used = new Set([61000, 61010]);
  const taken = new Set([61020]);
  for (const r of [0, 0.3, 0.99]) {
    const start = pickPortBlock(8, [32768, 60999], used, taken, r)!;
    assert.ok(start >= 61000 && start + 8 - 1 <= 65535, `block ${start}`);
    for (let p = start; p < start + 8; p++) assert.ok(!used.has(p) && !taken.has(p), `port ${p} of block ${start}`);
  }
  // no room above the range: below it, above 20000
  const low = pickPortBlock(8, [32768, 65530], new Set(), new Set(), 0.5)!;
  assert.ok(low >= 20000 && low + 8 <= 32768, `block ${low}`);
});
