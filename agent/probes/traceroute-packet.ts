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
