// The ingest queue over a real SQLite store whose writes the test can hold, fail or let through: requests are grouped
// into larger writes, each settles with the write holding its records, memory stays bounded, an outage fails fast.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../../core/log.js';
import { StoreUnavailableError, type SeriesStore, type StoredRecord } from '../../core/store/series.js';
import { SqliteSeriesStore } from '../../core/store/sqlite/series.js';
import { IngestMetrics } from '../../gateway/ingest-metrics.js';
import { IngestQueue, QueueFullError, type IngestQueueOptions } from '../../gateway/ingest-queue.js';

const log = createLogger('silent');
const T = Math.floor(Date.now() / 60_000) * 60_000;

/** Delegates to SQLite; each write waits for the test to open the gate, and may be made to fail. */
class GatedStore implements SeriesStore {
  writes: StoredRecord[][] = [];
  fail: ((records: StoredRecord[]) => Error | null) | null = null;
  private gates: Array<() => void> = [];
  constructor(private readonly inner: SqliteSeriesStore, public held = true) {}
  /** lets the oldest held write go on */
  release(): void { this.gates.shift()?.(); }
  get waitingWrites(): number { return this.gates.length; }
  init() { return this.inner.init(); }
  async write(records: StoredRecord[]) {
    this.writes.push(records);
    if (this.held) await new Promise<void>((r) => this.gates.push(r));
    const e = this.fail?.(records);
    if (e) throw e;
    return this.inner.write(records);
  }
  readRange(a: number, b: number) { return this.inner.readRange(a, b); }
  groupAggregates(a: number, b: number) { return this.inner.groupAggregates(a, b); }
  vipSeries(v: string, a: number, b: number) { return this.inner.vipSeries(v, a, b); }
  buckets(q: Parameters<SeriesStore['buckets']>[0]) { return this.inner.buckets(q); }
  httpChecks(v: string, a: number, b: number, n: number) { return this.inner.httpChecks(v, a, b, n); }
  writeFaultEvents() { return Promise.resolve(); }
  faultEvents() { return Promise.resolve([]); }
  ping() { return this.inner.ping(); }
  close() { return this.inner.close(); }
}

const records = (host: string, n: number, vip = '198.19.0.1'): StoredRecord[] => Array.from({ length: n }, (_, i) => ({
  ts: new Date(T - i * 60_000).toISOString(), host, vip, method: 'icmp', sent: 10, recv: 10, rttMin: 1, rttAvg: 2, rttMax: 3,
  dc: 'dc1', province: 'beijing', isp: 'ct', vipDc: 'idc', business: 'search',
}));
const tick = () => new Promise((r) => setImmediate(r));
const settled = (p: Promise<unknown>) => { const s = { done: false, error: null as unknown }; p.then(() => { s.done = true; }, (e) => { s.done = true; s.error = e; }); return s; };

