// ICMP echo over raw sockets, IPv4 and IPv6, timed as fping times: through the agent's own addon (agent/native), the
// send is stamped with CLOCK_REALTIME immediately before sendto() and the reply with the kernel's receive stamp
// (SO_TIMESTAMPNS, from recvmsg), so neither the event loop's other work nor the addon's call path counts as RTT
// (on a veth path the peer answers inside our own sendto(): a stamp taken after it would read the send's cost too).
// The kernel filters out every ICMP type but echo replies (ICMP_FILTER / ICMP6_FILTER: fewer wake-ups, and on
// loopback our own requests never reach us); replies are parsed in the addon's one receive buffer, and a probe
// allocates no packet (one template per socket, sequence rewritten in place).
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { canonicalIp } from '../../core/ip.js';
import { icmpSocketClass, type IcmpSocket } from '../native/icmp-socket.js';
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

type OnReply = (s: EchoSocket, buf: Buffer, bytes: number, source: string, t1: bigint) => void;

/** One raw socket of one address family, passing echo replies only, with its request template. */
class EchoSocket {
  readonly socket: IcmpSocket;
  readonly template: EchoTemplate;
  readonly v6: boolean;

  constructor(family: 4 | 6, id: number, payload: Buffer, onReply: OnReply) {
    this.v6 = family === 6;
    const IcmpSocket = icmpSocketClass();
    this.socket = new IcmpSocket(family, [family === 6 ? ECHO6_REPLY : ECHO_REPLY], (buf, bytes, source, t1) => onReply(this, buf, bytes, source, t1));
    this.template = new EchoTemplate(family, id, payload);
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
    const onReply: OnReply = (s, buf, bytes, source, t1) => this.#onReply(s, buf, bytes, source, t1);
    try {
      this.#v4 = new EchoSocket(4, this.#id, payload, onReply);
    } catch (e) {
      const msg = (e as Error).message;
      const code = (e as NodeJS.ErrnoException).code;
      throw code === 'EPERM' || code === 'EACCES' || /not permitted|permission/i.test(msg)
        ? new ProbeUnavailableError('icmp', `${ICMP_PERMISSION_HELP} (raw socket: ${msg})`)
        : e;
    }
    try {
      this.#v6 = new EchoSocket(6, this.#id, payload, onReply);
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
        p.t0 = s.socket.send(packet, address);
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

  /** A datagram from the addon, with the kernel's receive time; `buf` is valid only during this call. */
  #onReply(s: EchoSocket, buf: Buffer, bytes: number, source: string, t1: bigint): void {
    const v6 = s.v6;
    // IPv4 raw sockets deliver the IP header, IPv6 ones do not
    const at = v6 ? 0 : (buf[0]! & 0x0f) * 4;
    if (bytes < at + 8 + NONCE_BYTES || buf[at] !== (v6 ? ECHO6_REPLY : ECHO_REPLY) || buf.readUInt16BE(at + 4) !== this.#id) return;
    const seq = buf.readUInt16BE(at + 6);
    const p = this.#pending.get(seq);
    if (!p || p.address !== source || buf.compare(this.#nonce, 0, NONCE_BYTES, at + 8, at + 8 + NONCE_BYTES) !== 0) return;
    // the kernel checks ICMPv6 checksums; an IPv4 raw socket hands over whatever came
    if (!v6 && checksum(buf, at, bytes) !== 0) return;
    // both stamps are CLOCK_REALTIME (the kernel's receive stamp has no monotonic variant): a clock stepped back
    // between them cannot make a negative RTT
    this.#finish(seq, Math.max(0, Number(t1 - p.t0) / 1e6));
  }

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
