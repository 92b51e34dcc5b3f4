// The InfluxDB series store (1.x HTTP API): records as measurement `probe`, fault events as `fault`, hourly rollups by
// a continuous query. A point's key is (measurement, tags, time), so re-writing a record overwrites it: ingest is
// idempotent without any read-before-write.
import type { Logger } from '../../log.js';
import { byBucket, byMinuteGroup, byMinuteId, checkBucketQuery, faultAnnotation, HTTP_FIELDS, httpFromRow, isoTs, sumLoss, TAG_COLUMN } from '../series-common.js';
import type {
  BucketPoint, BucketQuery, SeriesTag, FaultEvent, GroupAggregate, HttpCheck, SeriesFilter, SeriesStore, StoredFaultEvent, StoredRecord, VipPoint,
} from '../series.js';
import type { Method, FaultType } from '../../model.js';
import { InfluxClient, ident, literal, type InfluxConnection } from './client.js';
import { FAULT, PROBE, ProbeLineRenderer, faultLine } from './lines.js';
import { ensureLayout, ROLLUP_MEASUREMENT, ROLLUP_RP, type InfluxLayout } from './schema.js';

export interface InfluxSeriesStoreOptions extends InfluxConnection, InfluxLayout {
  /** length of a "minute" in seconds (cfg.minuteSec): aggregates group by it */
  minuteSec: number;
  /** lines per /write request (default 5,000; InfluxDB's guidance is 5,000-10,000) */
  linesPerWrite?: number;
  log: Logger;
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export class InfluxSeriesStore implements SeriesStore {
  private readonly client: InfluxClient;
  private readonly linesPerWrite: number;
  private readonly lines = new ProbeLineRenderer();

  constructor(private readonly opts: InfluxSeriesStoreOptions) {
    this.client = new InfluxClient(opts);
    this.linesPerWrite = opts.linesPerWrite ?? 5_000;
  }

  async init(): Promise<void> {
    await ensureLayout(this.client, this.opts, this.opts.log);
    this.opts.log.debug({ url: this.opts.url, database: this.opts.database }, 'series store (influx) ready');
  }

  private from(measurement: string): string {
    return `${ident(this.opts.database)}.${ident(this.opts.retentionPolicy)}.${ident(measurement)}`;
  }

  private where(fromMs: number, toMs: number, filter: SeriesFilter = {}, vip?: string): string {
    const parts = [`time >= ${Math.floor(fromMs)}ms`, `time < ${Math.floor(toMs)}ms`];
    if (vip !== undefined) parts.push(`"vip" = ${literal(vip)}`);
    if (filter.method) parts.push(`"method" = ${literal(filter.method)}`);
    return parts.join(' AND ');
  }

  async write(records: StoredRecord[]): Promise<void> {
    // Bodies of equal size (at most linesPerWrite), so no body is a small remainder: InfluxDB pays a fixed cost per
    // request (parsing, a WAL sync). They go out one after another: the ingest queue already runs writes side by side.
    for (const body of this.lines.bodies(records, this.linesPerWrite)) {
      await this.client.write(body, this.opts.retentionPolicy);
    }
  }

  async readRange(fromMs: number, toMs: number): Promise<StoredRecord[]> {
    const rows = await this.client.rows(`SELECT * FROM ${this.from(PROBE)} WHERE ${this.where(fromMs, toMs)}`);
    return rows.map((r) => {
      const out: StoredRecord = {
        ts: isoTs(r.time as number), host: r.host as string, vip: r.vip as string, method: r.method as Method,
        sent: r.sent as number, recv: r.recv as number,
        dc: r.dc as string, province: r.province as string, isp: r.isp as string, vipDc: r.vip_dc as string, business: r.business as string,
      };
      // a point keeps the fields of an earlier write at the same time: a later record without replies leaves the
      // earlier RTTs in place (InfluxDB cannot unset a field), so they count only with replies, as the contract says
      if (typeof r.rtt_avg === 'number' && out.recv > 0) Object.assign(out, { rttMin: r.rtt_min, rttAvg: r.rtt_avg, rttMax: r.rtt_max });
      if (out.method === 'http') httpFromRow(r, out);
      return out;
    });
  }

  async httpChecks(vip: string, fromMs: number, toMs: number, limit: number): Promise<HttpCheck[]> {
    const rows = await this.client.rows(`SELECT "host", "province", "isp", "sent", "recv", "rtt_avg"${HTTP_FIELDS.map(([, f]) => `, ${ident(f)}`).join('')}
      FROM ${this.from(PROBE)} WHERE ${this.where(fromMs, toMs, { method: 'http' }, vip)} ORDER BY time DESC LIMIT ${Math.max(1, Math.floor(limit))}`);
    return rows.map((r) => {
      const out: HttpCheck = { ts: isoTs(r.time as number), host: r.host as string, province: r.province as string, isp: r.isp as string, sent: r.sent as number, recv: r.recv as number };
      if (typeof r.rtt_avg === 'number' && out.recv > 0) out.rttAvg = r.rtt_avg; // as in readRange
      httpFromRow(r, out);
      return out;
    });
  }

  async groupAggregates(fromMs: number, toMs: number, filter: SeriesFilter = {}): Promise<GroupAggregate[]> {
    const rows = await this.client.rows(`SELECT mean("rtt_avg") AS "rtt", sum("sent") AS "sent", sum("recv") AS "recv",
      count("sent") AS "n" FROM ${this.from(PROBE)} WHERE ${this.where(fromMs, toMs, filter)}
      GROUP BY time(${this.opts.minuteSec}s), "province", "isp" fill(none)`);
    return rows.map((r) => ({
      minute: r.time as number, province: r.province as string, isp: r.isp as string, rttAvg: num(r.rtt),
      lossPct: sumLoss(r.sent as number, r.recv as number), records: r.n as number,
    })).sort(byMinuteGroup);
  }

  async vipSeries(vip: string, fromMs: number, toMs: number, filter: SeriesFilter = {}): Promise<VipPoint[]> {
    const rows = await this.client.rows(`SELECT min("rtt_min") AS "mn", mean("rtt_avg") AS "av", max("rtt_max") AS "mx",
      sum("sent") AS "sent", sum("recv") AS "recv" FROM ${this.from(PROBE)} WHERE ${this.where(fromMs, toMs, filter, vip)}
      GROUP BY time(${this.opts.minuteSec}s), "province", "isp" fill(none)`);
    return rows.map((r) => ({
      minute: r.time as number, province: r.province as string, isp: r.isp as string,
      rttMin: num(r.mn), rttAvg: num(r.av), rttMax: num(r.mx), lossPct: sumLoss(r.sent as number, r.recv as number),
    })).sort(byMinuteGroup);
  }

  /**
   * Whole-hour buckets read the hourly rollup (probe_1h) for the hours its continuous query has finished (before the
   * previous hour), and raw records for the rest; other buckets read raw records.
   */
  async buckets(q: BucketQuery): Promise<BucketPoint[]> {
    checkBucketQuery(q);
    const HOUR = 3_600_000;
    const split = q.bucketMs % HOUR === 0
      ? Math.max(q.fromMs, Math.min(q.toMs, Math.floor((Math.floor(Date.now() / HOUR) * HOUR - HOUR) / q.bucketMs) * q.bucketMs))
      : q.fromMs;
    const parts = await Promise.all([
      split > q.fromMs ? this.bucketRead(q, q.fromMs, split, `${ident(this.opts.database)}.${ident(ROLLUP_RP)}.${ident(ROLLUP_MEASUREMENT)}`) : [],
      split < q.toMs ? this.bucketRead(q, split, q.toMs, this.from(PROBE)) : [],
    ]);
    return parts.flat().sort(byBucket);
  }

  private async bucketRead(q: BucketQuery, fromMs: number, toMs: number, from: string): Promise<BucketPoint[]> {
    const cond = [this.where(fromMs, toMs, { method: q.method })];
    for (const [t, v] of Object.entries(q.where ?? {}) as Array<[SeriesTag, string]>) cond.push(`${ident(TAG_COLUMN[t])} = ${literal(v)}`);
    const rows = await this.client.rows(`SELECT min("rtt_min") AS "mn", mean("rtt_avg") AS "av", max("rtt_max") AS "mx",
      sum("sent") AS "sent", sum("recv") AS "recv", count("sent") AS "n" FROM ${from} WHERE ${cond.join(' AND ')}
      GROUP BY time(${q.bucketMs}ms)${q.by.map((t) => `, ${ident(TAG_COLUMN[t])}`).join('')} fill(none)`);
    return rows.map((r) => {
      const p: BucketPoint = { minute: r.time as number, rttMin: num(r.mn), rttAvg: num(r.av), rttMax: num(r.mx), lossPct: sumLoss(r.sent as number, r.recv as number) };
      // the hourly rollup holds one row per series and hour: its count is not a record count
      if (from === this.from(PROBE)) p.records = r.n as number;
      for (const t of q.by) p[t] = r[TAG_COLUMN[t]] as string;
      return p;
    });
  }

  async writeFaultEvents(events: FaultEvent[]): Promise<void> {
    if (!events.length) return;
    await this.client.write(events.map((ev) => faultLine(faultAnnotation(ev))).join('\n'), this.opts.retentionPolicy);
  }

  async faultEvents(fromMs: number, toMs: number): Promise<StoredFaultEvent[]> {
    const rows = await this.client.rows(`SELECT "event", "title", "text", "uid", "type", "key", "id" FROM ${this.from(FAULT)}
      WHERE ${this.where(fromMs, toMs)}`);
    return rows.map((r) => ({
      minute: r.time as number, event: r.event as 'open' | 'close', type: r.type as FaultType, key: r.key as string,
      id: r.id as string, title: r.title as string, text: r.text as string, uid: r.uid as string,
    })).sort(byMinuteId);
  }

  ping(): Promise<boolean> {
    return this.client.ping();
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