describe('ingest queue', () => {
  let dir: string;
  let inner: SqliteSeriesStore;
  let store: GatedStore;
  let clock: number;
  const queue = (o: Partial<IngestQueueOptions> = {}) => new IngestQueue(store, {
    batchRecords: 1000, maxPendingRecords: 1000, writers: 1, retryAfterSec: 5, ...o,
  }, new IngestMetrics(new Registry()), log, () => clock);

  before(() => { dir = mkdtempSync(join(tmpdir(), 'vipwatch-queue-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    inner = new SqliteSeriesStore({ file: join(dir, `s${Math.random()}.db`), log });
    store = new GatedStore(inner);
    clock = T;
  });

  it('groups requests that arrive during a write into the next write; each settles with its own write', async () => {
    const q = queue();
    const first = settled(q.submit(records('h0', 3)));
    await tick();
    const rest = [1, 2, 3, 4].map((i) => settled(q.submit(records(`h${i}`, 2))));
    await tick();
    assert.deepEqual(store.writes.map((w) => w.length), [3], 'one write in flight, the rest wait');
    store.release();
    await tick(); await tick();
    assert.equal(first.done, true);
    assert.equal(first.error, null);
    assert.deepEqual(store.writes.map((w) => w.length), [3, 8], 'the four waiting requests went out as one write');
    assert.ok(rest.every((s) => !s.done), 'not acknowledged before their own write is confirmed');
    store.release();
    await tick(); await tick();
    assert.ok(rest.every((s) => s.done && s.error === null));
    assert.equal((await inner.readRange(0, T + 1)).length, 11);
    assert.equal(q.pending, 0);
  });

  it('starts a second writer only for a full batch, never past batchRecords, so a loaded store gets fewer, larger writes side by side', async () => {
    const q = queue({ batchRecords: 7, writers: 2 });
    const all = [0, 1, 2, 3, 4, 5, 6].map((i) => settled(q.submit(records(`h${i}`, 3))));
    await tick();
    // the first request finds the store idle and goes alone; the second writer takes whole requests up to 7 records
    // (two of 3: a third would pass 7 and cost the store a second, tiny write)
    assert.deepEqual(store.writes.map((w) => w.length), [3, 6]);
    store.release();
    await tick(); await tick();
    assert.deepEqual(store.writes.map((w) => w.length), [3, 6, 6], 'a writer freed: the next full batch');
    store.release();
    await tick(); await tick();
    assert.deepEqual(store.writes.map((w) => w.length), [3, 6, 6], 'the last 6 records wait (not a full batch) while a write runs');
    store.release();
    await tick(); await tick();
    assert.deepEqual(store.writes.map((w) => w.length), [3, 6, 6, 6], 'the store went idle: what waits goes at once');
    store.release();
    await tick(); await tick();
    assert.ok(all.every((s) => s.done && s.error === null));
    assert.equal((await inner.readRange(0, T + 1)).length, 21);
  });

  it('a request larger than batchRecords goes as one write of its own', async () => {
    const q = queue({ batchRecords: 4, writers: 1 });
    store.held = false;
    await Promise.all([q.submit(records('a', 9)), q.submit(records('b', 2)), q.submit(records('c', 2))]);
    assert.deepEqual(store.writes.map((w) => w.length), [9, 4]);
  });

  it('refuses a request that would pass maxPendingRecords (503), holding nothing of it', async () => {
    const q = queue({ maxPendingRecords: 10 });
    const a = settled(q.submit(records('a', 6)));
    const b = settled(q.submit(records('b', 4)));
    await assert.rejects(q.submit(records('c', 1)), QueueFullError);
    assert.equal(q.pending, 10);
    store.release(); await tick(); await tick();
    store.release(); await tick(); await tick();
    assert.ok(a.done && b.done && a.error === null && b.error === null);
    // a single request larger than the bound still goes through when nothing else is pending
    store.held = false;
    await q.submit(records('big', 20));
    assert.equal((await inner.readRange(0, T + 1)).length, 30);
  });

  it('while the store is down: the failed write and everything waiting are refused, new requests fail fast until Retry-After', async () => {
    const q = queue({ retryAfterSec: 5 });
    store.fail = () => new StoreUnavailableError('connect ECONNREFUSED');
    const a = settled(q.submit(records('a', 2)));
    await tick();
    const b = settled(q.submit(records('b', 2)));
    store.release();
    await tick(); await tick();
    assert.ok(a.error instanceof StoreUnavailableError && b.error instanceof StoreUnavailableError);
    assert.equal(q.pending, 0, 'nothing held while down');
    const writes = store.writes.length;
    await assert.rejects(q.submit(records('c', 2)), StoreUnavailableError);
    assert.equal(store.writes.length, writes, 'the store is not hammered while it is down');
    clock += 5_000;
    store.fail = null;
    store.held = false;
    await q.submit(records('c', 2));
    assert.deepEqual((await inner.readRange(0, T + 1)).map((r) => r.host), ['c', 'c']);
  });

  it('a request the store refuses does not sink the requests batched with it', async () => {
    const q = queue();
    store.fail = (rs) => (rs.some((r) => r.vip === 'poison') ? new Error('partial write: points beyond retention policy dropped=1') : null);
    const first = settled(q.submit(records('x', 1)));
    await tick();
    const good = settled(q.submit(records('g', 2)));
    const bad = settled(q.submit(records('p', 2, 'poison')));
    const good2 = settled(q.submit(records('k', 2)));
    store.held = false;
    store.release();
    await tick(); await tick(); await tick(); await tick();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(first.done && good.done && bad.done && good2.done);
    assert.equal(good.error, null);
    assert.equal(good2.error, null);
    assert.match(String(bad.error), /beyond retention/);
    assert.deepEqual((await inner.readRange(0, T + 1)).map((r) => r.host).sort(), ['g', 'g', 'k', 'k', 'x']);
  });

  it('counts records stored again for the same (host, vip, method, ts) as duplicates; a retry after a 503 is not one', async () => {
    const registry = new Registry();
    const q = new IngestQueue(store, { batchRecords: 1000, maxPendingRecords: 1000, writers: 1, retryAfterSec: 5 }, new IngestMetrics(registry), log, () => clock);
    const duplicates = async () => (await registry.getSingleMetric('vipwatch_ingest_duplicate_records_total')!.get()).values[0]?.value ?? 0;
    store.held = false;
    // refused while the store is down, then stored: one delivery
    store.fail = () => new StoreUnavailableError('connect ECONNREFUSED');
    await assert.rejects(q.submit(records('a', 3)), StoreUnavailableError);
    clock += 5_000;
    store.fail = null;
    await q.submit(records('a', 3));
    assert.equal(await duplicates(), 0);
    // the same batch again (an agent re-posting what was stored), next to new records: 3 duplicates
    await Promise.all([q.submit(records('a', 3)), q.submit(records('b', 2))]);
    assert.equal(await duplicates(), 3);
    // the same time spelled another way is the same record; another method or VIP is not
    const again = records('b', 1).map((r) => ({ ...r, ts: r.ts.replace('.000Z', 'Z') }));
    await q.submit([...again, ...records('b', 1).map((r) => ({ ...r, method: 'tcp' as const })), ...records('b', 1, '198.19.0.2')]);
    assert.equal(await duplicates(), 4);
    assert.equal((await inner.readRange(0, T + 1)).length, 7, 'the store keeps each record once');
  });
});
