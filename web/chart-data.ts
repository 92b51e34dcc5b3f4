// What the browser's charts draw (web/assets/charts.js renders it with uPlot). Pure: built from store buckets.
import type { BucketPoint } from '../core/store/series.js';

/** One line (or band edge) of a chart, aligned with `x`; null = no data in that bucket. */
export interface ChartSeries {
  label: string;
  color: string;
  values: Array<number | null>;
  /** left axis = latency (ms), right axis = loss (%) */
  axis: 'rtt' | 'loss';
  dash?: boolean;
  width?: number;
  /** drawn as the lower edge of a band filled up to the series at this index (not shown in the legend) */
  bandTo?: number;
  hidden?: boolean;
}

/** A shaded time span (fault episodes) or a vertical mark (start / detected / end), in seconds. */
export interface ChartSpan { from: number; to: number; label: string; href?: string }
export interface ChartMark { at: number; label: string; color: string }

export interface ChartSpec {
  id: string;
  title: string;
  /** bucket starts, seconds since the epoch */
  x: number[];
  series: ChartSeries[];
  spans: ChartSpan[];
  marks: ChartMark[];
  /** horizontal reference lines on the latency axis (a latency fault's baseline) */
  baselines: Array<{ value: number; label: string }>;
  /** IANA zone the time axis is drawn in */
  timeZone: string;
  height?: number;
}

const ISP_COLORS: Record<string, string> = { ct: '#2563eb', cu: '#dc2626', cm: '#16a34a' };
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#a16207', '#db2777', '#4b5563', '#65a30d'];
export const colorOf = (key: string, i: number): string => ISP_COLORS[key] ?? PALETTE[i % PALETTE.length]!;

/** The bucket starts from fromMs (inclusive) to toMs (exclusive), aligned as the store aligns them. */
export const bucketStarts = (fromMs: number, toMs: number, bucketMs: number): number[] => {
  const out: number[] = [];
  for (let t = Math.floor(fromMs / bucketMs) * bucketMs; t < toMs; t += bucketMs) out.push(t);
  return out;
};

const quantile = (sorted: number[], q: number): number => {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
};

export interface SpreadRow { median: number | null; low: number | null; high: number | null; loss: number | null; provinces: number }

/**
 * Per key (an ISP) and bucket: the median of the groups' mean latency with the fastest and slowest group as a band
 * (SmokePing style), and the mean loss over the groups. `keyOf` picks the line a point belongs to.
 */
export function spread(points: BucketPoint[], starts: number[], keyOf: (p: BucketPoint) => string | null): Map<string, SpreadRow[]> {
  const idx = new Map(starts.map((t, i) => [t, i]));
  const acc = new Map<string, Array<{ rtts: number[]; losses: number[] }>>();
  for (const p of points) {
    const k = keyOf(p);
    const i = idx.get(p.minute);
    if (k === null || i === undefined) continue;
    let rows = acc.get(k);
    if (!rows) acc.set(k, (rows = starts.map(() => ({ rtts: [], losses: [] }))));
    if (p.rttAvg !== null) rows[i]!.rtts.push(p.rttAvg);
    rows[i]!.losses.push(p.lossPct);
  }
  const out = new Map<string, SpreadRow[]>();
  for (const [k, rows] of acc) {
    out.set(k, rows.map(({ rtts, losses }) => {
      const s = [...rtts].sort((a, b) => a - b);
      return {
        median: s.length ? quantile(s, 0.5) : null,
        low: s.length ? s[0]! : null,
        high: s.length ? s.at(-1)! : null,
        loss: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null,
        provinces: losses.length,
      };
    }));
  }
  return out;
}

/** Median latency with a min-max band and mean loss per key (ISP), one colour per key. */
export function spreadChart(id: string, title: string, rows: Map<string, SpreadRow[]>, starts: number[], names: (k: string) => string,
  timeZone: string, order: string[] = [...rows.keys()].sort()): ChartSpec {
  const series: ChartSeries[] = [];
  order.filter((k) => rows.has(k)).forEach((k, i) => {
    const r = rows.get(k)!;
    const color = colorOf(k, i);
    const hi = series.length;
    series.push({ label: `${names(k)} slowest`, color, values: r.map((v) => v.high), axis: 'rtt', width: 0, hidden: true });
    series.push({ label: `${names(k)} fastest`, color, values: r.map((v) => v.low), axis: 'rtt', width: 0, hidden: true, bandTo: hi });
    series.push({ label: `${names(k)} latency (median)`, color, values: r.map((v) => v.median), axis: 'rtt', width: 2 });
    series.push({ label: `${names(k)} loss`, color, values: r.map((v) => v.loss), axis: 'loss', dash: true, width: 1.5 });
  });
  return { id, title, x: starts.map((t) => t / 1000), series, spans: [], marks: [], baselines: [], timeZone };
}

/** One latency line and one loss line per key (e.g. per VIP or per DC), no bands. */
export function linesChart(id: string, title: string, points: BucketPoint[], starts: number[], keyOf: (p: BucketPoint) => string, timeZone: string): ChartSpec {
  const idx = new Map(starts.map((t, i) => [t, i]));
  const byKey = new Map<string, { rtt: Array<number | null>; loss: Array<number | null> }>();
  for (const p of points) {
    const i = idx.get(p.minute);
    if (i === undefined) continue;
    const k = keyOf(p);
    let s = byKey.get(k);
    if (!s) byKey.set(k, (s = { rtt: starts.map(() => null), loss: starts.map(() => null) }));
    s.rtt[i] = p.rttAvg;
    s.loss[i] = p.lossPct;
  }
  const series: ChartSeries[] = [];
  [...byKey.keys()].sort().forEach((k, i) => {
    const s = byKey.get(k)!;
    const color = colorOf(k, i);
    series.push({ label: `${k} latency`, color, values: s.rtt, axis: 'rtt', width: 1.5 });
    series.push({ label: `${k} loss`, color, values: s.loss, axis: 'loss', dash: true, width: 1 });
  });
  return { id, title, x: starts.map((t) => t / 1000), series, spans: [], marks: [], baselines: [], timeZone };
}

/** JSON for a <script type="application/json"> block: `<` escaped so the text cannot close the element. */
export const chartJson = (spec: ChartSpec): string => JSON.stringify(spec).replace(/</g, '\\u003c');
