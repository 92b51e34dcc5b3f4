// Generated probe data for the board tests: one host per (province, isp) group probing four VIPs in two data centres,
// every minute for two hours, written as InfluxDB line protocol with the shared tag and field names.
import { Point } from '@influxdata/influxdb-client';
import { PROVINCES } from '../../core/geo.js';

export interface ProbeRow {
  ts: number;
  host: string;
  dc: string;
  province: string;
  isp: string;
  vip: string;
  vipDc: string;
  business: string;
  sent: number;
  recv: number;
  loss: number;
  rtt?: { min: number; avg: number; max: number };
}

export interface FaultRow { ts: number; type: string; key: string; event: 'open' | 'close'; title: string; text: string; start: number; signal?: 'latency' }

export const ISPS = ['ct', 'cu', 'cm'] as const;
export const VIPS = [
  { vip: '203.0.113.10', vipDc: 'bj-zw', business: 'search' },
  { vip: '203.0.113.11', vipDc: 'bj-zw', business: 'search' },
  { vip: '203.0.113.20', vipDc: 'gd-cm-gz1', business: 'video' },
  { vip: '203.0.113.21', vipDc: 'gd-cm-gz1', business: 'video' },
] as const;

/** A small deterministic PRNG (mulberry32), so every run sees the same data. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Rows for `minutes` minutes ending with the minute before endMs. Some probes lose every packet (no rtt fields). */
export function probeRows(endMs: number, minutes: number): ProbeRow[] {
  const rnd = random(42);
  const last = Math.floor(endMs / 60_000) * 60_000 - 60_000;
  const rows: ProbeRow[] = [];
  for (let m = minutes - 1; m >= 0; m--) {
    const ts = last - m * 60_000;
    PROVINCES.forEach((p, pi) => {
      ISPS.forEach((isp, ii) => {
        for (const v of VIPS) {
          const sent = 20;
          const recv = rnd() < 0.03 ? 0 : sent - Math.floor(rnd() * 3);
          const base = 10 + pi * 2 + ii * 5;
          const avg = base + rnd() * 10;
          rows.push({
            ts, host: `cdn-${p.id}-${isp}-001`, dc: `${p.id}-${isp}-1`, province: p.id, isp, vip: v.vip, vipDc: v.vipDc,
            business: v.business, sent, recv, loss: (100 * (sent - recv)) / sent,
            ...(recv > 0 ? { rtt: { min: avg - 2 - rnd() * 3, avg, max: avg + 2 + rnd() * 20 } } : {}),
          });
        }
      });
    });
  }
  return rows;
}

export function probeLine(r: ProbeRow): string {
  const p = new Point('probe')
    .tag('host', r.host).tag('dc', r.dc).tag('province', r.province).tag('isp', r.isp)
    .tag('vip', r.vip).tag('vip_dc', r.vipDc).tag('business', r.business).tag('method', 'icmp')
    .intField('sent', r.sent).intField('recv', r.recv).floatField('loss', r.loss)
    .timestamp(String(r.ts));
  if (r.rtt) p.floatField('rtt_min', r.rtt.min).floatField('rtt_avg', r.rtt.avg).floatField('rtt_max', r.rtt.max);
  return p.toLineProtocol()!;
}

export function faultLine(f: FaultRow): string {
  const id = `${f.type}:${f.key}${f.signal === 'latency' ? ':latency' : ''}`;
  return new Point('fault')
    .tag('type', f.type).tag('key', f.key).tag('id', id)
    .stringField('event', f.event).stringField('title', f.title).stringField('text', f.text)
    .stringField('uid', `${id}@${new Date(f.start).toISOString().replace('.000Z', 'Z')}`)
    .timestamp(String(f.ts))
    .toLineProtocol()!;
}
