// ICMP echo over raw sockets (the raw-socket addon net-ping is built on), IPv4 and IPv6, timed with process.hrtime.
// Timing follows fping: the send time is taken just before sendto(); the reply time is the first thing done when the
// socket turns readable (fping 5 reads the kernel's receive stamp, SO_TIMESTAMPNS; the addon has no recvmsg, so the
// earliest a script can stamp is the addon's readable event, before its recvfrom). Nothing runs between the poll and
// the stamp: the addon's own 'message' path (EventEmitter hop, Buffer.slice per packet) is bypassed, the kernel filters
// out every ICMP type but echo replies (ICMP_FILTER / ICMP6_FILTER: fewer wake-ups, and on loopback our own requests
// never reach us), and a probe allocates no packet (one template per socket, sequence rewritten in place).
// Requests go out through the addon's native send directly: Socket.send() would queue each one and switch the poll to
// writable and back, two extra syscalls and loop turns per probe; a raw ICMP send does not block.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { AddressFamily, createSocket, Protocol, type Socket } from 'raw-socket';
import { canonicalIp } from '../../core/ip.js';
import { checksum, ECHO6_REPLY, ECHO_REPLY, EchoTemplate } from './icmp-packet.js';
import { ProbeUnavailableError, type ProbeMethod, type ProbeTarget } from './method.js';

/** What to tell an operator when raw ICMP is not allowed. */
export const ICMP_PERMISSION_HELP =
  'ICMP probing needs root or CAP_NET_RAW (raw sockets). Run the agent as root, or grant the capability to node: ' +
  '`setcap cap_net_raw+ep "$(readlink -f "$(command -v node)")"` (or AmbientCapabilities=CAP_NET_RAW in its systemd unit).';

interface Pending { address: string; t0: bigint; timer: NodeJS.Timeout; done: (rtt: number | null) => void }

/** Payload bytes after the 8-byte ICMP header, as ping and fping send by default. */
const PAYLOAD_BYTES = 56;
const NONCE_BYTES = 8;
const NOOP = () => {};
// <linux/icmp.h> ICMP_FILTER on level SOL_RAW: a bit set blocks that type; <netinet/icmp6.h> ICMP6_FILTER likewise
const SOL_RAW = 255;
const ICMP_FILTER = 1;
const IPPROTO_ICMPV6 = 58;
const ICMP6_FILTER = 1;

/** One raw socket of one address family: its request template and the kernel filter that passes echo replies only. */
class EchoSocket {
  readonly socket: Socket;
  readonly template: EchoTemplate;
  readonly v6: boolean;

  constructor(family: 4 | 6, id: number, payload: Buffer, onReadable: (s: EchoSocket) => void, onError: () => void) {
    this.v6 = family === 6;
    this.socket = family === 6
      ? createSocket({ protocol: Protocol.ICMPv6, addressFamily: AddressFamily.IPv6, bufferSize: 16 })
      : createSocket({ protocol: Protocol.ICMP, bufferSize: 16 });
    this.template = new EchoTemplate(family, id, payload);
    if (family === 6) {
      const f = Buffer.alloc(32, 0xff); // struct icmp6_filter: 256 bits, host order words
      f.writeUInt32LE(~(1 << (ECHO6_REPLY & 31)) >>> 0, 4 * (ECHO6_REPLY >> 5));
      this.socket.setOption(IPPROTO_ICMPV6, ICMP6_FILTER, f, f.length);
    } else {
      const f = Buffer.alloc(4);
      f.writeUInt32LE(~(1 << ECHO_REPLY) >>> 0);
      this.socket.setOption(SOL_RAW, ICMP_FILTER, f, f.length);
    }
    // take over the readable event from the addon's JS wrapper (which would read, slice and re-emit first)
    this.socket.wrap.removeAllListeners('recvReady');
    this.socket.wrap.on('recvReady', () => onReadable(this));
    this.socket.on('error', onError);
  }
}

export class IcmpProbe implements ProbeMethod {
  readonly name = 'icmp' as const;
  readonly #v4: EchoSocket;
  /** null with the reason when this machine cannot open an ICMPv6 socket (no IPv6 in the kernel) */
  readonly #v6: EchoSocket | null = null;
  readonly #v6Error: string | null = null;
  /** Echo identifier and payload nonce of this probe: a raw socket sees every echo reply of the host. */
  readonly #id: number;
  readonly #nonce: Buffer;
  readonly #pending = new Map<number, Pending>();
  /** one receive buffer, reused: replies are parsed in place */
  readonly #rbuf = Buffer.alloc(2048);
  /** reply time and socket of the read under way (set just before recvfrom, read in its callback) */
  #t1 = 0n;
  #reading: EchoSocket | null = null;
  /** canonical text of IPv6 targets (the kernel reports sources in compressed form) */
  readonly #canonical6 = new Map<string, string>();
  #seq = 0;
  #closed = false;

