// Ingest metrics on the process registry: records by outcome, re-delivered records, store write sizes and latency,
// queue depth.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Why records were not accepted (or that they were). */
export type IngestOutcome = 'accepted' | 'invalid' | 'forbidden' | 'unavailable' | 'busy' | 'failed';

export class IngestMetrics {
  private readonly records: Counter<'outcome'>;
  private readonly batch: Histogram;
  private readonly latency: Histogram<'result'>;
  private readonly pending: Gauge;
  private readonly duplicates: Counter;
  private readPending: () => number = () => 0;

  constructor(registry: Registry) {
    this.records = new Counter({
      name: 'vipwatch_ingest_records_total', help: 'result records posted, by outcome', labelNames: ['outcome'], registers: [registry],
    });
    this.batch = new Histogram({
      name: 'vipwatch_ingest_batch_records', help: 'records per series store write (after grouping requests)',
      buckets: [1, 10, 100, 500, 1000, 5000, 10_000, 20_000, 50_000, 100_000], registers: [registry],
    });
    this.latency = new Histogram({
      name: 'vipwatch_ingest_store_write_seconds', help: 'series store write latency', labelNames: ['result'],
      buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
    });
    this.pending = new Gauge({
      name: 'vipwatch_ingest_pending_records', help: 'records accepted into the ingest queue and not yet stored', registers: [registry],
      collect: () => { this.pending.set(this.readPending()); },
    });
    this.duplicates = new Counter({
      name: 'vipwatch_ingest_duplicate_records_total',
      help: 'records accepted again for a (host, vip, method, ts) this gateway accepted before (within ingest.duplicateWindow): re-deliveries, invisible in InfluxDB',
      registers: [registry],
    });
    for (const o of ['accepted', 'invalid', 'forbidden', 'unavailable', 'busy', 'failed'] as const) this.records.inc({ outcome: o }, 0);
  }

  count(outcome: IngestOutcome, n: number): void {
    if (n > 0) this.records.inc({ outcome }, n);
  }

  duplicate(n: number): void {
    if (n > 0) this.duplicates.inc(n);
  }

  storeWrite(records: number, seconds: number, result: 'ok' | 'error'): void {
    this.batch.observe(records);
    this.latency.observe({ result }, seconds);
  }

  /** The gauge reads the queue depth when scraped. */
  trackPending(read: () => number): void {
    this.readPending = read;
  }
}
