// ICMP traceroute over raw sockets, IPv4 and IPv6, as net-ping's traceroute works: echo requests with TTL (hop
// limit) 1..maxTtl, each answered by the router where its TTL ran out (time exceeded) or by the target (echo reply).
// Replies are matched to requests by the identifier and sequence number the routers quote back. Each round sends
// every TTL at once and waits at most timeoutMs for it, so a trace takes at most probesPerHop x timeoutMs plus
// pacing, whatever the path. The sockets are its own (not the ICMP probe's): IP_TTL / IPV6_UNICAST_HOPS is a
// per-socket option, set just before each send. The ICMPv6 socket is opened at the first IPv6 trace.
// TCP SYN traceroute (where ICMP echo is filtered) is traceroute-tcp.ts; both share runRounds and hopsOf.
import { randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { AddressFamily, createSocket, Protocol, SocketLevel, SocketOption, type Socket } from 'raw-socket';
import type { TraceHop } from '../../core/jobs.js';
import { ECHO6_REQUEST, ECHO_REQUEST, echoMessage } from './icmp-packet.js';
import { ICMP_PERMISSION_HELP } from './icmp.js';
import { ProbeUnavailableError } from './method.js';
import { canonicalIPv6, parseTrace6Reply, parseTraceReply, type TraceReply } from './traceroute-packet.js';

export interface TraceOptions {
  /** highest TTL tried (at most 64) */
  maxTtl: number;
  /** probes per hop (rounds) */
  probesPerHop: number;
  /** how long a round waits for its answers */
  timeoutMs: number;
  /** TCP SYN traceroute only: the target's port */
  port?: number;
}

export interface TracePath { hops: TraceHop[]; reached: boolean }

/** A path method: where the packets to a target go. One per name in the registry (agent/probes/index.ts). */
export interface PathProbe {
  /** 'traceroute': ICMP echo (IPv4 or IPv6); 'tcp-traceroute': TCP SYN to opts.port (IPv4 or IPv6) */
  readonly name: 'traceroute' | 'tcp-traceroute';
  /** `pace` is awaited before each packet, so a caller can hold the host's probe rate. Rejects only on bad input (or no route). */
  trace(address: string, opts: TraceOptions, pace?: () => Promise<void>): Promise<TracePath>;
  close(): Promise<void>;
}

export interface Answer { from: string; rtt: number; kind: TraceReply['kind'] }
interface Pending { t0: bigint; timer: NodeJS.Timeout; dst: string; done: (a: Answer | null) => void }

/** Checks the options every path method takes; throws on bad input. */
export function checkTraceOptions(opts: TraceOptions): void {
  if (!(opts.maxTtl >= 1 && opts.maxTtl <= 64)) throw new Error(`traceroute: maxTtl ${opts.maxTtl} is outside 1..64`);
  if (!(opts.probesPerHop >= 1 && opts.probesPerHop <= 1000)) throw new Error(`traceroute: probesPerHop ${opts.probesPerHop} is outside 1..1000`);
}

/**
 * The rounds of a trace: each round sends TTL 1..top at once (top shrinks to the lowest TTL that reached the target
 * or drew an unreachable) and waits for all of them; `send` resolves with the answer or null after its timeout.
 * An answer from the target itself (echo reply, SYN-ACK, RST, or an unreachable it sends) means the path reached it.
 */
export async function runRounds(target: string, opts: TraceOptions, send: (ttl: number, round: number) => Promise<Answer | null>,
  stopped: () => boolean, pace?: () => Promise<void>): Promise<TracePath> {
  const answers: Array<Array<Answer | null>> = Array.from({ length: opts.maxTtl + 1 }, () => []);
  let end = Infinity;
  let reached = false;
  for (let round = 0; round < opts.probesPerHop && !stopped(); round++) {
    const top = Math.min(opts.maxTtl, end);
    const waits: Promise<void>[] = [];
    for (let ttl = 1; ttl <= top; ttl++) {
      if (pace) await pace();
      waits.push(send(ttl, round).then((a) => {
        answers[ttl]!.push(a);
        if (a && a.kind !== 'exceeded' && a.from === target) { reached = true; end = Math.min(end, ttl); }
        if (a?.kind === 'unreachable') end = Math.min(end, ttl);
      }));
    }
    await Promise.all(waits);
  }
  return { hops: hopsOf(answers, Math.min(opts.maxTtl, end), reached), reached };
}

const PAYLOAD = Buffer.alloc(32);
const NOOP = () => {};
/** Silent hops kept after the last one that answered: they show where the path went quiet. */
const TRAILING_SILENT = 2;

const IPPROTO_IPV6 = (SocketLevel as typeof SocketLevel & { IPPROTO_IPV6: number }).IPPROTO_IPV6;
const IPV6_UNICAST_HOPS = (SocketOption as typeof SocketOption & { IPV6_UNICAST_HOPS: number }).IPV6_UNICAST_HOPS;

/** A raw socket for the trace methods, with the permission hint when raw sockets are not allowed. */
export function openRawSocket(method: string, opts: { protocol: number; addressFamily?: number }): Socket {
  try {
    return createSocket({ ...opts, bufferSize: 4096 });
  } catch (e) {
    const msg = (e as Error).message;
    throw /not permitted|EPERM|EACCES|permission/i.test(msg)
      ? new ProbeUnavailableError('icmp', `${method}: ${ICMP_PERMISSION_HELP} (raw socket: ${msg})`)
      : e;
  }
}

export class IcmpTraceroute implements PathProbe {
  readonly name = 'traceroute' as const;
  #socket: Socket | null = null;
  #socket6: Socket | null = null;
  /** (id << 16 | seq) -> the request waiting for its answer */
  readonly #pending = new Map<number, Pending>();
  readonly #ids = new Set<number>();
  #closed = false;

  /**
   * A raw ICMP socket gets a copy of every ICMP packet the host receives (the agent's own echo replies included), so
   * the sockets are open only while a trace runs; the constructor only checks that one may be opened.
   */
  constructor() {
    openRawSocket('traceroute', { protocol: Protocol.ICMP }).close();
  }

  async trace(address: string, opts: TraceOptions, pace?: () => Promise<void>): Promise<TracePath> {
    const v6 = isIPv6(address);
    if (!isIPv4(address) && !v6) throw new Error(`traceroute: ${JSON.stringify(address)} is not an IP address`);
    checkTraceOptions(opts);
    const target = v6 ? canonicalIPv6(address) : address;
    const id = this.#newId();
    try {
      const socket = v6 ? this.#v6() : this.#v4();
      return await runRounds(target, opts, (ttl, round) => this.#send(socket, v6, id, round * 64 + ttl, ttl, target, opts.timeoutMs),
        () => this.#closed, pace);
    } finally {
      this.#ids.delete(id);
      if (!this.#ids.size) this.#release();
    }
  }

  /** The ICMP socket, opened for the traces under way. */
  #v4(): Socket {
    if (!this.#socket) {
      this.#socket = openRawSocket('traceroute', { protocol: Protocol.ICMP });
      this.#listen(this.#socket, (buf) => parseTraceReply(buf));
    }
    return this.#socket;
  }

  /** No trace under way: the sockets go, so the host's ICMP traffic costs nothing between traces. */
  #release(): void {
    this.#socket?.close();
    this.#socket6?.close();
    this.#socket = this.#socket6 = null;
  }

  /** The ICMPv6 socket, opened for the IPv6 traces under way. */
  #v6(): Socket {
    if (!this.#socket6) {
      this.#socket6 = openRawSocket('traceroute (IPv6)', { protocol: Protocol.ICMPv6, addressFamily: AddressFamily.IPv6 });
      this.#listen(this.#socket6, (buf, from) => parseTrace6Reply(buf, from));
    }
    return this.#socket6;
  }

  #listen(socket: Socket, parse: (buf: Buffer, from: string) => TraceReply | null): void {
    socket.on('message', (buf, from) => this.#onMessage(parse(buf, from)));
    socket.on('error', () => { for (const k of [...this.#pending.keys()]) this.#finish(k, null); });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const k of [...this.#pending.keys()]) this.#finish(k, null);
    this.#release();
  }

  #newId(): number {
    for (;;) {
      const id = randomBytes(2).readUInt16BE(0);
      if (!this.#ids.has(id)) { this.#ids.add(id); return id; }
    }
  }

  #send(socket: Socket, v6: boolean, id: number, seq: number, ttl: number, dst: string, timeoutMs: number): Promise<Answer | null> {
    if (this.#closed) return Promise.resolve(null);
    const key = id * 0x10000 + seq;
    // ICMPv6: the kernel computes the checksum (it covers a pseudo-header) over whatever is in the field
    const packet = echoMessage(v6 ? ECHO6_REQUEST : ECHO_REQUEST, id, seq, PAYLOAD);
    return new Promise((resolve) => {
      const p: Pending = { t0: 0n, dst, timer: setTimeout(() => this.#finish(key, null), timeoutMs), done: resolve };
      this.#pending.set(key, p);
      try {
        // one thread: nothing else sends on this socket between setting the TTL and the send
        if (v6) socket.setOption(IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
        else socket.setOption(SocketLevel.IPPROTO_IP, SocketOption.IP_TTL, ttl);
        p.t0 = process.hrtime.bigint();
        socket.wrap.send(packet, 0, packet.length, dst, NOOP);
      } catch {
        this.#finish(key, null);
      }
    });
  }

  #onMessage(r: TraceReply | null): void {
    const t1 = process.hrtime.bigint();
    if (!r) return;
    const key = r.id * 0x10000 + r.seq;
    const p = this.#pending.get(key);
    if (!p || p.dst !== r.dst) return;
    this.#finish(key, { from: r.from, kind: r.kind, rtt: Number(t1 - p.t0) / 1e6 });
  }

  #finish(key: number, a: Answer | null): void {
    const p = this.#pending.get(key);
    if (!p) return;
    this.#pending.delete(key);
    clearTimeout(p.timer);
    p.done(a);
  }
}

/**
 * The hops of a trace from the answers per TTL: the address that answered most often (routers on parallel paths
 * can differ), every RTT in probe order, and the number lost. Past the last hop that answered, only a few silent
 * hops are kept. Pure.
 */
export function hopsOf(answers: ReadonlyArray<ReadonlyArray<Answer | null>>, top: number, reached: boolean): TraceHop[] {
  let last = 0;
  for (let ttl = 1; ttl <= top; ttl++) if (answers[ttl]?.some((a) => a)) last = ttl;
  const upTo = reached ? top : Math.min(top, last + TRAILING_SILENT);
  const hops: TraceHop[] = [];
  for (let ttl = 1; ttl <= upTo; ttl++) {
    const list = answers[ttl] ?? [];
    const got = list.filter((a): a is Answer => a !== null);
    const votes = new Map<string, number>();
    for (const a of got) votes.set(a.from, (votes.get(a.from) ?? 0) + 1);
    const ip = [...votes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? null;
    hops.push({ ttl, ip, rtt: got.map((a) => Math.round(a.rtt * 1000) / 1000), lost: list.length - got.length });
  }
  return hops;
}
