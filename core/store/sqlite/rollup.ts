// The SQLite series store's rollups, kept in step with `probe` inside each write's transaction:
// - probe_hour: per (vip, hour, method, province, isp, vip_dc): week-long VIP charts read ~168 rows per group instead
//   of grouping ~10,000 raw minutes per group on every page load;
// - probe_group: per (ts, method, province, isp, vip_dc), no host or vip: the board's per-minute grids (province x
//   isp, destination DC x isp) and the baselines read one row per group and DC instead of one per host and VIP.
// Sums are added per batch; a record that replaces an existing one (a re-sent batch) cannot be subtracted from a
// min/max, so its rollup rows are recomputed from `probe` instead (rare: idempotent re-ingest).
import type Database from 'better-sqlite3';
import { byBucket, sumLoss, TAG_COLUMN } from '../series-common.js';
import type { BucketPoint, BucketQuery, SeriesTag } from '../series.js';

export const HOUR = 3_600_000;

const FIGURES = `
  records INTEGER NOT NULL,
  sent INTEGER NOT NULL,
  recv INTEGER NOT NULL,
  rtt_n INTEGER NOT NULL,
  rtt_sum REAL NOT NULL,
  rtt_min REAL,
  rtt_max REAL,`;

export const ROLLUP_DDL = `
CREATE TABLE IF NOT EXISTS probe_hour (
  vip TEXT NOT NULL, hour INTEGER NOT NULL, method TEXT NOT NULL, province TEXT NOT NULL, isp TEXT NOT NULL, vip_dc TEXT NOT NULL,${FIGURES}
  PRIMARY KEY (vip, hour, method, province, isp, vip_dc)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS probe_hour_hour ON probe_hour (hour);
CREATE TABLE IF NOT EXISTS probe_group (
  ts INTEGER NOT NULL, method TEXT NOT NULL, province TEXT NOT NULL, isp TEXT NOT NULL, vip_dc TEXT NOT NULL,${FIGURES}
  PRIMARY KEY (ts, method, province, isp, vip_dc)
) WITHOUT ROWID;`;

/** One rollup row's figures before they are added to the table. */
interface Part { records: number; sent: number; recv: number; n: number; sum: number; mn: number | null; mx: number | null }

const SUMS = 'COUNT(*), SUM(sent), SUM(recv), COUNT(rtt_avg), COALESCE(SUM(rtt_avg), 0), MIN(rtt_min), MAX(rtt_max)';
const MERGE = `records = records + excluded.records, sent = sent + excluded.sent, recv = recv + excluded.recv,
  rtt_n = rtt_n + excluded.rtt_n, rtt_sum = rtt_sum + excluded.rtt_sum,
  rtt_min = COALESCE(MIN(rtt_min, excluded.rtt_min), rtt_min, excluded.rtt_min),
  rtt_max = COALESCE(MAX(rtt_max, excluded.rtt_max), rtt_max, excluded.rtt_max)`;

/** How one rollup table is keyed, filled from `probe`, and recomputed after a replace. */
interface TableSpec {
  name: 'probe_hour' | 'probe_group';
  /** key columns, in order, as SELECT expressions over `probe` */
  key: string[];
  /** the columns a replaced record's rows are recomputed by, and their SELECT expressions */
  scope: string[];
}

const TABLES: TableSpec[] = [
  { name: 'probe_hour', key: ['vip', `ts - (ts % ${HOUR})`, 'method', 'province', 'isp', 'vip_dc'], scope: ['vip', 'hour', 'method'] },
  { name: 'probe_group', key: ['ts', 'method', 'province', 'isp', 'vip_dc'], scope: ['ts', 'method'] },
];

class Table {
  private readonly upsert: Database.Statement;
  private readonly clear: Database.Statement;
  private readonly refill: Database.Statement;
  private parts = new Map<string, { key: Array<string | number>; part: Part }>();
  private dirty = new Map<string, Array<string | number>>();

