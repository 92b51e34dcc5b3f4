// A read-side latency baseline for the boards: per (province, isp) group, the median of the group's mean latency
// over the analyzer's baseline window (baselineMinutes before the smoothing window), read from the series store's
// buckets. The analyzer keeps its own per-(VIP, group) baselines in its state; this is the same idea at the board's
// grain, computed where the board reads, so the web never needs the analyzer's state. "Slow" uses the analyzer's
// rule: above max(baseline x latencyRatio, baseline + latencyMinDeltaMs).
import type { Rules } from './config.js';
import type { SeriesStore, SeriesTag } from './store/series.js';

export type BaselineRules = Pick<Rules, 'baselineMinutes' | 'baselineMinSamples' | 'smoothWindow' | 'latencyRatio' | 'latencyMinDeltaMs'>;

/** At most about this many buckets per group: a day is read as hourly buckets (the InfluxDB rollup serves them). */
const MAX_BUCKETS = 48;
const HOUR = 3_600_000;

export const slowAbove = (baseline: number, r: Pick<Rules, 'latencyRatio' | 'latencyMinDeltaMs'>): number =>
  Math.max(baseline * r.latencyRatio, baseline + r.latencyMinDeltaMs);

export const isSlow = (rtt: number | null, baseline: number | undefined, r: Pick<Rules, 'latencyRatio' | 'latencyMinDeltaMs'>): boolean =>
  rtt !== null && baseline !== undefined && rtt > slowAbove(baseline, r);

function median(xs: number[]): number {
  const a = [...xs].sort((p, q) => p - q);
  const n = a.length;
  return n % 2 ? a[n >> 1]! : (a[n / 2 - 1]! + a[n / 2]!) / 2;
}

/**
 * Baselines of the minute `end` (ms) per value of the `by` tags (key: the tag values joined by "/", e.g.
 * "beijing/ct"): the median of the bucket means over the window; absent where the buckets with data span fewer than
 * baselineMinSamples minutes (a bucket with data counts as whole, so with coarse buckets this is approximate).
 */
export async function readBaselines(series: Pick<SeriesStore, 'buckets'>, end: number, stepMs: number, r: BaselineRules,
  by: SeriesTag[] = ['province', 'isp']): Promise<Map<string, number>> {
  let bucketMs = stepMs * Math.max(1, Math.ceil(r.baselineMinutes / MAX_BUCKETS));
  if (bucketMs >= HOUR) bucketMs = Math.round(bucketMs / HOUR) * HOUR;
  const toMs = end - (r.smoothWindow - 1) * stepMs;
  const fromMs = toMs - r.baselineMinutes * stepMs;
  const points = await series.buckets({ fromMs, toMs, bucketMs, by });
  const values = new Map<string, { xs: number[]; minutes: number }>();
  for (const p of points) {
    if (p.rttAvg === null) continue;
    const key = by.map((t) => p[t] ?? '').join('/');
    // the minutes of the window a bucket spans (buckets are epoch-aligned; the window's ends cut the outer ones)
    const minutes = (Math.min(p.minute + bucketMs, toMs) - Math.max(p.minute, fromMs)) / stepMs;
    const v = values.get(key);
    if (v) { v.xs.push(p.rttAvg); v.minutes += minutes; } else values.set(key, { xs: [p.rttAvg], minutes });
  }
  const out = new Map<string, number>();
  for (const [key, v] of values) if (v.minutes >= r.baselineMinSamples) out.set(key, median(v.xs));
  return out;
}
