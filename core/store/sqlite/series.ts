// The embedded series store: one SQLite file under dataDir (WAL). A write is one transaction with synchronous=FULL,
// so once write() resolves the records survive a crash or power cut; (ts, host, vip, method) is the key, so a re-write
// replaces the row (idempotent ingest). Rollups for charts and the board: ./rollup.ts.
import Database from 'better-sqlite3';
import { openSqlite } from './open.js';
import type { Logger } from '../../log.js';
import { lossPct, type Method } from '../../model.js';
import { byMinuteGroup, byMinuteId, checkBucketQuery, faultAnnotation, HTTP_FIELDS, httpFromRow, isoTs, sumLoss } from '../series-common.js';
import { Retention, type RetentionMs } from './retention.js';
import { bucketsFrom, Rollups } from './rollup.js';
import {
  StoreUnavailableError, type BucketPoint, type BucketQuery, type FaultEvent, type GroupAggregate, type HttpCheck, type SeriesFilter, type SeriesStore, type StoredFaultEvent,
  type StoredRecord, type VipPoint,
} from '../series.js';

const DDL = `
CREATE TABLE IF NOT EXISTS probe (
  ts INTEGER NOT NULL,
  host TEXT NOT NULL,
  vip TEXT NOT NULL,
  method TEXT NOT NULL,
  dc TEXT NOT NULL,
  province TEXT NOT NULL,
  isp TEXT NOT NULL,
  vip_dc TEXT NOT NULL,
  business TEXT NOT NULL,
  sent INTEGER NOT NULL,
  recv INTEGER NOT NULL,
  loss REAL NOT NULL,
  rtt_min REAL,
  rtt_avg REAL,
  rtt_max REAL,
  cert_days_left REAL,
  http_body_mismatch INTEGER,
  http_connect_ms REAL,
  http_dns_ms REAL,
  http_first_byte_ms REAL,
  http_status INTEGER,
  http_tls_ms REAL,
  http_total_ms REAL,
  PRIMARY KEY (ts, host, vip, method)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS probe_vip ON probe (vip, ts);
CREATE TABLE IF NOT EXISTS fault (
  ts INTEGER NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  event TEXT NOT NULL,
  title TEXT NOT NULL,
  text TEXT NOT NULL,
  uid TEXT NOT NULL,
  PRIMARY KEY (ts, id)
) WITHOUT ROWID;`;

const HTTP_COLS = HTTP_FIELDS.map(([, c]) => `, ${c}`).join('');

/** Migration for files made before the http checks: adds the columns a probe table lacks (CREATE TABLE IF NOT EXISTS does not). */
function addHttpColumns(db: Database.Database): void {
  const have = new Set((db.prepare('PRAGMA table_info(probe)').all() as Array<{ name: string }>).map((c) => c.name));
  for (const [, col, type] of HTTP_FIELDS) {
    if (!have.has(col)) db.exec(`ALTER TABLE probe ADD COLUMN ${col} ${type === 'int' ? 'INTEGER' : 'REAL'}`);
  }
}

// SQLite result codes that mean "the storage is not usable right now", not "this data is wrong".
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|PROTOCOL)/;

interface ProbeRow {
  ts: number; host: string; vip: string; method: Method; dc: string; province: string; isp: string; vip_dc: string;
  business: string; sent: number; recv: number; rtt_min: number | null; rtt_avg: number | null; rtt_max: number | null;
}

export interface SqliteSeriesStoreOptions {
  /** a file path, or ':memory:' */
  file: string;
  log: Logger;
  /** how long rows are kept (ms): raw minutes, group rollup and fault events; the hourly rollup. Absent: forever
   * (what tests holding fixed old minutes want; `vipwatch` always passes the configured series.sqlite retention) */
  keep?: RetentionMs;
  /** the clock retention counts from (tests pass their own) */
  now?: () => number;
  /** rows a table gives up per prune at most (about: whole minutes go together) */
  pruneStepRows?: number;
}

/** How often a writer looks for expired rows while none are left over (ms). */
export const PRUNE_EVERY_MS = 10 * 60_000;

export class SqliteSeriesStore implements SeriesStore {
  private db: Database.Database | null = null;
  private rollup: Rollups | null = null;
  /** made at the first prune: only a writer needs its statements (web and analyzer processes only read) */
  private retention: Retention | null = null;
  private nextPrune = 0;

  constructor(private readonly opts: SqliteSeriesStoreOptions) {}

