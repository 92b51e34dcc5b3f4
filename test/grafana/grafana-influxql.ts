// What Grafana does to a saved InfluxQL query before InfluxDB sees it, so tests can run the exported boards' queries
// as Grafana would send them:
// 1. the browser's template service replaces $var / ${var} / [[var]] with the InfluxDB plugin's formatting
//    (public/app/plugins/datasource/influxdb/datasource.ts interpolateQueryExpr);
// 2. the server expands $timeFilter, $interval, $__interval_ms, $__interval (pkg/tsdb/influxdb/models/query.go Build),
//    the interval being the one the browser computed (rangeutil.calculateInterval).

export const ALL = '$__all';

export interface VariableState {
  name: string;
  multi: boolean;
  includeAll: boolean;
  allValue?: string;
  /** every value the variable offers (what "All" stands for when there is no custom all value) */
  options: string[];
  /** the selection: one value, several, or ALL */
  current: string | string[];
}

export interface TimeRange { fromMs: number; toMs: number }

/** grafana-data escapeRegex */
export const escapeRegex = (s: string): string => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

// TemplateSrv's variable syntax: $name, [[name:fmt]], ${name.path:fmt}
const variableRegex = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** Whether ${name} stands inside a regex literal of the query (then a single value is regex-escaped). */
function usedInRegex(query: string, name: string): boolean {
  const literals = query.match(/\/(?:[^/\\\n]|\\.)+\//g) ?? [];
  const uses = new RegExp(`\\$(?:${name}\\b|\\{${name}[}:.])`);
  return literals.some((l) => uses.test(l));
}

/** The InfluxDB plugin's formatter for one variable's value. */
function influxFormat(value: string | string[], v: VariableState, query: string): string {
  if (typeof value === 'string' && !Number.isNaN(Number.parseFloat(value))) return value;
  if (v.multi || v.includeAll) {
    const escaped = (Array.isArray(value) ? value : [value]).map(escapeRegex);
    return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
  }
  const one = Array.isArray(value) ? value.join(',') : value;
  return usedInRegex(query, v.name) ? escapeRegex(one) : one;
}

/** The browser step: template variables replaced; unknown names ($timeFilter, $__interval) are left for the server. */
export function interpolate(query: string, vars: ReadonlyMap<string, VariableState>): string {
  return query.replace(variableRegex, (match, n1?: string, n2?: string, _f2?: string, n3?: string) => {
    const v = vars.get((n1 ?? n2 ?? n3)!);
    if (!v) return match;
    if (v.current === ALL) {
      // a custom all value goes in as it is, unformatted
      if (v.allValue) return v.allValue;
      return influxFormat(v.options, v, query);
    }
    return influxFormat(v.current, v, query);
  });
}

/** gtime.FormatInterval */
export function formatInterval(ms: number): string {
  const units: Array<[number, string]> = [[365 * 86_400_000, 'y'], [86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's'], [1, 'ms']];
  for (const [size, unit] of units) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return '1ms';
}

/** rangeutil.roundInterval */
export function roundInterval(ms: number): number {
  const steps: Array<[number, number]> = [
    [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1000], [3500, 2000], [7500, 5000],
    [12_500, 10_000], [17_500, 15_000], [25_000, 20_000], [45_000, 30_000], [90_000, 60_000], [210_000, 120_000],
    [450_000, 300_000], [750_000, 600_000], [1_050_000, 900_000], [1_500_000, 1_200_000], [2_700_000, 1_800_000],
    [5_400_000, 3_600_000], [9_000_000, 7_200_000], [16_200_000, 10_800_000], [32_400_000, 21_600_000],
    [86_400_000, 43_200_000], [604_800_000, 86_400_000], [1_814_400_000, 604_800_000], [3_628_800_000, 2_592_000_000],
  ];
  for (const [below, value] of steps) if (ms < below) return value;
  return 31_536_000_000;
}

/** rangeutil.calculateInterval: range over the panel's data points, rounded, at least the data source's minimum. */
export const calculateIntervalMs = (range: TimeRange, maxDataPoints: number, minIntervalMs: number): number =>
  Math.max(roundInterval((range.toMs - range.fromMs) / maxDataPoints), minIntervalMs);

/** The server step for raw InfluxQL, in the order Grafana applies it. */
export function expandMacros(query: string, range: TimeRange, intervalMs: number): string {
  const text = formatInterval(intervalMs);
  return query
    .replaceAll('$timeFilter', `time >= ${range.fromMs}ms and time <= ${range.toMs}ms`)
    .replaceAll('$interval', text)
    .replaceAll('$__interval_ms', String(intervalMs))
    .replaceAll('$__interval', text);
}

/** A custom variable's "text : value" list, comma-separated (Grafana's custom variable parser). */
export function customOptions(query: string): Array<{ text: string; value: string }> {
  return (query.match(/(?:\\,|[^,])+/g) ?? []).map((part) => {
    const m = /^\s*(.+)\s:\s(.+)$/.exec(part);
    const [text, value] = m ? [m[1]!.trim(), m[2]!.trim()] : [part.trim(), part.trim()];
    return { text: text.replace(/\\,/g, ','), value: value.replace(/\\,/g, ',') };
  });
}

/** A dashboard time like "now-6h" or "now" at a given now (the relative forms the boards use). */
export function parseTime(expr: string, nowMs: number): number {
  if (expr === 'now') return nowMs;
  const m = /^now-(\d+)([smhdw])$/.exec(expr);
  if (!m) throw new Error(`unsupported dashboard time ${JSON.stringify(expr)}`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return nowMs - Number(m[1]) * unit;
}
