// The time-series store: per-minute result records in, what the analyzer and the boards need out.
// Backends: core/store/sqlite (embedded default) and core/store/influx (InfluxDB 1.x HTTP API / v1 compatibility).
import type { FaultEpisode, FaultType, Method, ResultRecord } from '../model.js';

/** A record with the inventory tags the gateway adds on ingest (InfluxDB tags of measurement `probe`). */
export interface StoredRecord extends ResultRecord {
  dc: string;
  province: string;
  isp: string;
  vipDc: string;
  business: string;
}

/** Per-minute aggregate over all records of one (province, isp) group. */
export interface GroupAggregate {
  minute: number;
  province: string;
  isp: string;
  /** mean of rttAvg over records with replies; null when none replied */
  rttAvg: number | null;
  /** 100 * (sent - recv) / sent over all records */
  lossPct: number;
  records: number;
}

/** Per-minute figures of one VIP from one (province, isp) group. */
export interface VipPoint {
  minute: number;
  province: string;
  isp: string;
  rttMin: number | null;
  rttAvg: number | null;
  rttMax: number | null;
  lossPct: number;
}

/** Tags a bucketed read can group by or filter on. */
export type SeriesTag = 'province' | 'isp' | 'vip' | 'vipDc';

/** A bucketed read for charts: figures per bucket (epoch-aligned, bucketMs long) and per value of the `by` tags. */
export interface BucketQuery {
  fromMs: number;
  toMs: number;
  bucketMs: number;
  by: SeriesTag[];
  where?: Partial<Record<SeriesTag, string>>;
  method?: Method;
}

/** One bucket of one tag combination (tags not in `by` are absent). Loss is over summed sent/recv. */
export interface BucketPoint {
  minute: number;
  province?: string;
  isp?: string;
  vip?: string;
  vipDc?: string;
  rttMin: number | null;
  rttAvg: number | null;
  rttMax: number | null;
  lossPct: number;
  /** result records in the bucket (absent where a rollup does not keep the count) */
  records?: number;
}

/** A fault open/close event, written as measurement `fault` for board annotations. */
export interface FaultEvent {
  minute: number;
  event: 'open' | 'close';
  episode: FaultEpisode;
}

/** A fault event as stored (measurement `fault`): what the boards annotate. */
export interface StoredFaultEvent {
  minute: number;
  event: 'open' | 'close';
  type: FaultType;
  key: string;
  /** type:key */
  id: string;
  /** e.g. "DC fault bj-zw opened" */
  title: string;
  /** the scope: isps, provinces, VIPs, businesses */
  text: string;
  /** `${id}@${start}`: the episode's storage key (web fault page) */
  uid: string;
}

/** One host's http check of a VIP in one minute: the record's counts and http fields (VIP page). */
export type HttpCheck = Pick<StoredRecord, 'ts' | 'host' | 'province' | 'isp' | 'sent' | 'recv' | 'rttAvg' | 'httpStatus' | 'httpDnsMs'
  | 'httpConnectMs' | 'httpTlsMs' | 'httpFirstByteMs' | 'httpTotalMs' | 'httpBodyMismatch' | 'certDaysLeft'>;

/** Narrows an aggregate read to one probe method; all methods when omitted. */
export interface SeriesFilter {
  method?: Method;
}

/** Thrown by a backend whose server cannot be reached: the gateway answers 503 and the agent keeps the batch. */
export class StoreUnavailableError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

export interface SeriesStore {
  /** creates what the backend needs (database, retention policies, tables); safe to call again */
  init(): Promise<void>;
  /** resolves only once every record is durably stored; re-writing a record overwrites it (idempotent) */
  write(records: StoredRecord[]): Promise<void>;
  /** every record with fromMs <= ts < toMs */
  readRange(fromMs: number, toMs: number): Promise<StoredRecord[]>;
  /** sorted by minute, province, isp */
  groupAggregates(fromMs: number, toMs: number, filter?: SeriesFilter): Promise<GroupAggregate[]>;
  /** sorted by minute, province, isp; rttMin/rttMax are the extremes, rttAvg the mean, loss over summed sent/recv */
  vipSeries(vip: string, fromMs: number, toMs: number, filter?: SeriesFilter): Promise<VipPoint[]>;
  /**
   * Figures per bucket grouped by the query's tags, sorted by minute then tags; rttAvg is the mean of the records'
   * means. Buckets of whole hours may be read from an hourly rollup where the backend keeps one (InfluxDB, SQLite).
   */
  buckets(q: BucketQuery): Promise<BucketPoint[]>;
  /** the newest http records of one VIP with fromMs <= ts < toMs, newest first, at most `limit` */
  httpChecks(vip: string, fromMs: number, toMs: number, limit: number): Promise<HttpCheck[]>;
  /** re-writing the same (id, minute) overwrites it */
  writeFaultEvents(events: FaultEvent[]): Promise<void>;
  /** fault events with fromMs <= minute < toMs, sorted by minute then id */
  faultEvents(fromMs: number, toMs: number): Promise<StoredFaultEvent[]>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