  async init(): Promise<void> {
    if (this.db) return;
    // FULL: an acknowledged batch is on disk (the gateway's 200 promises that).
    this.db = this.guard(() => openSqlite(this.opts.file, DDL, 'FULL'));
    this.guard(() => addHttpColumns(this.db!));
    this.guard(() => this.db!.transaction(() => Rollups.create(this.db!))());
    this.rollup = new Rollups(this.db);
    this.opts.log.debug({ file: this.opts.file }, 'series store (sqlite) ready');
  }

  private get conn(): Database.Database {
    if (!this.db) throw new Error('series store (sqlite): init() was not called');
    return this.db;
  }

  /** Turns storage-level failures into StoreUnavailableError (the gateway answers 503 and the agent keeps its batch). */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (UNAVAILABLE.test(code)) throw new StoreUnavailableError(`series store (sqlite) ${this.opts.file}: ${(e as Error).message}`, e);
      throw e;
    }
  }

  async write(records: StoredRecord[]): Promise<void> {
    if (!records.length) return;
    const cols = `(ts, host, vip, method, dc, province, isp, vip_dc, business, sent, recv, loss, rtt_min, rtt_avg, rtt_max${HTTP_COLS})
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?${', ?'.repeat(HTTP_FIELDS.length)})`;
    // a new key is inserted and summed into the rollup; an existing one is replaced and its rollup hour recomputed
    const add = this.conn.prepare(`INSERT INTO probe ${cols} ON CONFLICT DO NOTHING`);
    const put = this.conn.prepare(`INSERT OR REPLACE INTO probe ${cols}`);
    const rollup = this.rollup!;
    const none = HTTP_FIELDS.map(() => null);
    const tsCache = new Map<string, number>();
    try {
      this.guard(() => this.conn.transaction(() => {
        for (const r of records) {
          let ts = tsCache.get(r.ts);
          if (ts === undefined) tsCache.set(r.ts, (ts = Date.parse(r.ts)));
          const row = [ts, r.host, r.vip, r.method, r.dc, r.province, r.isp, r.vipDc, r.business, r.sent, r.recv, lossPct(r),
            r.rttMin ?? null, r.rttAvg ?? null, r.rttMax ?? null, ...(r.method === 'http' ? HTTP_FIELDS.map(([k]) => r[k] ?? null) : none)];
          if (add.run(...row).changes === 1) {
            rollup.added(ts, r.vip, r.method, r.province, r.isp, r.vipDc, r.sent, r.recv, r.rttMin ?? null, r.rttAvg ?? null, r.rttMax ?? null);
          } else {
            put.run(...row);
            rollup.replaced(ts, r.vip, r.method);
          }
        }
        rollup.flush();
      })());
    } finally {
      rollup.reset();
    }
    this.prune();
  }

  /**
   * Expired rows out, by the writer (readers never delete): every PRUNE_EVERY_MS, or after each write while a backlog
   * is left. The batch is already stored: a failure here is logged and tried again at the next write.
   */
  private prune(): void {
    const keep = this.opts.keep;
    const now = (this.opts.now ?? Date.now)();
    if (!keep || now < this.nextPrune) return;
    try {
      const retention = (this.retention ??= new Retention(this.conn, keep, this.opts.pruneStepRows ?? 50_000));
      const r = this.conn.transaction(() => retention.prune(now))();
      this.nextPrune = r.more ? now : now + PRUNE_EVERY_MS;
      if (r.deleted) this.opts.log.info({ deleted: r.deleted, more: r.more }, 'series store (sqlite): rows past their retention deleted');
    } catch (e) {
      this.nextPrune = now;
      this.opts.log.warn({ err: (e as Error).message }, 'series store (sqlite): deleting rows past their retention failed; trying again at the next write');
    }
  }

  async readRange(fromMs: number, toMs: number): Promise<StoredRecord[]> {
    const rows = this.guard(() => this.conn.prepare('SELECT * FROM probe WHERE ts >= ? AND ts < ? ORDER BY ts, host, vip, method')
      .all(fromMs, toMs)) as ProbeRow[];
    return rows.map((r) => {
      const out: StoredRecord = {
        ts: isoTs(r.ts), host: r.host, vip: r.vip, method: r.method, sent: r.sent, recv: r.recv,
        dc: r.dc, province: r.province, isp: r.isp, vipDc: r.vip_dc, business: r.business,
      };
      if (r.rtt_avg !== null) Object.assign(out, { rttMin: r.rtt_min, rttAvg: r.rtt_avg, rttMax: r.rtt_max });
      if (r.method === 'http') httpFromRow(r as unknown as Record<string, unknown>, out);
      return out;
    });
  }

  async httpChecks(vip: string, fromMs: number, toMs: number, limit: number): Promise<HttpCheck[]> {
    const rows = this.guard(() => this.conn.prepare(`SELECT ts, host, province, isp, sent, recv, rtt_avg${HTTP_COLS} FROM probe
      WHERE vip = ? AND method = 'http' AND ts >= ? AND ts < ? ORDER BY ts DESC, host LIMIT ?`).all(vip, fromMs, toMs, limit)) as Array<Record<string, unknown>>;
    return rows.map((r) => {
      const out: HttpCheck = { ts: isoTs(r.ts as number), host: r.host as string, province: r.province as string, isp: r.isp as string, sent: r.sent as number, recv: r.recv as number };
      if (r.rtt_avg !== null) out.rttAvg = r.rtt_avg as number;
      httpFromRow(r, out);
      return out;
    });
  }

  async groupAggregates(fromMs: number, toMs: number, filter: SeriesFilter = {}): Promise<GroupAggregate[]> {
    // from the per-minute group rollup (core/store/sqlite/rollup.ts): one row per group and destination DC
    const rows = this.guard(() => this.conn.prepare(`SELECT ts, province, isp, SUM(rtt_sum) / NULLIF(SUM(rtt_n), 0) AS rtt,
        SUM(sent) AS sent, SUM(recv) AS recv, SUM(records) AS n
      FROM probe_group WHERE ts >= ? AND ts < ? AND (? IS NULL OR method = ?) GROUP BY ts, province, isp`)
      .all(fromMs, toMs, filter.method ?? null, filter.method ?? null)) as Array<{ ts: number; province: string; isp: string; rtt: number | null; sent: number; recv: number; n: number }>;
    return rows.map((r) => ({
      minute: r.ts, province: r.province, isp: r.isp, rttAvg: r.rtt, lossPct: sumLoss(r.sent, r.recv), records: r.n,
    })).sort(byMinuteGroup);
  }

  async vipSeries(vip: string, fromMs: number, toMs: number, filter: SeriesFilter = {}): Promise<VipPoint[]> {
    const rows = this.guard(() => this.conn.prepare(`SELECT ts, province, isp, MIN(rtt_min) AS mn, AVG(rtt_avg) AS av,
        MAX(rtt_max) AS mx, SUM(sent) AS sent, SUM(recv) AS recv
      FROM probe WHERE vip = ? AND ts >= ? AND ts < ? AND (? IS NULL OR method = ?) GROUP BY ts, province, isp`)
      .all(vip, fromMs, toMs, filter.method ?? null, filter.method ?? null)) as Array<{ ts: number; province: string; isp: string; mn: number | null; av: number | null; mx: number | null; sent: number; recv: number }>;
    return rows.map((r) => ({
      minute: r.ts, province: r.province, isp: r.isp, rttMin: r.mn, rttAvg: r.av, rttMax: r.mx, lossPct: sumLoss(r.sent, r.recv),
    })).sort(byMinuteGroup);
  }

  async buckets(q: BucketQuery): Promise<BucketPoint[]> {
    checkBucketQuery(q);
    return this.guard(() => bucketsFrom(this.conn, q));
  }

  async writeFaultEvents(events: FaultEvent[]): Promise<void> {
    if (!events.length) return;
    const put = this.conn.prepare(`INSERT OR REPLACE INTO fault (ts, id, type, key, event, title, text, uid)
      VALUES (@minute, @id, @type, @key, @event, @title, @text, @uid)`);
    this.guard(() => this.conn.transaction(() => { for (const ev of events) put.run(faultAnnotation(ev)); })());
  }

  async faultEvents(fromMs: number, toMs: number): Promise<StoredFaultEvent[]> {
    const rows = this.guard(() => this.conn.prepare('SELECT * FROM fault WHERE ts >= ? AND ts < ?').all(fromMs, toMs)) as Array<Omit<StoredFaultEvent, 'minute'> & { ts: number }>;
    return rows.map(({ ts, ...r }) => ({ minute: ts, ...r })).sort(byMinuteId);
  }

  async ping(): Promise<boolean> {
    try {
      return this.conn.prepare('SELECT 1 AS one').get() !== undefined;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }
}
