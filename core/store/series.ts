// The time-series store: per-minute result records in, what the analyzer and the boards need out.
// Backends: core/store/sqlite (embedded default) and core/store/influx (InfluxDB 1.x HTTP API / v1 compatibility).
import type { FaultEpisode, ResultRecord } from '../model.js';

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

/** A fault open/close event, written as measurement `fault` for board annotations. */
export interface FaultEvent {
  minute: number;
  event: 'open' | 'close';
  episode: FaultEpisode;
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
  groupAggregates(fromMs: number, toMs: number): Promise<GroupAggregate[]>;
  vipSeries(vip: string, fromMs: number, toMs: number): Promise<VipPoint[]>;
  writeFaultEvents(events: FaultEvent[]): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
