// The ingest queue: gathers the records of concurrent requests into larger store writes (group commit). Each request's
// promise settles with the write that holds its records, so a 200 still means "stored". Memory is bounded: past
// maxPendingRecords a request is refused at once (503), and while the store is down requests are refused without
// being held.
import type { Logger } from '../core/log.js';
import { StoreUnavailableError, type SeriesStore, type StoredRecord } from '../core/store/series.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { RecentKeys } from './recent-keys.js';

export interface IngestQueueOptions {
  /** a write takes whole requests until it holds at least this many records */
  batchRecords: number;
  /** records waiting or in flight; a request that would pass this is refused (QueueFullError) */
  maxPendingRecords: number;
  /** store writes in flight at once */
  writers: number;
  /** after a StoreUnavailableError, requests are refused for this long before the store is tried again */
  retryAfterSec: number;
  /** distinct record keys remembered to count re-deliveries (vipwatch_ingest_duplicate_records_total); 0: off */
  duplicateWindow?: number;
}

/** The queue holds as much as it may: the agent should keep its batch and retry later. */
export class QueueFullError extends Error {
  constructor(readonly pending: number, readonly limit: number) {
    super(`ingest queue full: ${pending} records pending (limit ${limit}, ingest.maxPendingRecords)`);
    this.name = 'QueueFullError';
  }
}

interface Waiting {
  records: StoredRecord[];
  resolve(): void;
  reject(e: unknown): void;
}

export class IngestQueue {
  private waiting: Waiting[] = [];
  private waitingRecords = 0;
  private inFlightRecords = 0;
  private writes = 0;
  private downUntil = 0;
  private lastFailure: StoreUnavailableError | null = null;
  /** set by a failure, cleared (and logged) by the next confirmed write */
  private down = false;
  private ready: Promise<void> | null = null;
  private readonly recent: RecentKeys;

  constructor(
    private readonly store: SeriesStore,
    private readonly opts: IngestQueueOptions,
    private readonly metrics: IngestMetrics,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    metrics.trackPending(() => this.pending);
    this.recent = new RecentKeys(opts.duplicateWindow ?? 400_000);
  }

  /** records accepted but not yet confirmed by the store */
  get pending(): number {
    return this.waitingRecords + this.inFlightRecords;
  }

  /** Resolves once the store holds every record; rejects with QueueFullError, StoreUnavailableError or the store's error. */
  submit(records: StoredRecord[]): Promise<void> {
    if (!records.length) return Promise.resolve();
    if (this.now() < this.downUntil) return Promise.reject(this.lastFailure!);
    // One request alone may exceed the bound (the body limit caps it); otherwise hold at most maxPendingRecords.
    if (this.pending > 0 && this.pending + records.length > this.opts.maxPendingRecords) {
      return Promise.reject(new QueueFullError(this.pending, this.opts.maxPendingRecords));
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ records, resolve, reject });
      this.waitingRecords += records.length;
      this.pump();
    });
  }

  private pump(): void {
    while (this.writes < this.opts.writers && this.waiting.length) {
      // An idle store gets a request at once. While a write runs, another starts only with a full batch, so under
      // load the store sees few large writes (fewer requests, fewer WAL syncs) rather than many small ones, and the
      // writers are busy side by side (a store that is never idle between writes is a store at full speed).
      if (this.writes > 0 && this.waitingRecords < this.opts.batchRecords) return;
      // Whole requests up to batchRecords, never past it (but at least one): a batch one request over the size the
      // store writes in one piece (InfluxDB: series.influx.linesPerWrite) would cost a second, tiny write.
      const batch: Waiting[] = [this.waiting.shift()!];
      let n = batch[0]!.records.length;
      while (this.waiting.length && n + this.waiting[0]!.records.length <= this.opts.batchRecords) {
        const w = this.waiting.shift()!;
        batch.push(w);
        n += w.records.length;
      }
      this.waitingRecords -= n;
      this.inFlightRecords += n;
      this.writes++;
      void this.run(batch, n).finally(() => {
        this.writes--;
        this.inFlightRecords -= n;
        this.pump();
      });
    }
  }

  /** Readies the store ahead of the first request (init() runs only here, never twice at once). */
  prepare(): Promise<void> {
    return this.ensureReady();
  }

  /** (Re)creates what the store needs once, and again after an outage (the server may have come back empty). */
  private ensureReady(): Promise<void> {
    this.ready ??= this.store.init().catch((e: unknown) => { this.ready = null; throw e; });
    return this.ready;
  }

  private async run(batch: Waiting[], n: number): Promise<void> {
    const records = batch.length === 1 ? batch[0]!.records : batch.flatMap((w) => w.records);
    try {
      await this.write(records);
      this.stored(records);
      for (const w of batch) w.resolve();
    } catch (e) {
      if (e instanceof StoreUnavailableError) {
        this.markDown(e);
        for (const w of batch) w.reject(e);
        return;
      }
      if (batch.length === 1) return batch[0]!.reject(e);
      // A request the store refuses (e.g. points outside the retention policy) must not sink the others with it:
      // write each request alone (re-writing is idempotent) so only the offending ones fail.
      this.log.warn({ err: (e as Error).message, requests: batch.length, records: n }, 'store refused a batch; writing its requests one by one');
      for (const w of batch) {
        try {
          await this.write(w.records);
          this.stored(w.records);
          w.resolve();
        } catch (one) {
          if (one instanceof StoreUnavailableError) this.markDown(one);
          w.reject(one);
        }
      }
    }
  }

  /** Records the store confirmed: those this gateway had already stored are re-deliveries. */
  private stored(records: StoredRecord[]): void {
    this.metrics.duplicate(this.recent.repeats(records));
  }

  private async write(records: StoredRecord[]): Promise<void> {
    const t0 = performance.now();
    try {
      await this.ensureReady();
      await this.store.write(records);
      this.metrics.storeWrite(records.length, (performance.now() - t0) / 1000, 'ok');
      if (this.down) {
        this.down = false;
        this.log.info('series store answers again: accepting results');
      }
    } catch (e) {
      this.metrics.storeWrite(records.length, (performance.now() - t0) / 1000, 'error');
      throw e;
    }
  }

  /** The store is down: refuse new requests for retryAfterSec, and release everything waiting (it would fail too). */
  private markDown(e: StoreUnavailableError): void {
    const first = !this.down;
    this.down = true;
    this.downUntil = this.now() + this.opts.retryAfterSec * 1000;
    this.lastFailure = e;
    this.ready = null;
    const dropped = this.waiting;
    this.waiting = [];
    this.waitingRecords = 0;
    for (const w of dropped) w.reject(e);
    if (first) this.log.error({ err: e.message, retryAfterSec: this.opts.retryAfterSec, released: dropped.length }, 'series store unavailable: refusing results until it answers');
  }
}
