// Line protocol for the shared measurements (see /tmp/shared-names.md): `probe` records and `fault` events,
// rendered by @influxdata/influxdb-client's Point (escaping, field types). Timestamps are in seconds (precision=s).
import { Point } from '@influxdata/influxdb-client';
import { lossPct } from '../../model.js';
import type { StoredFaultEvent, StoredRecord } from '../series.js';

export const PROBE = 'probe';
export const FAULT = 'fault';

/** One `probe` point: tags host, dc, province, isp, vip, vip_dc, business, method; rtt fields only when recv > 0. */
export function probePoint(r: StoredRecord, tsSec: number): Point {
  const p = new Point(PROBE)
    .tag('host', r.host).tag('dc', r.dc).tag('province', r.province).tag('isp', r.isp)
    .tag('vip', r.vip).tag('vip_dc', r.vipDc).tag('business', r.business).tag('method', r.method)
    .intField('sent', r.sent).intField('recv', r.recv).floatField('loss', lossPct(r))
    .timestamp(tsSec);
  if (r.rttAvg !== undefined) p.floatField('rtt_min', r.rttMin).floatField('rtt_avg', r.rttAvg).floatField('rtt_max', r.rttMax);
  return p;
}

const asIs = (t: unknown): string | undefined => (t === undefined ? undefined : String(t));

/** The records as line protocol, one line each, with ts parsed once per distinct minute text. */
export function probeLines(records: StoredRecord[]): string[] {
  const tsCache = new Map<string, number>();
  const settings = { convertTime: asIs };
  return records.map((r) => {
    let sec = tsCache.get(r.ts);
    if (sec === undefined) tsCache.set(r.ts, (sec = Math.floor(Date.parse(r.ts) / 1000)));
    return probePoint(r, sec).toLineProtocol(settings)!;
  });
}

/** One `fault` point: tags type, key, id; fields event, title, text, uid. */
export const faultLine = (ev: StoredFaultEvent): string => new Point(FAULT)
  .tag('type', ev.type).tag('key', ev.key).tag('id', ev.id)
  .stringField('event', ev.event).stringField('title', ev.title).stringField('text', ev.text).stringField('uid', ev.uid)
  .timestamp(Math.floor(ev.minute / 1000))
  .toLineProtocol({ convertTime: asIs })!;
