// The seam every probe method implements: send one probe, resolve with its round-trip time or null when lost.
import type { Method } from '../../core/model.js';

/**
 * What one probe goes to: an address, plus a port (tcp) or a URL (http). An http target may say which statuses count
 * as success (numbers or classes like "2xx"; default 2xx and 3xx) and a regular expression the body must match.
 */
export interface ProbeTarget {
  address: string; port?: number; url?: string; expectStatus?: (number | string)[]; bodyPattern?: string;
  /** the address's IP family (0: not an IP address) when known, so a probe need not work it out each time */
  family?: 0 | 4 | 6;
}

/** What an http probe saw of a response besides its RTT: the record's http fields (core/records.ts) per probe. */
export interface HttpObservation {
  status: number;
  /** ms from the start of the probe, as curl's time_namelookup, time_connect, time_appconnect, time_starttransfer, time_total */
  dnsMs: number;
  connectMs: number;
  /** https only */
  tlsMs?: number;
  firstByteMs: number;
  totalMs: number;
  /** the body did not match the target's bodyPattern */
  bodyMismatch: boolean;
  /** https only: days until the server certificate's notAfter (negative once expired) */
  certDaysLeft?: number;
}

/** A reply with more than an RTT (http): rtt is null when the response did not count as success. */
export interface DetailedReply { rtt: number | null; http: HttpObservation }

/** What a probe resolves with: the RTT in ms, null when lost, or a detailed reply (http). */
export type ProbeReply = number | null | DetailedReply;

/** How launch() reports a probe's outcome: with the caller's context, so the caller needs no closure per probe. */
export type Settle<C> = (ctx: C, reply: ProbeReply) => void;

export interface ProbeMethod {
  readonly name: Method;
  /** Resolves with the RTT in ms (sub-millisecond precision) or null when no good reply came within timeoutMs. Never rejects. */
  probe(target: ProbeTarget, timeoutMs: number): Promise<ProbeReply>;
  /**
   * probe() without a promise, for the engine's steady state (a promise, its executor and its reaction per probe were
   * a good part of the agent's JavaScript): done(ctx, reply) is called exactly once, possibly before launch returns.
   */
  launch?<C>(target: ProbeTarget, timeoutMs: number, ctx: C, done: Settle<C>): void;
  /** Releases sockets; pending probes resolve as lost. */
  close(): Promise<void>;
}

/** Thrown when a method cannot run on this machine (e.g. ICMP without CAP_NET_RAW); the message says how to fix it. */
export class ProbeUnavailableError extends Error {
  constructor(readonly method: Method, message: string) {
    super(message);
    this.name = 'ProbeUnavailableError';
  }
}

/** Elapsed ms since a process.hrtime.bigint() reading, with µs digits kept. */
export const msSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** The RTT of a probe's reply (null when lost), whatever its form. */
export const rttOf = (r: ProbeReply): number | null => (r === null || typeof r === 'number' ? r : r.rtt);
