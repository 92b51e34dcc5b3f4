// ICMP traceroute (IPv4) over a raw socket, as net-ping's traceroute works: echo requests with TTL 1..maxTtl, each
// answered by the router where its TTL ran out (time exceeded) or by the target (echo reply). Replies are matched to
// requests by the identifier and sequence number the routers quote back. Each round sends every TTL at once and
// waits at most timeoutMs for it, so a trace takes at most probesPerHop x timeoutMs plus pacing, whatever the path.
// The socket is its own (not the ICMP probe's): IP_TTL is a per-socket option, set just before each send.
import { randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { createSocket, Protocol, SocketLevel, SocketOption, type Socket } from 'raw-socket';
import type { TraceHop } from '../../core/jobs.js';
import { ECHO_REQUEST, echoMessage } from './icmp-packet.js';
import { ICMP_PERMISSION_HELP } from './icmp.js';
import { ProbeUnavailableError } from './method.js';
import { parseTraceReply, type TraceReply } from './traceroute-packet.js';

export interface TraceOptions {
  /** highest TTL tried (at most 64) */
  maxTtl: number;
  /** probes per hop (rounds) */
  probesPerHop: number;
  /** how long a round waits for its answers */
  timeoutMs: number;
}

export interface TracePath { hops: TraceHop[]; reached: boolean }

/** A path method: where the packets to a target go. One per name in the registry (agent/probes/index.ts). */
export interface PathProbe {
  readonly name: 'traceroute';
  /** `pace` is awaited before each packet, so a caller can hold the host's probe rate. Rejects only on bad input. */
  trace(address: string, opts: TraceOptions, pace?: () => Promise<void>): Promise<TracePath>;
  close(): Promise<void>;
}

interface Answer { from: string; rtt: number; kind: TraceReply['kind'] }
interface Pending { t0: bigint; timer: NodeJS.Timeout; dst: string; done: (a: Answer | null) => void }

const PAYLOAD = Buffer.alloc(32);
const NOOP = () => {};
/** Silent hops kept after the last one that answered: they show where the path went quiet. */
const TRAILING_SILENT = 2;

export class IcmpTraceroute implements PathProbe {
  readonly name = 'traceroute' as const;
  readonly #socket: Socket;
  /** (id << 16 | seq) -> the request waiting for its answer */
  readonly #pending = new Map<number, Pending>();
  readonly #ids = new Set<number>();
  #closed = false;

  constructor() {
    try {
      this.#socket = createSocket({ protocol: Protocol.ICMP, bufferSize: 4096 });
    } catch (e) {
      const msg = (e as Error).message;
      throw /not permitted|EPERM|EACCES|permission/i.test(msg)
        ? new ProbeUnavailableError('icmp', `traceroute: ${ICMP_PERMISSION_HELP} (raw socket: ${msg})`)
        : e;
    }
    this.#socket.on('message', (buf) => this.#onMessage(buf));
    this.#socket.on('error', () => { for (const k of [...this.#pending.keys()]) this.#finish(k, null); });
  }

  async trace(address: string, opts: TraceOptions, pace?: () => Promise<void>): Promise<TracePath> {
    if (!isIPv4(address)) throw new Error(`traceroute: ${JSON.stringify(address)} is not an IPv4 address`);
    if (!(opts.maxTtl >= 1 && opts.maxTtl <= 64)) throw new Error(`traceroute: maxTtl ${opts.maxTtl} is outside 1..64`);
    if (!(opts.probesPerHop >= 1 && opts.probesPerHop <= 1000)) throw new Error(`traceroute: probesPerHop ${opts.probesPerHop} is outside 1..1000`);
    const id = this.#newId();
    const answers: Array<Array<Answer | null>> = Array.from({ length: opts.maxTtl + 1 }, () => []);
    /** the lowest TTL the target (or a "no route" answer) came back from: nothing beyond it is worth sending */
    let end = Infinity;
    let reached = false;
    try {
      for (let round = 0; round < opts.probesPerHop && !this.#closed; round++) {
        const top = Math.min(opts.maxTtl, end);
        const waits: Promise<void>[] = [];
        for (let ttl = 1; ttl <= top; ttl++) {
          if (pace) await pace();
          const seq = round * 64 + ttl;
          waits.push(this.#send(id, seq, ttl, address, opts.timeoutMs).then((a) => {
            answers[ttl]!.push(a);
            if (a?.kind === 'reply' && a.from === address) { reached = true; end = Math.min(end, ttl); }
            if (a?.kind === 'unreachable') end = Math.min(end, ttl);
          }));
        }
        await Promise.all(waits);
      }
    } finally {
      this.#ids.delete(id);
    }
    return { hops: hopsOf(answers, Math.min(opts.maxTtl, end), reached), reached };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const k of [...this.#pending.keys()]) this.#finish(k, null);
    this.#socket.close();
  }

  #newId(): number {
    for (;;) {
      const id = randomBytes(2).readUInt16BE(0);
      if (!this.#ids.has(id)) { this.#ids.add(id); return id; }
    }
  }

  #send(id: number, seq: number, ttl: number, dst: string, timeoutMs: number): Promise<Answer | null> {
    if (this.#closed) return Promise.resolve(null);
    const key = id * 0x10000 + seq;
    const packet = echoMessage(ECHO_REQUEST, id, seq, PAYLOAD);
    return new Promise((resolve) => {
      const p: Pending = { t0: 0n, dst, timer: setTimeout(() => this.#finish(key, null), timeoutMs), done: resolve };
      this.#pending.set(key, p);
      try {
        // one thread: nothing else sends on this socket between setting the TTL and the send
        this.#socket.setOption(SocketLevel.IPPROTO_IP, SocketOption.IP_TTL, ttl);
        p.t0 = process.hrtime.bigint();
        this.#socket.wrap.send(packet, 0, packet.length, dst, NOOP);
      } catch {
        this.#finish(key, null);
      }
    });
  }

  #onMessage(buf: Buffer): void {
    const t1 = process.hrtime.bigint();
    const r = parseTraceReply(buf);
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
