// ICMP echo over raw sockets, IPv4 and IPv6, timed as fping times: through the agent's own addon (agent/native), the
// send is stamped with CLOCK_REALTIME immediately before sendto() and the reply with the kernel's receive stamp
// (SO_TIMESTAMPNS, from recvmsg), so neither the event loop's other work nor the addon's call path counts as RTT
// (on a veth path the peer answers inside our own sendto(): a stamp taken after it would read the send's cost too).
// The kernel filters out every ICMP type but echo replies (ICMP_FILTER / ICMP6_FILTER: fewer wake-ups, and on
// loopback our own requests never reach us). The addon also matches the replies (echo mode: identifier, nonce,
// sequence number, source address, checksum) and computes their RTTs, handing over each wake-up's replies in one
// call (sequence numbers and RTTs in typed arrays): no JS call, BigInt or string per reply. A probe allocates no
// packet (one template per socket, sequence rewritten in place) and no timer (deadlines.ts).
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { icmpSocketClass, type IcmpSocket } from '../native/icmp-socket.js';
import { Deadlines } from './deadlines.js';
import { ECHO6_REPLY, ECHO_REPLY, EchoTemplate } from './icmp-packet.js';
import { ProbeUnavailableError, type ProbeMethod, type ProbeTarget, type Settle } from './method.js';

/** What to tell an operator when raw ICMP is not allowed. */
export const ICMP_PERMISSION_HELP =
  'ICMP probing needs root or CAP_NET_RAW (raw sockets). Run the agent as root, or grant the capability to node: ' +
  '`setcap cap_net_raw+ep "$(readlink -f "$(command -v node)")"` (or AmbientCapabilities=CAP_NET_RAW in its systemd unit).';

/** probe()'s settle: the context is the promise's resolve */
const resolveWith = (resolve: (rtt: number | null) => void, reply: unknown): void => resolve(reply as number | null);

interface Pending { seq: number; live: boolean; socket: EchoSocket; timeoutMs: number; ctx: unknown; done: Settle<unknown> }

/** Payload bytes after the 8-byte ICMP header, as ping and fping send by default. */
const PAYLOAD_BYTES = 56;
const NONCE_BYTES = 8;

type OnReplies = (s: EchoSocket, count: number) => void;

/** One raw socket of one address family, passing echo replies only, matching ours in the addon; its request template. */
class EchoSocket {
  readonly socket: IcmpSocket;
  readonly template: EchoTemplate;

  constructor(family: 4 | 6, id: number, nonce: Buffer, payload: Buffer, onReplies: OnReplies) {
    const IcmpSocket = icmpSocketClass();
    this.socket = new IcmpSocket(family, [family === 6 ? ECHO6_REPLY : ECHO_REPLY], () => {});
    try {
      this.socket.echoMode(id, nonce, (count) => onReplies(this, count));
    } catch (e) {
      this.socket.close();
      throw e;
    }
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
  /** the timeouts, on one timer (deadlines.ts) */
  readonly #deadlines = new Deadlines<Pending>((p) => this.#finish(p.seq, null));
  #seq = 0;
  #closed = false;

  constructor() {
    const r = randomBytes(2 + NONCE_BYTES);
    this.#id = r.readUInt16BE(0);
    this.#nonce = r.subarray(2);
    const payload = Buffer.alloc(PAYLOAD_BYTES); // the nonce, then zeros
    this.#nonce.copy(payload);
    const onReplies: OnReplies = (s, count) => this.#onReplies(s, count);
    try {
      this.#v4 = new EchoSocket(4, this.#id, this.#nonce, payload, onReplies);
    } catch (e) {
      const msg = (e as Error).message;
      const code = (e as NodeJS.ErrnoException).code;
      throw code === 'EPERM' || code === 'EACCES' || /not permitted|permission/i.test(msg)
        ? new ProbeUnavailableError('icmp', `${ICMP_PERMISSION_HELP} (raw socket: ${msg})`)
        : e;
    }
    try {
      this.#v6 = new EchoSocket(6, this.#id, this.#nonce, payload, onReplies);
    } catch (e) {
      this.#v6Error = `icmp: no ICMPv6 socket on this machine (${(e as Error).message})`;
    }
  }

  probe(target: ProbeTarget, timeoutMs: number): Promise<number | null> {
    return new Promise((resolve, reject) => {
      try {
        this.launch(target, timeoutMs, resolve, resolveWith);
      } catch (e) {
        reject(e);
      }
    });
  }

  /** probe() without a promise; throws (at once) for an address that is not IP or a family this machine lacks. */
  launch<C>(target: ProbeTarget, timeoutMs: number, ctx: C, done: Settle<C>): void {
    if (this.#closed) return done(ctx, null);
    const family = target.family ?? isIP(target.address);
    if (family === 0) throw new Error(`icmp: ${JSON.stringify(target.address)} is not an IP address`);
    const s = family === 6 ? this.#v6 : this.#v4;
    if (!s) throw new Error(this.#v6Error!);
    const seq = this.#nextSeq();
    if (seq === null) return done(ctx, null);
    const packet = s.template.withSeq(seq);
    const p: Pending = { seq, live: true, socket: s, timeoutMs, ctx, done: done as Settle<unknown> };
    this.#pending.set(seq, p);
    this.#deadlines.add(p, timeoutMs);
    try {
      s.socket.sendEcho(packet, target.address, seq);
    } catch {
      // no route, buffer full...: the probe went nowhere, it is lost
      this.#finish(seq, null);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll();
    this.#v4.socket.close();
    this.#v6?.socket.close();
  }

  /** The next free sequence number (below the addon's seqSpace); null when all are in flight (the probe counts as lost). */
  #nextSeq(): number | null {
    const space = this.#v4.socket.seqSpace!;
    for (let i = 0; i < space; i++) {
      this.#seq = (this.#seq + 1) % space;
      if (!this.#pending.has(this.#seq)) return this.#seq;
    }
    return null;
  }

  /** A wake-up's matched replies from the addon: sequence numbers and RTTs (kernel receive stamp - send stamp, ms). */
  #onReplies(s: EchoSocket, count: number): void {
    const { seqs, rtts } = s.socket;
    for (let i = 0; i < count; i++) {
      const p = this.#pending.get(seqs![i]!);
      // the timeout sweep runs a little late: a reply after the timeout is lost all the same
      if (p && p.socket === s) this.#finish(p.seq, rtts![i]! <= p.timeoutMs ? rtts![i]! : null);
    }
  }

  #finish(seq: number, rtt: number | null): void {
    const p = this.#pending.get(seq);
    if (!p) return;
    this.#pending.delete(seq);
    p.live = false;
    p.done(p.ctx, rtt);
  }

  #failAll(): void {
    this.#deadlines.expireAll(); // also stops its timer
    for (const seq of [...this.#pending.keys()]) this.#finish(seq, null);
  }
}
