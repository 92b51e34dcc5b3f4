// The seam every probe method implements: send one probe, resolve with its round-trip time or null when lost.
import type { Method } from '../../core/model.js';

/** What one probe goes to: an address, plus a port (tcp) or a URL (http). */
export interface ProbeTarget { address: string; port?: number; url?: string }

export interface ProbeMethod {
  readonly name: Method;
  /** Resolves with the RTT in ms (sub-millisecond precision) or null when no good reply came within timeoutMs. Never rejects. */
  probe(target: ProbeTarget, timeoutMs: number): Promise<number | null>;
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
