// The series store contract's records and what they should read back as, worked out by hand (series-contract.test.ts).
import assert from 'node:assert/strict';
import { lossPct, type FaultEpisode } from '../../core/model.js';
import type { StoredRecord } from '../../core/store/series.js';

export const MIN = 60_000;
// Recent minutes: InfluxDB drops points older than the retention policy (30 d).
export const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
export const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export const HOSTS = {
  h1: { dc: 'beijing-ct-1', province: 'beijing', isp: 'ct' },
  h2: { dc: 'beijing-ct-2', province: 'beijing', isp: 'ct' },
  h3: { dc: 'shanghai-cu-1', province: 'shanghai', isp: 'cu' },
} as const;
export const VIPS = { '198.19.0.1': { vipDc: 'idc-beijing-ct', business: 'search' }, '198.19.0.2': { vipDc: 'idc-shanghai-cu', business: 'video' } } as const;

export function rec(minute: number, host: keyof typeof HOSTS, vip: keyof typeof VIPS, method: 'icmp' | 'tcp', sent: number, recv: number, rtt = 10): StoredRecord {
  const r: StoredRecord = { ts: iso(T0 + minute * MIN), host, vip, method, sent, recv, ...HOSTS[host], ...VIPS[vip] };
  if (recv > 0) Object.assign(r, { rttMin: rtt - 1.5, rttAvg: rtt, rttMax: rtt + 2.25 });
  return r;
}

// 3 minutes x 3 hosts x 2 VIPs, icmp always and tcp for one VIP; some total losses (no rtt fields).
export const FIXTURE: StoredRecord[] = [];
for (let m = 0; m < 3; m++) {
  for (const h of ['h1', 'h2', 'h3'] as const) {
    FIXTURE.push(rec(m, h, '198.19.0.1', 'icmp', 20, h === 'h2' && m === 1 ? 0 : 20 - m, 10 + m + (h === 'h3' ? 20 : 0)));
    FIXTURE.push(rec(m, h, '198.19.0.2', 'icmp', 10, 10 - m * 2, 30.5 + m));
    FIXTURE.push(rec(m, h, '198.19.0.2', 'tcp', 5, 5, 40 + m));
  }
}

export const key = (r: StoredRecord) => `${r.ts}|${r.host}|${r.vip}|${r.method}`;
export const sorted = (rs: StoredRecord[]) => [...rs].sort((a, b) => (key(a) < key(b) ? -1 : 1));
export const close = (a: number | null, b: number | null, what: string) => {
  if (a === null || b === null) return assert.equal(a, b, what);
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);
};
export const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);

/** The aggregates by hand, straight from the definition in core/store/series.ts. */
export function expectedGroups(rs: StoredRecord[]) {
  const groups = new Map<string, StoredRecord[]>();
  for (const r of rs) {
    const k = `${Date.parse(r.ts)}|${r.province}|${r.isp}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.entries()].map(([k, g]) => {
    const [minute, province, isp] = k.split('|');
    const sent = g.reduce((s, r) => s + r.sent, 0);
    const recv = g.reduce((s, r) => s + r.recv, 0);
    return {
      minute: Number(minute), province: province!, isp: isp!, records: g.length,
      rttAvg: mean(g.filter((r) => r.rttAvg !== undefined).map((r) => r.rttAvg!)),
      rttMin: g.some((r) => r.rttMin !== undefined) ? Math.min(...g.filter((r) => r.rttMin !== undefined).map((r) => r.rttMin!)) : null,
      rttMax: g.some((r) => r.rttMax !== undefined) ? Math.max(...g.filter((r) => r.rttMax !== undefined).map((r) => r.rttMax!)) : null,
      lossPct: lossPct({ sent, recv }),
    };
  }).sort((a, b) => a.minute - b.minute || a.province.localeCompare(b.province) || a.isp.localeCompare(b.isp));
}

/** Bucketed figures by hand: records of [from, to) grouped by epoch-aligned bucket and the given tags. */
export function expectedBuckets(rs: StoredRecord[], bucketMs: number, by: Array<'isp' | 'vipDc' | 'province'>) {
  const groups = new Map<string, StoredRecord[]>();
  for (const r of rs) {
    const b = Math.floor(Date.parse(r.ts) / bucketMs) * bucketMs;
    const k = [b, ...by.map((t) => r[t])].join('|');
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.entries()].map(([k, g]) => {
    const [minute, ...tags] = k.split('|');
    const sent = g.reduce((s, r) => s + r.sent, 0), recv = g.reduce((s, r) => s + r.recv, 0);
    const rtts = g.filter((r) => r.rttAvg !== undefined);
    return {
      minute: Number(minute), tags, rttAvg: mean(rtts.map((r) => r.rttAvg!)),
      rttMin: rtts.length ? Math.min(...rtts.map((r) => r.rttMin!)) : null, rttMax: rtts.length ? Math.max(...rtts.map((r) => r.rttMax!)) : null,
      lossPct: lossPct({ sent, recv }),
    };
  }).sort((a, b) => a.minute - b.minute || a.tags.join('|').localeCompare(b.tags.join('|')));
}

export const episode = (type: FaultEpisode['type'], k: string, start: number, end: number | null): FaultEpisode => ({
  id: `${type}:${k}`, type, key: k, start: iso(start), detectedAt: iso(start + 2 * MIN), end: end === null ? null : iso(end),
  isps: ['ct', 'cu'], provinces: ['beijing'], dcs: ['idc-beijing-ct'], vips: type === 'dc' ? ['198.19.0.1'] : [],
  businesses: type === 'dc' ? ['search'] : [], parent: null, suppressed: false,
});