  constructor() {
    const r = randomBytes(2 + NONCE_BYTES);
    this.#id = r.readUInt16BE(0);
    this.#nonce = r.subarray(2);
    const payload = Buffer.alloc(PAYLOAD_BYTES); // the nonce, then zeros
    this.#nonce.copy(payload);
    const onReadable = (s: EchoSocket) => this.#onReadable(s);
    const onError = () => this.#failAll();
    try {
      this.#v4 = new EchoSocket(4, this.#id, payload, onReadable, onError);
    } catch (e) {
      const msg = (e as Error).message;
      throw /not permitted|EPERM|EACCES|permission/i.test(msg)
        ? new ProbeUnavailableError('icmp', `${ICMP_PERMISSION_HELP} (raw socket: ${msg})`)
        : e;
    }
    try {
      this.#v6 = new EchoSocket(6, this.#id, payload, onReadable, onError);
    } catch (e) {
      this.#v6Error = `icmp: no ICMPv6 socket on this machine (${(e as Error).message})`;
    }
  }

  probe(target: ProbeTarget, timeoutMs: number): Promise<number | null> {
    if (this.#closed) return Promise.resolve(null);
    const family = isIP(target.address);
    if (family === 0) return Promise.reject(new Error(`icmp: ${JSON.stringify(target.address)} is not an IP address`));
    const s = family === 6 ? this.#v6 : this.#v4;
    if (!s) return Promise.reject(new Error(this.#v6Error!));
    const seq = this.#nextSeq();
    if (seq === null) return Promise.resolve(null);
    const address = family === 6 ? this.#canonical(target.address) : target.address;
    const packet = s.template.withSeq(seq);
    return new Promise((resolve) => {
      const p: Pending = { address, t0: 0n, timer: setTimeout(this.#expire, timeoutMs, seq), done: resolve };
      this.#pending.set(seq, p);
      try {
        p.t0 = process.hrtime.bigint();
        s.socket.wrap.send(packet, 0, packet.length, address, NOOP);
      } catch {
        // no route, buffer full...: the probe went nowhere, it is lost
        this.#finish(seq, null);
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll();
    this.#v4.socket.close();
    this.#v6?.socket.close();
  }

  /** The next free sequence number; null when all 65,536 are in flight (then the probe counts as lost). */
  #nextSeq(): number | null {
    for (let i = 0; i < 0x10000; i++) {
      this.#seq = (this.#seq + 1) & 0xffff;
      if (!this.#pending.has(this.#seq)) return this.#seq;
    }
    return null;
  }

  #canonical(address: string): string {
    let c = this.#canonical6.get(address);
    if (c === undefined) {
      if (this.#canonical6.size > 100_000) this.#canonical6.clear();
      c = canonicalIp(address);
      this.#canonical6.set(address, c);
    }
    return c;
  }

  readonly #expire = (seq: number): void => this.#finish(seq, null);

  #onReadable(s: EchoSocket): void {
    this.#t1 = process.hrtime.bigint();
    this.#reading = s;
    try {
      s.socket.wrap.recv(this.#rbuf, this.#onPacket);
    } catch {
      // EAGAIN: another reader of the same event took it
    }
  }

  readonly #onPacket = (buf: Buffer, bytes: number, source: string): void => {
    const v6 = this.#reading!.v6;
    // IPv4 raw sockets deliver the IP header, IPv6 ones do not
    const at = v6 ? 0 : (buf[0]! & 0x0f) * 4;
    if (bytes < at + 8 + NONCE_BYTES || buf[at] !== (v6 ? ECHO6_REPLY : ECHO_REPLY) || buf.readUInt16BE(at + 4) !== this.#id) return;
    const seq = buf.readUInt16BE(at + 6);
    const p = this.#pending.get(seq);
    if (!p || p.address !== source || buf.compare(this.#nonce, 0, NONCE_BYTES, at + 8, at + 8 + NONCE_BYTES) !== 0) return;
    // the kernel checks ICMPv6 checksums; an IPv4 raw socket hands over whatever came
    if (!v6 && checksum(buf, at, bytes) !== 0) return;
    this.#finish(seq, Number(this.#t1 - p.t0) / 1e6);
  };

  #finish(seq: number, rtt: number | null): void {
    const p = this.#pending.get(seq);
    if (!p) return;
    this.#pending.delete(seq);
    clearTimeout(p.timer);
    p.done(rtt);
  }

  #failAll(): void {
    for (const seq of [...this.#pending.keys()]) this.#finish(seq, null);
  }
}
