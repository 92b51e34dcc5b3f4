// Loads the agent's native addon (icmp_socket.c: raw ICMP sockets; tcp_connect.c: TCP connect probes; schedule.c: the
// continuous ICMP/TCP probing; pages.c: releasePages; built by `npm run build`) and types it.
// The .node file is looked up next to this module at the same relative place in the source tree and in dist/
// (build/Release/, where node-gyp writes it and build/build.js copies it), and in the agent package beside the bundle
// (build/package-agent.js puts it at lib/vipwatch-agent/icmp_socket.node; the code may sit in a chunks/ directory).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Called for each datagram read: `buffer` is the socket's one receive buffer, valid until the callback returns. */
export type OnPacket = (buffer: Buffer, bytes: number, source: string, recvTimeNs: bigint) => void;

export interface IcmpSocket {
  /** sendto() the packet; returns the CLOCK_REALTIME time in ns taken just before it. Throws (code = errno name). */
  send(packet: Buffer, address: string): bigint;
  /** IP_TTL (IPv4) or IPV6_UNICAST_HOPS (IPv6) for the following sends */
  setTtl(ttl: number): void;
  /** stops reading and closes the socket; later sends throw */
  close(): void;
  /**
   * Echo mode: from now on the addon matches echo replies itself (echo reply type, this identifier, the 8-byte nonce
   * first in the payload, a sequence number sent with sendEcho and not yet answered, from the address it went to,
   * for IPv4 a right checksum) and hands each wake-up's matches to onReplies(count): their sequence numbers and RTTs
   * (ms, kernel receive stamp - send stamp) are in seqs / rtts [0, count). onPacket is no longer called.
   */
  echoMode(id: number, nonce: Buffer, onReplies: (count: number) => void): void;
  /** send() in echo mode: seq (below seqSpace) names the probe; its stamp and address are kept in the addon */
  sendEcho(packet: Buffer, address: string, seq: number): void;
  /** set by echoMode */
  readonly seqs?: Int32Array;
  readonly rtts?: Float64Array;
  readonly seqSpace?: number;
}

export interface IcmpSocketConstructor {
  /**
   * A raw ICMP (4) or ICMPv6 (6) socket, non-blocking, read on node's event loop. `acceptTypes`: the ICMP types the
   * kernel lets through (ICMP_FILTER / ICMP6_FILTER), null for all. Replies carry the kernel's receive time
   * (SO_TIMESTAMPNS, CLOCK_REALTIME ns). Throws with code EPERM without CAP_NET_RAW.
   */
  new (family: 4 | 6, acceptTypes: readonly number[] | null, onPacket: OnPacket): IcmpSocket;
}

/** Called once per wake-up with how many probes finished: their ids and RTTs are in `ids` / `rtts` [0, count). */
export type OnConnected = (count: number) => void;

export interface TcpConnector {
  /** per finished probe: its id, and its RTT in ms (time from just before connect() to established), -1 when it failed */
  readonly ids: Int32Array;
  readonly rtts: Float64Array;
  /** Starts a non-blocking connect to an IP address; returns the probe's id, or -1 when it failed at once (refused, no route). */
  connect(address: string, port: number): number;
  /** Gives up on a probe in flight (its timeout): the socket is closed and no result comes. */
  abort(id: number): void;
  close(): void;
}

export interface TcpConnectorConstructor { new (onDone: OnConnected): TcpConnector }

/**
 * onMinute of a ProbeSchedule: a finished minute (start, ms), its cells in `out` [0, 6 * count) as (target id, sent,
 * recv, min, max, sum; RTTs in ms), how many probes the rate cap held back, how many slots a stall passed over (late)
 * and how many probes could not start (with the last such error) since the minute before. start -1: stop() is over,
 * every minute was handed over.
 */
export type OnScheduleMinute = (start: number, count: number, skipped: number, late: number, failed: number, error: string | null) => void;

export interface ProbeSchedule {
  readonly out: Float64Array;
  /** null, or why that raw ICMP socket could not be opened (no CAP_NET_RAW, no IPv6 in the kernel) */
  readonly icmp4Error: string | null;
  readonly icmp6Error: string | null;
  /**
   * The tick in use: the one asked for, or shorter when a tick's replies at maxPerSec would not fit the echo sockets'
   * receive buffers (net.core.rmem_max): replies wait in the socket until a tick reads them.
   */
  readonly tickMs: number;
  /**
   * The targets: per target its id (stable across lists: counts are kept by id), kind (0 icmp, 1 tcp), IP address and
   * port (tcp); order and phases: target indexes sorted by phase and their phases, ms into the interval (PhasePlan);
   * maxPerSec: the rate cap's share for these targets, at most the constructor's.
   */
  setTargets(ids: Int32Array, kinds: Uint8Array, addresses: string[], ports: Int32Array, order: Int32Array, phases: Float64Array, intervalMs: number, maxPerSec: number): void;
  start(): void;
  /** sends no more; onMinute(-1, ...) once nothing is in flight */
  stop(): void;
  close(): void;
}

export interface ProbeScheduleConstructor {
  new (onMinute: OnScheduleMinute, minuteMs: number, timeoutMs: number, tickMs: number, maxPerSec: number): ProbeSchedule;
}

const NAME = 'icmp_socket.node';
const candidates = [`./build/Release/${NAME}`, `./${NAME}`, `../${NAME}`].map((p) => fileURLToPath(new URL(p, import.meta.url)));

/**
 * madvise(MADV_DONTNEED) on each (start, length) pair, whole pages of read-only private file mappings (the caller
 * picks them: agent/page-release.ts), then malloc_trim(0). Returns how many ranges madvise refused.
 */
export type ReleasePages = (ranges: Float64Array) => number;

interface Addon { IcmpSocket: IcmpSocketConstructor; TcpConnector: TcpConnectorConstructor; ProbeSchedule: ProbeScheduleConstructor; releasePages: ReleasePages }

function load(): Addon {
  const file = candidates.find((f) => existsSync(f));
  if (!file) throw new Error(`the ICMP socket addon (${NAME}) is not built: run \`npm run build\` (looked at ${candidates.join(', ')})`);
  return createRequire(import.meta.url)(file) as Addon;
}

/** The addon's socket class, loaded when asked for (so code that never probes ICMP does not need it built); require caches it. */
export function icmpSocketClass(): IcmpSocketConstructor {
  return load().IcmpSocket;
}

/** The addon's TCP connect prober (tcp_connect.c); null when the addon is not built (the tcp probe then uses node:net). */
export function tcpConnectorClass(): TcpConnectorConstructor | null {
  try {
    return load().TcpConnector ?? null;
  } catch {
    return null;
  }
}

/** The addon's continuous ICMP/TCP schedule (schedule.c); null when the addon is not built (the engine then probes in JS). */
export function probeScheduleClass(): ProbeScheduleConstructor | null {
  try {
    return load().ProbeSchedule ?? null;
  } catch {
    return null;
  }
}

/** The addon's releasePages (pages.c); null when the addon is not built. */
export function releasePagesFunction(): ReleasePages | null {
  try {
    return load().releasePages ?? null;
  } catch {
    return null;
  }
}
