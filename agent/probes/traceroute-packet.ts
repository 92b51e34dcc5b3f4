// What comes back to an ICMP traceroute (IPv4): echo replies from the target, and time-exceeded / unreachable
// errors from routers, which quote the IP header and the first 8 bytes of our echo request (RFC 792), so the
// request is found again by its identifier and sequence number. Pure functions.
import { checksum, ECHO_REPLY, ECHO_REQUEST } from './icmp-packet.js';

export const DEST_UNREACHABLE = 3;
export const TIME_EXCEEDED = 11;

export interface TraceReply {
  /** 'reply': the target answered; 'exceeded': a router on the way; 'unreachable': someone says no route */
  kind: 'reply' | 'exceeded' | 'unreachable';
  /** who sent this packet */
  from: string;
  /** the echo request it answers: identifier, sequence number, and where that request was going */
  id: number;
  seq: number;
  dst: string;
}

const ipv4 = (b: Buffer, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** Parses an IPv4 datagram as seen on a raw ICMP socket; null for anything that is not an answer to an echo request. */
export function parseTraceReply(b: Buffer): TraceReply | null {
  if (b.length < 28 || b[0]! >> 4 !== 4 || b[9] !== 1) return null;
  const ihl = (b[0]! & 0x0f) * 4;
  if (b.length < ihl + 8 || checksum(b, ihl) !== 0) return null;
  const type = b[ihl]!;
  const from = ipv4(b, 12);
  if (type === ECHO_REPLY) return { kind: 'reply', from, id: b.readUInt16BE(ihl + 4), seq: b.readUInt16BE(ihl + 6), dst: from };
  if (type !== TIME_EXCEEDED && type !== DEST_UNREACHABLE) return null;
  // the quoted request: its IP header, then at least 8 bytes of its ICMP header
  const inner = ihl + 8;
  if (b.length < inner + 20 || b[inner]! >> 4 !== 4 || b[inner + 9] !== 1) return null;
  const innerIhl = (b[inner]! & 0x0f) * 4;
  const icmp = inner + innerIhl;
  if (b.length < icmp + 8 || b[icmp] !== ECHO_REQUEST) return null;
  return {
    kind: type === TIME_EXCEEDED ? 'exceeded' : 'unreachable',
    from, id: b.readUInt16BE(icmp + 4), seq: b.readUInt16BE(icmp + 6), dst: ipv4(b, inner + 16),
  };
}

// ICMPv6 (RFC 4443): a raw ICMPv6 socket delivers the message without the IPv6 header, the sender as the source
// address. Errors (time exceeded 3, unreachable 1) quote the request's IPv6 header (40 bytes) and then its ICMPv6
// header; our requests carry no extension headers, so the echo request follows the quoted header at once.
const ICMP6_DEST_UNREACHABLE = 1;
const ICMP6_TIME_EXCEEDED = 3;
const ECHO6_REQUEST = 128;
const ECHO6_REPLY = 129;
const NEXT_HEADER_ICMP6 = 58;

/** An IPv6 address in its canonical text form (RFC 5952), so addresses from the kernel and from jobs compare equal. */
export function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

export function ipv6At(b: Buffer, at: number): string {
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(at + i).toString(16));
  return canonicalIPv6(words.join(':'));
}

/** Writes an IPv6 address's 16 bytes at `at` (the canonical form has no dotted quad: URL writes it in hex). */
export function writeIPv6(b: Buffer, at: number, address: string): void {
  const [head, tail] = canonicalIPv6(address).split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  words.forEach((w, i) => b.writeUInt16BE(parseInt(w, 16), at + 2 * i));
}

/** Parses an ICMPv6 message from `from` (as seen on a raw ICMPv6 socket); null for anything that is not an answer to an echo request. */
export function parseTrace6Reply(b: Buffer, from: string): TraceReply | null {
  if (b.length < 8) return null;
  const type = b[0]!;
  if (type === ECHO6_REPLY) return { kind: 'reply', from: canonicalIPv6(from), id: b.readUInt16BE(4), seq: b.readUInt16BE(6), dst: canonicalIPv6(from) };
  if (type !== ICMP6_TIME_EXCEEDED && type !== ICMP6_DEST_UNREACHABLE) return null;
  const inner = 8;
  const echo = inner + 40;
  if (b.length < echo + 8 || b[inner]! >> 4 !== 6 || b[inner + 6] !== NEXT_HEADER_ICMP6 || b[echo] !== ECHO6_REQUEST) return null;
  return {
    kind: type === ICMP6_TIME_EXCEEDED ? 'exceeded' : 'unreachable',
    from: canonicalIPv6(from), id: b.readUInt16BE(echo + 4), seq: b.readUInt16BE(echo + 6), dst: ipv6At(b, inner + 24),
  };
}