  constructor(db: Database.Database, private readonly spec: TableSpec) {
    const n = spec.key.length + 7;
    const keyCols = spec.name === 'probe_hour' ? 'vip, hour, method, province, isp, vip_dc' : 'ts, method, province, isp, vip_dc';
    this.upsert = db.prepare(`INSERT INTO ${spec.name} VALUES (${Array(n).fill('?').join(', ')}) ON CONFLICT (${keyCols}) DO UPDATE SET ${MERGE}`);
    this.clear = db.prepare(`DELETE FROM ${spec.name} WHERE ${spec.scope.map((c) => `${c} = ?`).join(' AND ')}`);
    // the scope's rows again from `probe` (hour: the hour's range, so the primary key's ts prefix is used)
    const where = spec.name === 'probe_hour' ? 'vip = ? AND ts >= ? AND ts < ? + 3600000 AND method = ?' : 'ts = ? AND method = ?';
    this.refill = db.prepare(`INSERT INTO ${spec.name} SELECT ${spec.key.join(', ')}, ${SUMS} FROM probe WHERE ${where} GROUP BY ${spec.key.join(', ')}`);
  }

  static fillAll(db: Database.Database, spec: TableSpec): void {
    db.exec(`INSERT INTO ${spec.name} SELECT ${spec.key.join(', ')}, ${SUMS} FROM probe GROUP BY ${spec.key.join(', ')}`);
  }

  added(key: Array<string | number>, sent: number, recv: number, rttMin: number | null, rttAvg: number | null, rttMax: number | null): void {
    const k = key.join('|');
    let e = this.parts.get(k);
    if (!e) this.parts.set(k, (e = { key, part: { records: 0, sent: 0, recv: 0, n: 0, sum: 0, mn: null, mx: null } }));
    const p = e.part;
    p.records++;
    p.sent += sent;
    p.recv += recv;
    if (rttAvg !== null) { p.n++; p.sum += rttAvg; }
    if (rttMin !== null) p.mn = p.mn === null ? rttMin : Math.min(p.mn, rttMin);
    if (rttMax !== null) p.mx = p.mx === null ? rttMax : Math.max(p.mx, rttMax);
  }

  replaced(scope: Array<string | number>): void {
    this.dirty.set(scope.join('|'), scope);
  }

  flush(): void {
    const scoped = (key: Array<string | number>) => (this.spec.name === 'probe_hour' ? [key[0], key[1], key[2]] : [key[0], key[1]]).join('|');
    for (const { key, part: p } of this.parts.values()) {
      if (this.dirty.has(scoped(key))) continue; // recomputed below, from rows that include it
      this.upsert.run(...key, p.records, p.sent, p.recv, p.n, p.sum, p.mn, p.mx);
    }
    for (const scope of this.dirty.values()) {
      this.clear.run(...scope);
      this.refill.run(...(this.spec.name === 'probe_hour' ? [scope[0], scope[1], scope[1], scope[2]] : scope));
    }
    this.reset();
  }

  reset(): void {
    this.parts = new Map();
    this.dirty = new Map();
  }
}

export class Rollups {
  private readonly hour: Table;
  private readonly group: Table;

  constructor(db: Database.Database) {
    this.hour = new Table(db, TABLES[0]!);
    this.group = new Table(db, TABLES[1]!);
  }

  /** Creates the rollup tables; fills each one that is new from `probe` (a file written before it existed). */
  static create(db: Database.Database): void {
    const have = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name));
    db.exec(ROLLUP_DDL);
    for (const spec of TABLES) if (!have.has(spec.name)) Table.fillAll(db, spec);
  }

  /** A new row went into `probe`: its figures join the batch's sums. */
  added(ts: number, vip: string, method: string, province: string, isp: string, vipDc: string, sent: number, recv: number,
    rttMin: number | null, rttAvg: number | null, rttMax: number | null): void {
    this.hour.added([vip, ts - (ts % HOUR), method, province, isp, vipDc], sent, recv, rttMin, rttAvg, rttMax);
    this.group.added([ts, method, province, isp, vipDc], sent, recv, rttMin, rttAvg, rttMax);
  }

  /** A row of `probe` was replaced: its rollup rows are recomputed at flush. */
  replaced(ts: number, vip: string, method: string): void {
    this.hour.replaced([vip, ts - (ts % HOUR), method]);
    this.group.replaced([ts, method]);
  }

  /** Writes the batch's sums and recomputes replaced rows; call inside the write's transaction, after `probe`. */
  flush(): void {
    this.hour.flush();
    this.group.flush();
  }

  /** Forgets a batch whose transaction rolled back. */
  reset(): void {
    this.hour.reset();
    this.group.reset();
  }
}

