// TCP connect: the RTT is the time to an established connection (SYN -> SYN/ACK). The connection is then reset,
// not closed, so a busy prober does not pile up TIME_WAIT sockets. A refusal (RST) counts as lost: nothing listens.
// To an IP address the probe runs in the agent's addon (agent/native/tcp_connect.c): a bare non-blocking socket in
// one epoll set, timed in C, finished probes handed over in one call per wake-up; node:net's Socket (a stream, its
// events and closures per probe) cost most of the agent's CPU at 500 tcp targets. node:net remains for a host name
// and for a checkout whose addon is not built.
import { connect, isIP } from 'node:net';
import { tcpConnectorClass, type TcpConnector } from '../native/icmp-socket.js';
import { Deadlines } from './deadlines.js';
import { msSince, type ProbeMethod, type ProbeTarget, type Settle } from './method.js';

interface Pending { id: number; live: boolean; timeoutMs: number; ctx: unknown; done: Settle<unknown> }

const resolveWith = (resolve: (rtt: number | null) => void, reply: unknown): void => resolve(reply as number | null);

export class TcpProbe implements ProbeMethod {
  readonly name = 'tcp' as const;
  readonly #open = new Set<ReturnType<typeof connect>>();
  readonly #native: TcpConnector | null;
  /** native probes in flight by id (the socket's fd) */
  readonly #pending = new Map<number, Pending>();
  readonly #deadlines = new Deadlines<Pending>((p) => {
    this.#native?.abort(p.id);
    this.#settle(p, null);
  });

  constructor(opts: { native?: boolean } = {}) {
    const Connector = opts.native === false ? null : tcpConnectorClass();
    this.#native = Connector ? new Connector((n) => this.#onDone(n)) : null;
  }

  probe(target: ProbeTarget, timeoutMs: number): Promise<number | null> {
    if (target.port === undefined) return Promise.reject(new Error(`tcp: target ${target.address} has no port`));
    if (this.#native && isIP(target.address)) return new Promise((resolve) => this.#launchNative(target.address, target.port!, timeoutMs, resolve, resolveWith));
    return this.#probeNet(target, timeoutMs);
  }

  /** probe() without a promise (the engine's path); throws at once for a target without a port. */
  launch<C>(target: ProbeTarget, timeoutMs: number, ctx: C, done: Settle<C>): void {
    if (target.port === undefined) throw new Error(`tcp: target ${target.address} has no port`);
    if (this.#native && (target.family ?? isIP(target.address))) return this.#launchNative(target.address, target.port, timeoutMs, ctx, done);
    void this.#probeNet(target, timeoutMs).then((rtt) => done(ctx, rtt));
  }

  async close(): Promise<void> {
    this.#deadlines.expireAll();
    this.#native?.close();
    for (const s of this.#open) s.destroy();
    this.#open.clear();
  }

  #launchNative<C>(address: string, port: number, timeoutMs: number, ctx: C, done: Settle<C>): void {
    const id = this.#native!.connect(address, port);
    if (id < 0) return done(ctx, null);
    const p: Pending = { id, live: true, timeoutMs, ctx, done: done as Settle<unknown> };
    this.#pending.set(id, p);
    this.#deadlines.add(p, timeoutMs);
  }

  #onDone(n: number): void {
    const { ids, rtts } = this.#native!;
    for (let i = 0; i < n; i++) {
      const p = this.#pending.get(ids[i]!);
      if (!p) continue;
      const rtt = rtts[i]!;
      // the deadline sweep runs a little late: a connection made after the timeout is still lost
      this.#settle(p, rtt >= 0 && rtt <= p.timeoutMs ? rtt : null);
    }
  }

  #settle(p: Pending, rtt: number | null): void {
    if (!p.live) return;
    p.live = false;
    if (this.#pending.get(p.id) === p) this.#pending.delete(p.id);
    p.done(p.ctx, rtt);
  }

  #probeNet(target: ProbeTarget, timeoutMs: number): Promise<number | null> {
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
}
