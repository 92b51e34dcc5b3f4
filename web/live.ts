// Server-sent events for the board: one shared refresh loop while anyone watches, pushing only changed snapshots.
import type { Request, Response } from 'express';
import type { Gauge } from 'prom-client';
import type { Logger } from '../core/log.js';

export class LiveHub {
  readonly #clients = new Set<Response>();
  #timer: NodeJS.Timeout | null = null;
  #last = '';
  #quietTicks = 0;

  constructor(
    private readonly snapshot: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly gauge: Gauge,
    private readonly maxClients = 500,
  ) {}

  get clients(): number { return this.#clients.size; }

  attach(req: Request, res: Response): void {
    if (this.#clients.size >= this.maxClients) {
      res.status(503).setHeader('Retry-After', '30').json({ error: 'too many live viewers' });
      return;
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write(`retry: ${Math.max(1000, this.intervalMs)}\n\n`);
    this.#clients.add(res);
    this.gauge.set(this.#clients.size);
    req.on('close', () => {
      this.#clients.delete(res);
      this.gauge.set(this.#clients.size);
      if (!this.#clients.size) this.#stop();
    });
    // The newcomer gets the current picture at once; others only when it changes.
    this.snapshot().then((s) => { if (!res.writableEnded) res.write(frame(JSON.stringify(s))); },
      (err: Error) => this.log.warn({ err: err.message }, 'board snapshot failed'));
    if (!this.#timer) this.#schedule();
  }

  /** Ends every stream (on shutdown), so the HTTP server can close. */
  close(): void {
    this.#stop();
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    this.gauge.set(0);
  }

  #schedule(): void {
    this.#timer = setTimeout(() => { this.#tick().finally(() => { if (this.#timer && this.#clients.size) this.#schedule(); }); }, this.intervalMs);
    this.#timer.unref();
  }

  #stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #tick(): Promise<void> {
    let body: string;
    try {
      body = JSON.stringify(await this.snapshot());
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'board snapshot failed; keeping the last one');
      return;
    }
    if (body !== this.#last) {
      this.#last = body;
      this.#quietTicks = 0;
      for (const res of this.#clients) res.write(frame(body));
    } else if (++this.#quietTicks * this.intervalMs >= 15_000) {
      // A comment now and then keeps proxies from closing an idle stream.
      this.#quietTicks = 0;
      for (const res of this.#clients) res.write(': keep-alive\n\n');
    }
  }
}

const frame = (json: string): string => `event: board\ndata: ${json}\n\n`;
