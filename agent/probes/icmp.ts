// ICMP echo over a raw socket (the raw-socket addon net-ping is built on), timed with process.hrtime:
// the send time is taken just before sendto() and the reply time as soon as the socket is readable,
// so RTTs keep their sub-millisecond digits (net-ping's Date timing rounds to 1 ms and adds loop delay).
// Requests go out through the addon's native send directly: Socket.send() would queue each one and switch the
// poll to writable and back, two extra syscalls and loop turns per probe; a raw ICMP send does not block.
import { randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { createSocket, Protocol, type Socket } from 'raw-socket';
import { ECHO_REPLY, ECHO_REQUEST, echoMessage, parseEcho } from './icmp-packet.js';
import { msSince, ProbeUnavailableError, type ProbeMethod, type ProbeTarget } from './method.js';

/** What to tell an operator when raw ICMP is not allowed. */
export const ICMP_PERMISSION_HELP =
  'ICMP probing needs root or CAP_NET_RAW (raw sockets). Run the agent as root, or grant the capability to node: ' +
  '`setcap cap_net_raw+ep "$(readlink -f "$(command -v node)")"` (or AmbientCapabilities=CAP_NET_RAW in its systemd unit).';

interface Pending { address: string; t0: bigint; timer: NodeJS.Timeout; done: (rtt: number | null) => void }

/** Payload bytes after the 8-byte ICMP header, as ping and fping send by default. */
const PAYLOAD_BYTES = 56;
const NOOP = () => {};

export class IcmpProbe implements ProbeMethod {
  readonly name = 'icmp' as const;
  readonly #socket: Socket;
  /** Echo identifier and payload nonce of this socket: a raw socket sees every ICMP packet of the host. */
  readonly #id: number;
  readonly #nonce: Buffer;
  /** the request payload: the nonce, then zeros */
  readonly #payload = Buffer.alloc(PAYLOAD_BYTES);
  readonly #pending = new Map<number, Pending>();
  #seq = 0;
  #closed = false;

  constructor() {
    try {
      this.#socket = createSocket({ protocol: Protocol.ICMP, bufferSize: 2048 });
    } catch (e) {
      const msg = (e as Error).message;
      throw /not permitted|EPERM|EACCES|permission/i.test(msg)
        ? new ProbeUnavailableError('icmp', `${ICMP_PERMISSION_HELP} (raw socket: ${msg})`)
        : e;
    }
    const r = randomBytes(10);
    this.#id = r.readUInt16BE(0);
    this.#nonce = r.subarray(2);
    this.#nonce.copy(this.#payload);
    this.#socket.on('message', (buf) => this.#onMessage(buf));
    this.#socket.on('error', () => this.#failAll());
  }

  probe(target: ProbeTarget, timeoutMs: number): Promise<number | null> {
    if (this.#closed) return Promise.resolve(null);
    if (!isIPv4(target.address)) return Promise.reject(new Error(`icmp: ${JSON.stringify(target.address)} is not an IPv4 address`));
    const seq = this.#nextSeq();
    if (seq === null) return Promise.resolve(null);
    const packet = echoMessage(ECHO_REQUEST, this.#id, seq, this.#payload);
    return new Promise((resolve) => {
      const p: Pending = { address: target.address, t0: 0n, timer: setTimeout(() => this.#finish(seq, null), timeoutMs), done: resolve };
      this.#pending.set(seq, p);
      try {
        p.t0 = process.hrtime.bigint();
        this.#socket.wrap.send(packet, 0, packet.length, target.address, NOOP);
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
    this.#socket.close();
  }

  /** The next free sequence number; null when all 65,536 are in flight (then the probe counts as lost). */
  #nextSeq(): number | null {
    for (let i = 0; i < 0x10000; i++) {
      this.#seq = (this.#seq + 1) & 0xffff;
      if (!this.#pending.has(this.#seq)) return this.#seq;
    }
    return null;
  }

  #onMessage(buf: Buffer): void {
    const t1 = process.hrtime.bigint();
    // fast path: the socket sees every ICMP packet of the host (on loopback, our own requests too)
    const ihl = (buf[0]! & 0x0f) * 4;
    if (buf[ihl] !== ECHO_REPLY || buf.length < ihl + 8 || buf.readUInt16BE(ihl + 4) !== this.#id) return;
    const echo = parseEcho(buf);
    if (!echo || echo.type !== ECHO_REPLY || echo.id !== this.#id) return;
    const p = this.#pending.get(echo.seq);
    if (!p || p.address !== echo.src || !echo.payload.subarray(0, this.#nonce.length).equals(this.#nonce)) return;
    this.#finish(echo.seq, Number(t1 - p.t0) / 1e6);
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

export { msSince };
