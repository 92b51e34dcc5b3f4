// TCP SYN traceroute packets (IPv4): the SYN segment we send on a raw IPPROTO_TCP socket (the kernel adds the IP
// header; the TCP checksum covers a pseudo-header with both addresses, RFC 793), the target's SYN-ACK or RST as seen
// on that socket (with its IP header), and routers' ICMP errors quoting the SYN (its IP header and the first 8 bytes
// of TCP: ports and sequence number, RFC 792). Pure functions.
import { checksum } from './icmp-packet.js';
import { DEST_UNREACHABLE, TIME_EXCEEDED } from './traceroute-packet.js';

const PROTO_TCP = 6;
const PROTO_ICMP = 1;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

const ipv4 = (b: Buffer, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const writeIPv4 = (b: Buffer, at: number, a: string): void => { a.split('.').forEach((o, i) => { b[at + i] = Number(o); }); };

/** A 20-byte TCP SYN from src:sport to dst:dport with sequence number seq and a valid checksum. */
export function synSegment(src: string, dst: string, sport: number, dport: number, seq: number): Buffer {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(sport, 0);
  tcp.writeUInt16BE(dport, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp[12] = 5 << 4; // data offset: 5 words, no options
  tcp[13] = SYN;
  tcp.writeUInt16BE(64240, 14); // window, as Linux offers
  // pseudo-header (source, destination, zero, protocol, TCP length) followed by the segment
  const sum = Buffer.alloc(12 + tcp.length);
  writeIPv4(sum, 0, src);
  writeIPv4(sum, 4, dst);
  sum[9] = PROTO_TCP;
  sum.writeUInt16BE(tcp.length, 10);
  tcp.copy(sum, 12);
  tcp.writeUInt16BE(checksum(sum), 16);
  return tcp;
}

/** An answer to a SYN from the target: who sent it, to which of our ports, and which SYN it answers (ack - 1). */
export interface TcpAnswer { from: string; sport: number; dport: number; seq: number; kind: 'synack' | 'rst' }

/** Parses an IPv4 datagram seen on a raw TCP socket; null unless it is a SYN-ACK or a RST-ACK (both acknowledge our SYN). */
export function parseTcpAnswer(b: Buffer): TcpAnswer | null {
  if (b.length < 40 || b[0]! >> 4 !== 4 || b[9] !== PROTO_TCP) return null;
  const ihl = (b[0]! & 0x0f) * 4;
  if (b.length < ihl + 20) return null;
  const flags = b[ihl + 13]!;
  if (!(flags & ACK)) return null;
  const kind = (flags & (SYN | RST)) === SYN ? 'synack' : flags & RST ? 'rst' : null;
  if (!kind) return null;
  return { from: ipv4(b, 12), sport: b.readUInt16BE(ihl), dport: b.readUInt16BE(ihl + 2), seq: (b.readUInt32BE(ihl + 8) - 1) >>> 0, kind };
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
