// TCP connect: the RTT is the time to an established connection (SYN -> SYN/ACK). The connection is then reset,
// not closed, so a busy prober does not pile up TIME_WAIT sockets. A refusal (RST) counts as lost: nothing listens.
import { connect } from 'node:net';
import { msSince, type ProbeMethod, type ProbeTarget } from './method.js';

export class TcpProbe implements ProbeMethod {
  readonly name = 'tcp' as const;
  readonly #open = new Set<ReturnType<typeof connect>>();

  probe(target: ProbeTarget, timeoutMs: number): Promise<number | null> {
    if (target.port === undefined) return Promise.reject(new Error(`tcp: target ${target.address} has no port`));
    return new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const socket = connect({ host: target.address, port: target.port!, noDelay: true });
      this.#open.add(socket);
      const end = (rtt: number | null) => {
        clearTimeout(timer);
        this.#open.delete(socket);
        socket.removeAllListeners();
        socket.on('error', () => {});
        if (socket.readyState === 'open') socket.resetAndDestroy();
        else socket.destroy();
        resolve(rtt);
      };
      const timer = setTimeout(() => end(null), timeoutMs);
      socket.once('connect', () => end(msSince(t0)));
      socket.once('error', () => end(null));
      socket.once('close', () => end(null));
    });
  }

  async close(): Promise<void> {
    for (const s of this.#open) s.destroy();
    this.#open.clear();
  }
}
