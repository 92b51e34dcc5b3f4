// TCP SYN traceroute packets, IPv4 and IPv6: the SYN segment we send on a raw IPPROTO_TCP socket (the kernel adds the
// IP header; the TCP checksum covers a pseudo-header with both addresses, RFC 793 / RFC 8200 8.1), the target's
// SYN-ACK or RST as seen on that socket, and routers' ICMP errors quoting the SYN (its IP header and at least the
// first 8 bytes of TCP: ports and sequence number, RFC 792 / RFC 4443). A raw IPv4 socket delivers the IP header
// with the packet; a raw IPv6 socket delivers the payload only, the sender as the source address. Pure functions.
import { checksum } from './icmp-packet.js';
import { canonicalIPv6, DEST_UNREACHABLE, ipv6At, TIME_EXCEEDED, writeIPv6 } from './traceroute-packet.js';

const PROTO_TCP = 6;
const PROTO_ICMP = 1;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
const ICMP6_DEST_UNREACHABLE = 1;
const ICMP6_TIME_EXCEEDED = 3;

const ipv4 = (b: Buffer, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const writeIPv4 = (b: Buffer, at: number, a: string): void => { a.split('.').forEach((o, i) => { b[at + i] = Number(o); }); };

/** The pseudo-header the TCP checksum covers: IPv4 (12 bytes) or IPv6 (40 bytes), by the addresses' family. */
function pseudoHeader(src: string, dst: string, length: number): Buffer {
  if (src.includes(':')) {
    const h = Buffer.alloc(40);
    writeIPv6(h, 0, src);
    writeIPv6(h, 16, dst);
    h.writeUInt32BE(length, 32);
    h[39] = PROTO_TCP;
    return h;
  }
  const h = Buffer.alloc(12);
  writeIPv4(h, 0, src);
  writeIPv4(h, 4, dst);
  h[9] = PROTO_TCP;
  h.writeUInt16BE(length, 10);
  return h;
}

/** A 20-byte TCP SYN from src:sport to dst:dport (both IPv4 or both IPv6) with sequence number seq and a valid checksum. */
export function synSegment(src: string, dst: string, sport: number, dport: number, seq: number): Buffer {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(sport, 0);
  tcp.writeUInt16BE(dport, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp[12] = 5 << 4; // data offset: 5 words, no options
  tcp[13] = SYN;
  tcp.writeUInt16BE(64240, 14); // window, as Linux offers
  tcp.writeUInt16BE(checksum(Buffer.concat([pseudoHeader(src, dst, tcp.length), tcp])), 16);
  return tcp;
}

/** An answer to a SYN from the target: who sent it, to which of our ports, and which SYN it answers (ack - 1). */
export interface TcpAnswer { from: string; sport: number; dport: number; seq: number; kind: 'synack' | 'rst' }

/** The TCP segment at `at` as an answer from `from`; null unless a SYN-ACK or a RST-ACK (both acknowledge our SYN). */
function answerAt(b: Buffer, at: number, from: string): TcpAnswer | null {
  if (b.length < at + 20) return null;
  const flags = b[at + 13]!;
  if (!(flags & ACK)) return null;
  const kind = (flags & (SYN | RST)) === SYN ? 'synack' : flags & RST ? 'rst' : null;
  if (!kind) return null;
  return { from, sport: b.readUInt16BE(at), dport: b.readUInt16BE(at + 2), seq: (b.readUInt32BE(at + 8) - 1) >>> 0, kind };
}

/** Parses an IPv4 datagram seen on a raw TCP socket; null unless it is a SYN-ACK or a RST-ACK. */
export function parseTcpAnswer(b: Buffer): TcpAnswer | null {
  if (b.length < 40 || b[0]! >> 4 !== 4 || b[9] !== PROTO_TCP) return null;
  return answerAt(b, (b[0]! & 0x0f) * 4, ipv4(b, 12));
}

/** Parses a TCP segment from `from` seen on a raw IPv6 TCP socket; null unless it is a SYN-ACK or a RST-ACK. */
export function parseTcp6Answer(b: Buffer, from: string): TcpAnswer | null {
  return answerAt(b, 0, canonicalIPv6(from));
}

/** A router's (or the target's) ICMP error about one of our SYNs: who sent it and the SYN's source port, sequence and destination. */
export interface TcpQuote { kind: 'exceeded' | 'unreachable'; from: string; sport: number; seq: number; dst: string }

/** Parses an IPv4 datagram seen on a raw ICMP socket; null unless it is a time-exceeded or unreachable quoting a TCP segment. */
export function parseTcpQuote(b: Buffer): TcpQuote | null {
  if (b.length < 28 || b[0]! >> 4 !== 4 || b[9] !== PROTO_ICMP) return null;
  const ihl = (b[0]! & 0x0f) * 4;
  if (b.length < ihl + 8 || checksum(b, ihl) !== 0) return null;
  const type = b[ihl]!;
  if (type !== TIME_EXCEEDED && type !== DEST_UNREACHABLE) return null;
  const inner = ihl + 8;
  if (b.length < inner + 20 || b[inner]! >> 4 !== 4 || b[inner + 9] !== PROTO_TCP) return null;
  const tcp = inner + (b[inner]! & 0x0f) * 4;
  if (b.length < tcp + 8) return null;
  return {
    kind: type === TIME_EXCEEDED ? 'exceeded' : 'unreachable',
    from: ipv4(b, 12), sport: b.readUInt16BE(tcp), seq: b.readUInt32BE(tcp + 4), dst: ipv4(b, inner + 16),
  };
}

/**
 * Parses an ICMPv6 message from `from` seen on a raw ICMPv6 socket; null unless it is a time exceeded (3) or an
 * unreachable (1) quoting a TCP segment. Our SYNs carry no extension headers, so TCP follows the quoted IPv6 header.
 */
export function parseTcp6Quote(b: Buffer, from: string): TcpQuote | null {
  const inner = 8;
  const tcp = inner + 40;
  if (b.length < tcp + 8 || (b[0] !== ICMP6_TIME_EXCEEDED && b[0] !== ICMP6_DEST_UNREACHABLE)) return null;
  if (b[inner]! >> 4 !== 6 || b[inner + 6] !== PROTO_TCP) return null;
  return {
    kind: b[0] === ICMP6_TIME_EXCEEDED ? 'exceeded' : 'unreachable',
    from: canonicalIPv6(from), sport: b.readUInt16BE(tcp), seq: b.readUInt32BE(tcp + 4), dst: ipv6At(b, inner + 24),
  };
}
