// ICMP echo packets over IPv4 and IPv6: build, checksum, parse. Pure functions, shared by the ICMP probe and the test responder.
export const ECHO_REPLY = 0;
export const ECHO_REQUEST = 8;

/** The Internet checksum (RFC 1071) of buf[start, end). */
export function checksum(buf: Buffer, start = 0, end = buf.length): number {
  let sum = 0;
  for (let i = start; i + 1 < end; i += 2) sum += buf.readUInt16BE(i);
  if ((end - start) % 2) sum += buf[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An ICMP echo message (no IP header) with a valid checksum. */
export function echoMessage(type: number, id: number, seq: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b[0] = type;
  b.writeUInt16BE(id & 0xffff, 4);
  b.writeUInt16BE(seq & 0xffff, 6);
  payload.copy(b, 8);
  b.writeUInt16BE(checksum(b), 2);
  return b;
}

export interface EchoPacket { src: string; dst: string; type: number; id: number; seq: number; payload: Buffer }

const ipv4 = (b: Buffer, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** Parses an IPv4 datagram carrying an ICMP echo request or reply; null for anything else or a bad checksum. */
export function parseEcho(b: Buffer): EchoPacket | null {
  if (b.length < 20 || b[0]! >> 4 !== 4 || b[9] !== 1) return null;
  const ihl = (b[0]! & 0x0f) * 4;
  if (b.length < ihl + 8) return null;
  const type = b[ihl]!;
  if (type !== ECHO_REPLY && type !== ECHO_REQUEST) return null;
  if (checksum(b, ihl) !== 0) return null;
  return { src: ipv4(b, 12), dst: ipv4(b, 16), type, id: b.readUInt16BE(ihl + 4), seq: b.readUInt16BE(ihl + 6), payload: b.subarray(ihl + 8) };
}

/** A whole IPv4 datagram (for IP_HDRINCL sockets) around an ICMP message; the kernel fills in the IP checksum and id. */
export function ipv4Datagram(src: string, dst: string, icmp: Buffer, ttl = 64): Buffer {
  const b = Buffer.alloc(20 + icmp.length);
  b[0] = 0x45;
  b.writeUInt16BE(b.length, 2);
  b[8] = ttl;
  b[9] = 1;
  src.split('.').forEach((o, i) => { b[12 + i] = Number(o); });
  dst.split('.').forEach((o, i) => { b[16 + i] = Number(o); });
  icmp.copy(b, 20);
  return b;
}

// ICMPv6 (RFC 4443): on a raw ICMPv6 socket the kernel fills in the checksum (it covers a pseudo-header with both
// addresses) and delivers replies without the IPv6 header.
export const ECHO6_REQUEST = 128;
export const ECHO6_REPLY = 129;

/**
 * A reusable echo request whose sequence number is rewritten per send (the addon's sendto copies the bytes at once),
 * so a probe allocates no packet. For IPv4 the checksum is updated from a precomputed sum of the fixed words.
 */
export class EchoTemplate {
  readonly packet: Buffer;
  readonly #base: number;
  readonly #v6: boolean;

  constructor(family: 4 | 6, id: number, payload: Buffer) {
    this.#v6 = family === 6;
    this.packet = Buffer.alloc(8 + payload.length);
    this.packet[0] = this.#v6 ? ECHO6_REQUEST : ECHO_REQUEST;
    this.packet.writeUInt16BE(id & 0xffff, 4);
    payload.copy(this.packet, 8);
    this.#base = 0xffff & ~checksum(this.packet); // the one's-complement sum with seq 0 and checksum 0
  }

  /** Sets the sequence number (and for IPv4 the checksum); returns the packet. */
  withSeq(seq: number): Buffer {
    // byte stores, not writeUInt16BE: its bounds checks are ~4x the cost in lite mode, and this runs for every probe
    const p = this.packet;
    p[6] = (seq >>> 8) & 0xff;
    p[7] = seq & 0xff;
    if (!this.#v6) {
      let sum = this.#base + (seq & 0xffff);
      sum = (sum & 0xffff) + (sum >>> 16);
      p[2] = (~sum >>> 8) & 0xff;
      p[3] = ~sum & 0xff;
    }
    return p;
  }
}
