// Delivers what the outbox holds: due deliveries in order, grouped into envelopes (a digest is one group),
// marked done only after the notifier returned. Failures back off exponentially per delivery; while a delivery is
// in its first few retries its channel waits too, so messages of one channel keep their order.
import type { Logger } from '../../../core/log.js';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Envelope, Notifier } from '../notifiers/notifier.js';
import type { AlertDelivery as Delivery, AlertOutbox as OutboxStore } from './index.js';

export interface DelivererOptions {
  store: OutboxStore;
  notifiers: Notifier[];
  retryBaseMs: number;
  retryMaxMs: number;
  log: Logger;
  registry?: Registry;
  now?: () => number;
  batch?: number;
  /** a delivery that failed this often no longer holds its channel's later messages back */
  holdAttempts?: number;
}

export interface PassResult { delivered: number; failed: number }

export const backoffMs = (attempts: number, baseMs: number, maxMs: number): number =>
  Math.min(maxMs, baseMs * 2 ** Math.min(attempts - 1, 30));

export class Deliverer {
  private readonly byName: Map<string, Notifier>;
  private readonly now: () => number;
  private readonly heldUntil = new Map<string, number>();
  private readonly sent?: Counter<'notifier' | 'result'>;
  private readonly pending?: Gauge;
  private running: Promise<PassResult> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: DelivererOptions) {
    this.byName = new Map(o.notifiers.map((n) => [n.name, n]));
    this.now = o.now ?? Date.now;
    if (o.registry) {
      this.sent = new Counter({ name: 'vipwatch_alert_deliveries_total', help: 'Alert deliveries attempted, by notifier and result', labelNames: ['notifier', 'result'], registers: [o.registry] });
      this.pending = new Gauge({ name: 'vipwatch_alert_outbox_pending', help: 'Deliveries waiting in the outbox', registers: [o.registry] });
    }
  }

  /** Sends everything due now; concurrent calls share one pass (and ask for one more after it). */
  deliverDue(): Promise<PassResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain().finally(() => { this.running = null; });
    return this.running;
  }

  private async drain(): Promise<PassResult> {
    const total: PassResult = { delivered: 0, failed: 0 };
    do {
      this.again = false;
      for (;;) {
        const r = await this.pass();
        total.delivered += r.delivered;
        total.failed += r.failed;
        // only progress earns another pass at once; failures wait for their backoff
        if (r.delivered === 0) break;
      }
    } while (this.again);
    this.pending?.set(await this.o.store.pendingCount());
    return total;
  }

  private async pass(): Promise<PassResult> {
    const now = this.now();
    const rows = await this.o.store.due(now, this.o.batch ?? 200);
    const groups = new Map<string, Delivery[]>();
    for (const r of rows) {
      const g = groups.get(r.group);
      if (g) g.push(r);
      else groups.set(r.group, [r]);
    }
    const result: PassResult = { delivered: 0, failed: 0 };
    for (const [group, ds] of groups) {
      const first = ds[0]!;
      const ids = ds.map((d) => d.id);
      if ((this.heldUntil.get(first.notifier) ?? 0) > this.now()) continue;
      const notifier = this.byName.get(first.notifier);
      try {
        if (!notifier) throw new Error(`no notifier named ${first.notifier} is configured in this process`);
        const digest = group !== first.id;
        const envelope: Envelope = { id: digest ? group : first.messageId, digest, messages: ds.map((d) => d.message) };
        await notifier.send(envelope);
        await this.o.store.markDone(ids, this.now());
        this.sent?.inc({ notifier: first.notifier, result: 'ok' });
        this.o.log.info({ notifier: first.notifier, envelope: envelope.id, messages: ds.length }, 'alert delivered');
        result.delivered++;
      } catch (e) {
        const attempts = first.attempts + 1;
        const next = this.now() + backoffMs(attempts, this.o.retryBaseMs, this.o.retryMaxMs);
        await this.o.store.markRetry(ids, attempts, next, (e as Error).message);
        if (attempts < (this.o.holdAttempts ?? 5)) this.heldUntil.set(first.notifier, next);
        this.sent?.inc({ notifier: first.notifier, result: 'error' });
        this.o.log.warn({ notifier: first.notifier, group, attempts, retryAt: new Date(next).toISOString(), err: (e as Error).message }, 'alert delivery failed');
        result.failed++;
      }
    }
    return result;
  }

  /** Polls every pollMs until stop(). */
  start(pollMs: number): void {
    if (this.timer) return;
    const tick = () => {
      this.deliverDue()
        .catch((e: Error) => this.o.log.error({ err: e.message }, 'outbox delivery pass failed'))
        .finally(() => { if (this.timer) this.timer = setTimeout(tick, pollMs); });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }
}
