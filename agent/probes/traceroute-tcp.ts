// TCP SYN traceroute (IPv4 and IPv6), for targets whose ICMP echo is filtered: SYN segments with TTL (hop limit)
// 1..maxTtl to the target's port over a raw IPPROTO_TCP socket (the kernel builds the IP header; we compute the TCP
// checksum, so we need the source address the route uses: a UDP socket connected to the target tells it without
// sending anything). Routers answer with ICMP (ICMPv6) time exceeded, quoting the SYN's ports and sequence number
// (read on a raw ICMP or ICMPv6 socket); the target answers with a SYN-ACK (port open) or a RST (closed), read on the
// raw TCP socket: the path reached it. Each family has its own pair of sockets, opened at its first trace.
// Safety: the handshake is never completed. Each TTL uses its own source port from a block outside the kernel's
// ephemeral range that no local socket uses, so the kernel owns none of them and answers the SYN-ACK with a RST
// (the target frees its half-open connection at once), and probes in flight do not share a 4-tuple (a second SYN on
// a half-open one would not be answered). Bounded as the ICMP mode: maxTtl, probesPerHop, timeoutMs per round.
import { randomBytes } from 'node:crypto';
import { createSocket as createUdp } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { AddressFamily, Protocol, SocketLevel, SocketOption, type Socket } from 'raw-socket';
import { checkTraceOptions, openRawSocket, runRounds, type Answer, type PathProbe, type TraceOptions, type TracePath } from './traceroute.js';
import { canonicalIPv6 } from './traceroute-packet.js';
import { parseTcp6Answer, parseTcp6Quote, parseTcpAnswer, parseTcpQuote, synSegment, type TcpAnswer, type TcpQuote } from './traceroute-tcp-packet.js';

interface Pending { t0: bigint; timer: NodeJS.Timeout; dst: string; done: (a: Answer | null) => void }

interface Sockets { tcp: Socket; icmp: Socket }

const NOOP = () => {};

const IPPROTO_IPV6 = (SocketLevel as typeof SocketLevel & { IPPROTO_IPV6: number }).IPPROTO_IPV6;
const IPV6_UNICAST_HOPS = (SocketOption as typeof SocketOption & { IPV6_UNICAST_HOPS: number }).IPV6_UNICAST_HOPS;

/** What each family's raw sockets deliver, and how a hop count is set on its TCP socket. */
const FAMILY = {
  4: {
    label: 'tcp-traceroute', addressFamily: AddressFamily.IPv4, icmp: Protocol.ICMP,
    answer: (b: Buffer): TcpAnswer | null => parseTcpAnswer(b),
    quote: (b: Buffer): TcpQuote | null => parseTcpQuote(b),
    setTtl: (s: Socket, ttl: number) => s.setOption(SocketLevel.IPPROTO_IP, SocketOption.IP_TTL, ttl),
  },
  6: {
    label: 'tcp-traceroute (IPv6)', addressFamily: AddressFamily.IPv6, icmp: Protocol.ICMPv6,
    answer: (b: Buffer, from: string): TcpAnswer | null => parseTcp6Answer(b, from),
    quote: (b: Buffer, from: string): TcpQuote | null => parseTcp6Quote(b, from),
    setTtl: (s: Socket, ttl: number) => s.setOption(IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl),
  },
} as const;

/** The source address the kernel would use towards address:port (no packet is sent). */
export function sourceAddressFor(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createUdp(isIPv6(address) ? 'udp6' : 'udp4');
    s.once('error', (e) => { s.close(); reject(e); });
    s.connect(port, address, () => {
      const src = s.address().address;
      s.close();
      resolve(src);
    });
  });
}

/** Local TCP ports in use (any state, IPv4 and IPv6), from /proc/net/tcp{,6}. */
function portsInUse(): Set<number> {
  const used = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local) used.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return used;
}

/** The kernel's ephemeral port range (net.ipv4.ip_local_port_range). */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo! > 0 && hi! >= lo!) return [lo!, hi!];
  } catch { /* not Linux */ }
  return [32768, 60999];
}

/**
 * The first port of `size` consecutive ports that no local socket uses and the kernel never hands out, avoiding
 * `taken` (blocks of traces under way). Above the ephemeral range if it fits, else below it (above 1024). Pure.
 */
export function pickPortBlock(size: number, ephemeral: [number, number], used: ReadonlySet<number>, taken: ReadonlySet<number>, random: number): number | null {
  const ranges: Array<[number, number]> = [[ephemeral[1] + 1, 65535], [20000, ephemeral[0] - 1]];
  const free = (start: number) => { for (let p = start; p < start + size; p++) if (used.has(p) || taken.has(p)) return false; return true; };
  for (const [lo, hi] of ranges) {
    const slots = Math.floor((hi - lo + 1) / size);
    for (let i = 0; i < slots; i++) {
      const start = lo + ((Math.floor(random * slots) + i) % slots) * size;
      if (free(start)) return start;
    }
  }
  return null;
}