/** [bucket, ...tag values in `by` order, rtt count, rtt sum, rtt min, rtt max, sent, recv]: raw rows, no objects. */
type Row = Array<number | string | null>;

/** Partial figures per bucket and tags from one table over [fromMs, toMs); merged by bucketsFrom(). */
function partials(db: Database.Database, table: 'probe' | 'probe_hour' | 'probe_group', q: BucketQuery, fromMs: number, toMs: number): Row[] {
  if (toMs <= fromMs) return [];
  const ts = table === 'probe_hour' ? 'hour' : 'ts';
  const cols = q.by.map((t) => TAG_COLUMN[t]);
  const where = [`${ts} >= ?`, `${ts} < ?`];
  const args: Array<string | number> = [fromMs, toMs];
  for (const [t, v] of Object.entries(q.where ?? {}) as Array<[SeriesTag, string]>) {
    where.push(`${TAG_COLUMN[t]} = ?`);
    args.push(v);
  }
  if (q.method) { where.push('method = ?'); args.push(q.method); }
  const figures = table === 'probe'
    ? 'COUNT(rtt_avg), COALESCE(SUM(rtt_avg), 0), MIN(rtt_min), MAX(rtt_max), SUM(sent), SUM(recv), COUNT(*)'
    : 'SUM(rtt_n), SUM(rtt_sum), MIN(rtt_min), MAX(rtt_max), SUM(sent), SUM(recv), SUM(records)';
  const group = ['b', ...cols].join(', ');
  return db.prepare(`SELECT ${ts} - (${ts} % ${q.bucketMs}) AS b${cols.map((c) => `, ${c}`).join('')}, ${figures}
      FROM ${table} WHERE ${where.join(' AND ')} GROUP BY ${group}`).raw(true).all(...args) as Row[];
}

/**
 * buckets() for the SQLite store: whole hours inside [fromMs, toMs) come from probe_hour when the buckets are whole
 * hours, the minutes at either edge from `probe` (or probe_group); the parts of one bucket are merged.
 */
export function bucketsFrom(db: Database.Database, q: BucketQuery): BucketPoint[] {
  const h0 = Math.ceil(q.fromMs / HOUR) * HOUR, h1 = Math.floor(q.toMs / HOUR) * HOUR;
  // without a vip in the query, minutes come from probe_group (no host or vip in its key)
  const raw = q.by.includes('vip') || q.where?.vip !== undefined ? 'probe' : 'probe_group';
  const rollup = q.bucketMs % HOUR === 0 && h1 > h0;
  const parts = rollup
    ? [partials(db, raw, q, q.fromMs, h0), partials(db, 'probe_hour', q, h0, h1), partials(db, raw, q, h1, q.toMs)]
    : [partials(db, raw, q, q.fromMs, q.toMs)];
  const nt = q.by.length;
  // one part alone needs no merge; otherwise rows of the same bucket and tags are added up
  let rows: Row[];
  if (parts.filter((p) => p.length).length <= 1) rows = parts.flat();
  else {
    const merged = new Map<string, Row>();
    for (const part of parts) {
      for (const r of part) {
        const k = r.slice(0, 1 + nt).join('|');
        const m = merged.get(k);
        if (!m) { merged.set(k, r); continue; }
        for (const i of [nt + 1, nt + 2, nt + 5, nt + 6, nt + 7]) m[i] = (m[i] as number) + (r[i] as number);
        const mn = r[nt + 3] as number | null, mx = r[nt + 4] as number | null;
        if (mn !== null) m[nt + 3] = m[nt + 3] === null ? mn : Math.min(m[nt + 3] as number, mn);
        if (mx !== null) m[nt + 4] = m[nt + 4] === null ? mx : Math.max(m[nt + 4] as number, mx);
      }
    }
    rows = [...merged.values()];
  }
  return rows.map((r) => {
    const n = r[nt + 1] as number;
    const p: BucketPoint = {
      minute: r[0] as number, rttMin: r[nt + 3] as number | null, rttAvg: n > 0 ? (r[nt + 2] as number) / n : null,
      rttMax: r[nt + 4] as number | null, lossPct: sumLoss(r[nt + 5] as number, r[nt + 6] as number), records: r[nt + 7] as number,
    };
    for (let i = 0; i < nt; i++) p[q.by[i]!] = r[1 + i] as string;
    return p;
  }).sort(byBucket);
}
