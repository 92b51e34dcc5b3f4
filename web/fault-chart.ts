// The fault page's chart: the affected cells' latency and loss per ISP over the episode and the minutes before it,
// with start, detection and end marked. Pure: the query to run and the chart from its answer.
import type { BucketPoint, BucketQuery } from '../core/store/series.js';
import type { StoredEpisode } from '../core/store/faults.js';
import { bucketStarts, spread, spreadChart, type ChartSpec } from './chart-data.js';

/** Minutes drawn before the start and after the end. */
const BEFORE = 15, AFTER = 5;

/** Which records tell the episode's story: those towards its VIP or DC, or from its province x ISP or ISP. */
const WHERE: Record<StoredEpisode['type'], (e: StoredEpisode) => BucketQuery['where']> = {
  vip: (e) => ({ vip: e.key }),
  dc: (e) => ({ vipDc: e.key }),
  isp: (e) => ({ isp: e.key }),
  region: (e) => (e.provinces.length === 1 && e.isps.length === 1 ? { province: e.provinces[0]!, isp: e.isps[0]! } : {}),
  agent: (e) => (e.provinces.length === 1 && e.isps.length === 1 ? { province: e.provinces[0]!, isp: e.isps[0]! } : {}),
};

export function faultChartQuery(e: StoredEpisode, stepMs: number, now: number): BucketQuery {
  const start = Date.parse(e.start), end = e.end === null ? now : Date.parse(e.end) + AFTER * stepMs;
  const fromMs = Math.floor(start / stepMs) * stepMs - BEFORE * stepMs;
  const toMs = Math.min(Math.ceil(end / stepMs) * stepMs, Math.floor(now / stepMs) * stepMs);
  // at most ~360 points per line
  const bucketMs = Math.max(1, Math.ceil((toMs - fromMs) / stepMs / 360)) * stepMs;
  return { fromMs, toMs, bucketMs, by: ['province', 'isp'], where: WHERE[e.type](e) };
}

export function faultChart(e: StoredEpisode, q: BucketQuery, points: BucketPoint[], names: (isp: string) => string, timeZone: string, now: number): ChartSpec {
  const inScope = (p: BucketPoint) => (!e.provinces.length || e.provinces.includes(p.province!)) && (!e.isps.length || e.isps.includes(p.isp!));
  const starts = bucketStarts(q.fromMs, q.toMs, q.bucketMs);
  const signal = e.signal === 'latency' ? 'latency' : 'loss';
  const spec = spreadChart('fault', `Affected cells: ${signal === 'loss' ? 'loss' : 'latency'} and ${signal === 'loss' ? 'latency' : 'loss'} per ISP`,
    spread(points.filter(inScope), starts, (p) => p.isp!), starts, names, timeZone);
  const s = Date.parse(e.start) / 1000, d = Date.parse(e.detectedAt) / 1000;
  spec.spans = [{ from: s, to: (e.end === null ? now : Date.parse(e.end)) / 1000, label: 'fault' }];
  spec.marks = [{ at: s, label: 'start', color: '#d23b3b' }, { at: d, label: 'detected', color: '#c98a00' },
    ...(e.end ? [{ at: Date.parse(e.end) / 1000, label: 'end', color: '#2e9e5b' }] : [])];
  return spec;
}
