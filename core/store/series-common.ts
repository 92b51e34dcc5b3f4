// Pure helpers every SeriesStore backend shares: fault annotations, timestamps, result order.
import type { FaultType, ResultRecord } from '../model.js';
import type { BucketPoint, BucketQuery, FaultEvent, GroupAggregate, SeriesTag, StoredFaultEvent, VipPoint } from './series.js';

const TYPE_LABEL: Record<FaultType, string> = { vip: 'VIP', dc: 'DC', isp: 'ISP', region: 'Region', agent: 'Agent' };

/** The `fault` measurement's row for one event: title for the annotation, text for its scope. */
export function faultAnnotation(ev: FaultEvent): StoredFaultEvent {
  const e = ev.episode;
  const scope = [
    ['isps', e.isps], ['provinces', e.provinces], ['VIPs', e.vips], ['businesses', e.businesses],
  ] as const;
  return {
    minute: ev.minute,
    event: ev.event,
    type: e.type,
    key: e.key,
    id: e.id,
    title: `${TYPE_LABEL[e.type]}${e.signal === 'latency' ? ' latency' : ''} fault ${e.key} ${ev.event === 'open' ? 'opened' : 'closed'}`,
    text: scope.filter(([, list]) => list.length > 0).map(([name, list]) => `${name}: ${list.join(', ')}`).join('; '),
    uid: `${e.id}@${e.start}`,
  };
}

/** A stored minute back as the contract's time text ("2026-11-23T14:05:00Z"; sub-minute drills keep seconds). */
export const isoTs = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const byMinuteGroup = (a: GroupAggregate | VipPoint, b: GroupAggregate | VipPoint): number =>
  a.minute - b.minute || cmp(a.province, b.province) || cmp(a.isp, b.isp);

export const byBucket = (a: BucketPoint, b: BucketPoint): number =>
  a.minute - b.minute || cmp(a.province ?? '', b.province ?? '') || cmp(a.isp ?? '', b.isp ?? '') || cmp(a.vipDc ?? '', b.vipDc ?? '') || cmp(a.vip ?? '', b.vip ?? '');

/** The stored column / tag name of each bucket tag (the same in SQLite and InfluxDB). */
export const TAG_COLUMN: Record<SeriesTag, string> = { province: 'province', isp: 'isp', vip: 'vip', vipDc: 'vip_dc' };

/** Rejects a bucket query that cannot be answered, naming the bad field. */
export function checkBucketQuery(q: BucketQuery): void {
  if (!Number.isInteger(q.bucketMs) || q.bucketMs < 1000) throw new Error(`bucket query: bucketMs ${q.bucketMs}: expected whole milliseconds >= 1000`);
  for (const t of [...q.by, ...Object.keys(q.where ?? {})]) {
    if (!(t in TAG_COLUMN)) throw new Error(`bucket query: tag ${JSON.stringify(t)}: expected one of ${Object.keys(TAG_COLUMN).join(', ')}`);
  }
}

export const byMinuteId = (a: StoredFaultEvent, b: StoredFaultEvent): number => a.minute - b.minute || cmp(a.id, b.id);

/** Loss over summed probes, as the contract defines loss for one record. */
export const sumLoss = (sent: number, recv: number): number => (sent > 0 ? (100 * (sent - recv)) / sent : 100);

/**
 * The record's optional http fields (core/records.ts) and their stored names: SQLite columns and InfluxDB fields
 * alike; `int` ones are InfluxDB integers. Every backend writes and reads them from this one list.
 */
export const HTTP_FIELDS = [
  ['certDaysLeft', 'cert_days_left', 'float'],
  ['httpBodyMismatch', 'http_body_mismatch', 'int'],
  ['httpConnectMs', 'http_connect_ms', 'float'],
  ['httpDnsMs', 'http_dns_ms', 'float'],
  ['httpFirstByteMs', 'http_first_byte_ms', 'float'],
  ['httpStatus', 'http_status', 'int'],
  ['httpTlsMs', 'http_tls_ms', 'float'],
  ['httpTotalMs', 'http_total_ms', 'float'],
] as const satisfies ReadonlyArray<readonly [keyof ResultRecord, string, 'int' | 'float']>;

/** Copies the http fields a stored row has (column names) onto a record. */
export function httpFromRow(row: Record<string, unknown>, out: Partial<ResultRecord>): void {
  for (const [k, col] of HTTP_FIELDS) {
    const v = row[col];
    if (typeof v === 'number') (out as Record<string, number>)[k] = v;
  }
}