export class TcpTraceroute implements PathProbe {
  readonly name = 'tcp-traceroute' as const;
  /** per family, open only while a trace runs: raw sockets get a copy of every TCP segment and ICMP packet the host receives */
  readonly #sockets = new Map<4 | 6, Sockets>();
  /** `${sport}/${seq}` -> the SYN waiting for its answer */
  readonly #pending = new Map<string, Pending>();
  /** source ports of traces under way */
  readonly #ports = new Set<number>();
  #closed = false;

  /** checks that raw sockets may be opened; they are opened per trace (#open) */
  constructor() {
    openRawSocket('tcp-traceroute', { protocol: Protocol.TCP }).close();
  }

  #open(family: 4 | 6): Sockets {
    const open = this.#sockets.get(family);
    if (open) return open;
    const f = FAMILY[family];
    const tcp = openRawSocket(f.label, { protocol: Protocol.TCP, addressFamily: f.addressFamily });
    let icmp: Socket;
    try {
      icmp = openRawSocket(f.label, { protocol: f.icmp, addressFamily: f.addressFamily });
    } catch (e) {
      tcp.close();
      throw e;
    }
    tcp.on('message', (buf, from) => {
      const a = f.answer(buf, from);
      if (a) this.#answer(`${a.dport}/${a.seq}`, a.from, 'reply', (p) => p.dst === a.from);
    });
    icmp.on('message', (buf, from) => {
      const q = f.quote(buf, from);
      if (q) this.#answer(`${q.sport}/${q.seq}`, q.from, q.kind, (p) => p.dst === q.dst);
    });
    const fail = () => { for (const k of [...this.#pending.keys()]) this.#finish(k, null); };
    tcp.on('error', fail);
    icmp.on('error', fail);
    const sockets = { tcp, icmp };
    this.#sockets.set(family, sockets);
    return sockets;
  }

  #release(): void {
    for (const s of this.#sockets.values()) {
      s.tcp.close();
      s.icmp.close();
    }
    this.#sockets.clear();
  }

  async trace(address: string, opts: TraceOptions, pace?: () => Promise<void>): Promise<TracePath> {
    const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
    if (!family) throw new Error(`tcp-traceroute: ${JSON.stringify(address)} is not an IP address`);
    // IPv6 in canonical form: answers name their sender (and the quoted destination) that way
    const target = family === 6 ? canonicalIPv6(address) : address;
    const port = opts.port;
    if (port === undefined || !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new Error(`tcp-traceroute: port ${port} is outside 1..65535`);
    checkTraceOptions(opts);
    const src = await sourceAddressFor(target, port);
    const base = pickPortBlock(opts.maxTtl, ephemeralRange(), portsInUse(), this.#ports, Math.random());
    if (base === null) throw new Error('tcp-traceroute: no free block of source ports outside the ephemeral range');
    for (let p = base; p < base + opts.maxTtl; p++) this.#ports.add(p);
    const seq0 = randomBytes(4).readUInt32BE(0);
    try {
      const tcp = this.#open(family).tcp;
      const setTtl = FAMILY[family].setTtl;
      return await runRounds(target, opts, (ttl, round) => this.#send(tcp, setTtl, src, target, port, base + ttl - 1, (seq0 + round) >>> 0, ttl, opts.timeoutMs),
        () => this.#closed, pace);
    } finally {
      for (let p = base; p < base + opts.maxTtl; p++) this.#ports.delete(p);
      if (!this.#ports.size) this.#release();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const k of [...this.#pending.keys()]) this.#finish(k, null);
    this.#release();
  }

  #send(tcp: Socket, setTtl: (s: Socket, ttl: number) => void, src: string, dst: string, dport: number, sport: number, seq: number, ttl: number, timeoutMs: number): Promise<Answer | null> {
    if (this.#closed) return Promise.resolve(null);
    const key = `${sport}/${seq}`;
    const segment = synSegment(src, dst, sport, dport, seq);
    return new Promise((resolve) => {
      const p: Pending = { t0: 0n, dst, timer: setTimeout(() => this.#finish(key, null), timeoutMs), done: resolve };
      this.#pending.set(key, p);
      try {
        // one thread: nothing else sends on this socket between setting the TTL and the send
        setTtl(tcp, ttl);
        p.t0 = process.hrtime.bigint();
        tcp.wrap.send(segment, 0, segment.length, dst, NOOP);
      } catch {
        this.#finish(key, null);
      }
    });
  }

  #answer(key: string, from: string, kind: Answer['kind'], matches: (p: Pending) => boolean): void {
    const t1 = process.hrtime.bigint();
    const p = this.#pending.get(key);
    if (!p || !matches(p)) return;
    this.#finish(key, { from, kind, rtt: Number(t1 - p.t0) / 1e6 });
  }

  #finish(key: string, a: Answer | null): void {
    const p = this.#pending.get(key);
    if (!p) return;
    this.#pending.delete(key);
    clearTimeout(p.timer);
    p.done(a);
  }
}
