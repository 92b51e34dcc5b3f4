// Every query of the exported boards (panels, template variables, annotations), run against a real InfluxDB loaded
// with generated probe data, an hourly rollup and fault events, after Grafana's variable and macro expansion.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../core/config.js';
import { provisioningFiles, writeFiles, DASHBOARD_DIR } from '../../grafana/export.js';
import { GAZETTEER_FILE } from '../../grafana/gazetteer.js';
import { skipUnless } from '../support/env.js';
import { startInfluxd } from '../support/influxd.js';
import { faultLine, probeLine, probeRows, ISPS, VIPS, type FaultRow, type ProbeRow } from './data.js';
import {
  ALL, calculateIntervalMs, customOptions, expandMacros, interpolate, parseTime, type TimeRange, type VariableState,
} from './grafana-influxql.js';
import { influxQuery, influxWrite, type Series } from './influx.js';

interface Target { refId: string; query: string; rawQuery: boolean; resultFormat: string; alias?: string; titleColumn?: string; textColumn?: string; tagsColumn?: string }
interface PanelJson {
  id: number; type: string; title: string; targets: Target[];
  transformations?: Array<{ id: string; options: Record<string, unknown> }>;
  fieldConfig?: { overrides?: Array<{ matcher: { id: string; options: string } }> };
  options?: { layers?: Array<{ location?: { mode: string; lookup?: string; gazetteer?: string } }> };
}
interface VariableJson { type: string; name: string; query: string; multi?: boolean; includeAll?: boolean; allValue?: string; sort?: number }
interface BoardJson {
  uid: string; time: { from: string; to: string }; panels: PanelJson[];
  templating: { list: VariableJson[] }; annotations: { list: Array<{ name: string; target: Target }> };
}

/** The selection the panels see: undefined for "All". */
type Selection = Partial<Record<'vip' | 'dc' | 'isp' | 'province', string>> & { source: string };

interface Expected {
  format: 'time_series' | 'table';
  tags: string[];
  columns: string[];
  /** which generated rows the panel covers under a selection */
  rows?: (r: ProbeRow, s: Selection) => boolean;
}

const all = (): boolean => true;
const ofVip = (r: ProbeRow, s: Selection) => r.vip === s.vip;
const ofDc = (r: ProbeRow, s: Selection) =>
  r.vipDc === s.dc && (s.isp === undefined || r.isp === s.isp) && (s.province === undefined || r.province === s.province);
const stats = ['time', 'min', 'avg', 'max', 'loss'];

/** What each panel must return, by board uid and panel id. */
const EXPECTED: Record<string, Record<number, Expected>> = {
  'vipwatch-national': {
    1: { format: 'table', tags: ['province', 'isp'], columns: ['time', 'latency'], rows: all },
    2: { format: 'table', tags: ['province', 'isp'], columns: ['time', 'loss'], rows: all },
    3: { format: 'time_series', tags: ['isp'], columns: ['time', 'latency'], rows: all },
    4: { format: 'time_series', tags: ['isp'], columns: ['time', 'loss'], rows: all },
    5: { format: 'table', tags: ['province'], columns: ['time', 'latency', 'loss'], rows: all },
    6: { format: 'table', tags: ['province', 'isp'], columns: ['time', 'baseline', 'now'], rows: all },
  },
  'vipwatch-vip': {
    1: { format: 'time_series', tags: ['isp'], columns: ['time', 'min', 'avg', 'max'], rows: ofVip },
    2: { format: 'time_series', tags: ['isp'], columns: ['time', 'loss'], rows: ofVip },
    3: { format: 'time_series', tags: ['province', 'isp'], columns: ['time', 'avg'], rows: ofVip },
    4: { format: 'table', tags: ['province', 'isp'], columns: stats, rows: ofVip },
    5: { format: 'table', tags: ['isp'], columns: ['time', 'baseline', 'now'], rows: ofVip },
  },
  'vipwatch-dc-isp': {
    1: { format: 'time_series', tags: ['isp'], columns: ['time', 'latency'], rows: ofDc },
    2: { format: 'time_series', tags: ['isp'], columns: ['time', 'loss'], rows: ofDc },
    3: { format: 'time_series', tags: ['vip'], columns: ['time', 'latency'], rows: ofDc },
    4: { format: 'time_series', tags: ['vip'], columns: ['time', 'loss'], rows: ofDc },
    5: { format: 'table', tags: ['isp', 'vip'], columns: stats, rows: ofDc },
    6: { format: 'table', tags: ['dc', 'isp', 'province'], columns: stats, rows: ofDc },
  },
};

const tagOf: Record<string, (r: ProbeRow) => string> = {
  province: (r) => r.province, isp: (r) => r.isp, vip: (r) => r.vip, dc: (r) => r.dc, vip_dc: (r) => r.vipDc,
};
const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();
const seriesKey = (s: Series, tags: string[]): string => tags.map((k) => s.tags?.[k] ?? '?').join('|');

test('every query of the exported boards returns its expected series from a real InfluxDB', async (t) => {
  if (skipUnless(t, { commands: ['influxd'] })) return;
  const influx = await startInfluxd();
  t.after(() => influx.stop());
  const out = mkdtempSync(join(tmpdir(), 'vipwatch-grafana-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));

  const cfg = parseConfig({ series: { backend: 'influx', influx: { url: influx.url } } }, 'test config');
  const { database: db, retentionPolicy: rp } = cfg.series.influx;
  await influxQuery(influx.url, db, `CREATE DATABASE "${db}" WITH DURATION 30d REPLICATION 1 NAME "${rp}"`);
  await influxQuery(influx.url, db, `CREATE RETENTION POLICY "rollup" ON "${db}" DURATION 400d REPLICATION 1`);

  const now = Date.now();
  const rows = probeRows(now, 120);
  await influxWrite(influx.url, db, rp, rows.map(probeLine));
  const first = rows[0]!.ts;
  const last = rows[rows.length - 1]!.ts;
  // the continuous query cq_probe_1h's statement, run once over the loaded range
  await influxQuery(influx.url, db,
    'SELECT min("rtt_min") AS "rtt_min", mean("rtt_avg") AS "rtt_avg", max("rtt_max") AS "rtt_max", mean("loss") AS "loss", ' +
    `sum("sent") AS "sent", sum("recv") AS "recv" INTO "rollup"."probe_1h" FROM "${rp}"."probe" ` +
    `WHERE time >= ${first - 3_600_000}ms AND time <= ${now}ms GROUP BY time(1h), *`);
  const faults: FaultRow[] = [
    { ts: last - 30 * 60_000, type: 'dc', key: 'bj-zw', event: 'open', title: 'DC fault bj-zw opened', text: 'isps: ct, cu; VIPs: 203.0.113.10', start: last - 32 * 60_000 },
    { ts: last - 10 * 60_000, type: 'dc', key: 'bj-zw', event: 'close', title: 'DC fault bj-zw closed', text: 'isps: ct, cu; VIPs: 203.0.113.10', start: last - 32 * 60_000 },
    // a latency episode's events (id dc:bj-zw:latency) are annotations too
    { ts: last - 8 * 60_000, type: 'dc', key: 'bj-zw', event: 'open', title: 'DC latency fault bj-zw opened', text: 'isps: cu', start: last - 10 * 60_000, signal: 'latency' },
  ];
  await influxWrite(influx.url, db, rp, faults.map(faultLine));

  writeFiles(out, provisioningFiles(cfg, { grafanaPath: out }));
  const datasource = parseYaml(readFileSync(join(out, 'datasources/vipwatch.yaml'), 'utf8')) as
    { datasources: Array<{ url: string; jsonData: { dbName: string; timeInterval: string } }> };
  const ds = datasource.datasources[0]!;
  assert.equal(ds.url, influx.url);
  assert.equal(ds.jsonData.dbName, db);
  const minIntervalMs = Number(/^(\d+)s$/.exec(ds.jsonData.timeInterval)![1]) * 1000;
  const gazetteer = new Set((JSON.parse(readFileSync(join(out, 'gazetteer', GAZETTEER_FILE), 'utf8')) as Array<{ key: string }>).map((g) => g.key));
  const run = (q: string) => influxQuery(influx.url, db, q);

  let queries = 0;
  for (const uid of Object.keys(EXPECTED)) {
    await t.test(`board ${uid}`, async (bt) => {
      const board = JSON.parse(readFileSync(join(out, DASHBOARD_DIR, `${uid}.json`), 'utf8')) as BoardJson;
      assert.equal(board.uid, uid);
      assert.deepEqual(board.panels.map((p) => p.id).sort(), Object.keys(EXPECTED[uid]!).map(Number).sort(), 'every panel has an expectation');
      const range: TimeRange = { fromMs: parseTime(board.time.from, now), toMs: parseTime(board.time.to, now) };
      // a 1000-pixel-wide panel, as Grafana computes $__interval for it
      const intervalMs = calculateIntervalMs(range, 1000, minIntervalMs);
      const expand = (q: string, vars: ReadonlyMap<string, VariableState>) => expandMacros(interpolate(q, vars), range, intervalMs);

      const ann = board.annotations.list;
      assert.equal(ann.length, 1);
      const annSeries = await run(expand(ann[0]!.target.query, new Map()));
      queries++;
      assert.equal(annSeries.length, 1, 'fault annotations: one series');
      const cols = annSeries[0]!.columns;
      const a = ann[0]!.target;
      for (const c of [a.titleColumn!, a.textColumn!, ...a.tagsColumn!.split(',')]) assert.ok(cols.includes(c), `annotation column ${c} in ${cols}`);
      assert.deepEqual(annSeries[0]!.values.map((v) => v[cols.indexOf('title')]), faults.map((f) => f.title));
      assert.deepEqual(annSeries[0]!.values.map((v) => v[0]), faults.map((f) => f.ts));

      // every selection: each custom option, "All" and a real value for variables that have All, the first value otherwise
      const selections: Array<Map<string, VariableState>> = [];
      const resolve = async (i: number, vars: Map<string, VariableState>): Promise<void> => {
        const v = board.templating.list[i];
        if (!v) { selections.push(vars); return; }
        let options: string[];
        if (v.type === 'custom') options = customOptions(v.query).map((o) => o.value);
        else {
          const series = await run(expand(v.query, vars));
          queries++;
          options = sorted(series.flatMap((s) => s.values.map((row) => String(row[s.columns.indexOf('value')]))));
          assert.deepEqual(options, expectedValues(v.name, vars, rows), `variable ${v.name} values`);
        }
        const picks = v.includeAll ? [ALL, options[0]!] : v.type === 'custom' ? options : [options[0]!];
        for (const current of picks) {
          const state: VariableState = { name: v.name, multi: !!v.multi, includeAll: !!v.includeAll, allValue: v.allValue, options, current };
          await resolve(i + 1, new Map([...vars, [v.name, state]]));
        }
      };
      await resolve(0, new Map());
      assert.ok(selections.length >= 2, 'both resolutions are exercised');

      for (const vars of selections) {
        const sel = selection(vars);
        const rollup = sel.source.includes('probe_1h');
        for (const panel of board.panels) {
          const exp = EXPECTED[uid]![panel.id]!;
          assert.equal(panel.targets.length, 1);
          const target = panel.targets[0]!;
          assert.equal(target.rawQuery, true);
          assert.equal(target.resultFormat, exp.format);
          const q = expand(target.query, vars);
          assert.doesNotMatch(q, /\$\w/, `fully expanded: ${q}`);
          const series = await run(q);
          queries++;
          const what = `${uid} panel ${panel.id} "${panel.title}" with ${JSON.stringify(sel)}`;
          const want = sorted(rows.filter((r) => exp.rows!(r, sel)).map((r) => exp.tags.map((k) => tagOf[k]!(r)).join('|')));
          assert.ok(want.length > 0, `${what}: the generated data covers it`);
          assert.deepEqual(sorted(series.map((s) => seriesKey(s, exp.tags))), want, `${what}: one series per ${exp.tags}`);
          for (const s of series) {
            assert.deepEqual(s.columns, exp.columns, `${what}: columns`);
            assert.ok(s.values.length >= (exp.format === 'time_series' ? 2 : 1), `${what}: points`);
            assert.ok(s.values.every((row) => row.slice(1).every((x) => typeof x === 'number')), `${what}: numbers`);
          }
          checkPanelWiring(panel, exp, series, gazetteer, what);
          if (uid === 'vipwatch-national' && panel.id === 1 && !rollup) checkMean(series, rows, range);
          if (panel.id === (uid === 'vipwatch-vip' ? 5 : 6) && uid !== 'vipwatch-dc-isp' && !rollup) checkBaseline(series, rows, sel, exp, range, intervalMs);
        }
      }
      bt.diagnostic(`${selections.length} variable selections`);
    });
  }
  t.diagnostic(`${queries} queries run`);
});

/** The values a variable's query must list, from the generated data and the selection so far. */
function expectedValues(name: string, vars: ReadonlyMap<string, VariableState>, rows: ProbeRow[]): string[] {
  const isp = vars.get('isp')?.current;
  const byName: Record<string, () => string[]> = {
    vip: () => VIPS.map((v) => v.vip),
    dc: () => VIPS.map((v) => v.vipDc),
    isp: () => [...ISPS],
    province: () => rows.filter((r) => isp === undefined || isp === ALL || r.isp === isp).map((r) => r.province),
  };
  return sorted(byName[name]!());
}

function selection(vars: ReadonlyMap<string, VariableState>): Selection {
  const one = (n: string) => {
    const c = vars.get(n)?.current;
    return c === undefined || c === ALL ? undefined : String(c);
  };
  return { source: one('source')!, vip: one('vip'), dc: one('dc'), isp: one('isp'), province: one('province') };
}

/** Names a panel's display settings use (aliases, transformations, overrides, map lookups) must exist in its data. */
function checkPanelWiring(panel: PanelJson, exp: Expected, series: Series[], gazetteer: Set<string>, what: string): void {
  const names = new Set([...exp.tags, ...exp.columns]);
  for (const m of (panel.targets[0]!.alias ?? '').matchAll(/\$tag_(\w+)/g)) assert.ok(exp.tags.includes(m[1]!), `${what}: alias tag ${m[1]}`);
  for (const tr of panel.transformations ?? []) {
    if (tr.id !== 'groupingToMatrix') continue;
    for (const k of ['rowField', 'columnField', 'valueField']) assert.ok(names.has(String(tr.options[k])), `${what}: ${k} ${tr.options[k]}`);
  }
  for (const o of panel.fieldConfig?.overrides ?? []) {
    if (o.matcher.id === 'byName') assert.ok(names.has(o.matcher.options), `${what}: override ${o.matcher.options}`);
  }
  for (const layer of panel.options?.layers ?? []) {
    const lookup = layer.location?.lookup;
    if (layer.location?.mode !== 'lookup' || !lookup) continue;
    assert.ok(exp.tags.includes(lookup), `${what}: map lookup field ${lookup}`);
    assert.ok(layer.location.gazetteer?.endsWith(`/${GAZETTEER_FILE}`), `${what}: the shipped gazetteer`);
    for (const s of series) assert.ok(gazetteer.has(s.tags![lookup]!), `${what}: ${s.tags![lookup]} in the gazetteer`);
  }
}

/** The province x ISP latency cell is the mean of rtt_avg over the range (raw data). */
/** The baseline and now columns, worked out from the generated rows: per interval the mean, then their median and the last. */
function checkBaseline(series: Series[], rows: ProbeRow[], sel: Selection, exp: Expected, range: TimeRange, intervalMs: number): void {
  const buckets = new Map<string, Map<number, number[]>>();
  for (const r of rows) {
    if (!exp.rows!(r, sel) || !r.rtt || r.ts < range.fromMs || r.ts > range.toMs) continue;
    const key = exp.tags.map((k) => tagOf[k]!(r)).join('|');
    const b = Math.floor(r.ts / intervalMs) * intervalMs;
    let m = buckets.get(key);
    if (!m) buckets.set(key, (m = new Map()));
    m.set(b, [...(m.get(b) ?? []), r.rtt.avg]);
  }
  for (const s of series) {
    const per = buckets.get(seriesKey(s, exp.tags))!;
    const means = [...per.entries()].sort((a, b) => a[0] - b[0]).map(([, xs]) => xs.reduce((a, b) => a + b, 0) / xs.length);
    const sortedMeans = [...means].sort((a, b) => a - b);
    const n = sortedMeans.length;
    const median = n % 2 ? sortedMeans[n >> 1]! : (sortedMeans[n / 2 - 1]! + sortedMeans[n / 2]!) / 2;
    const [baseline, now] = [s.values[0]![s.columns.indexOf('baseline')] as number, s.values[0]![s.columns.indexOf('now')] as number];
    assert.ok(Math.abs(baseline - median) < 1e-6, `${seriesKey(s, exp.tags)} baseline ${baseline} vs ${median}`);
    assert.ok(Math.abs(now - means.at(-1)!) < 1e-6, `${seriesKey(s, exp.tags)} now ${now} vs ${means.at(-1)}`);
  }
}

function checkMean(series: Series[], rows: ProbeRow[], range: TimeRange): void {
  const s = series.find((x) => x.tags?.province === 'beijing' && x.tags.isp === 'ct')!;
  const avgs = rows.filter((r) => r.province === 'beijing' && r.isp === 'ct' && r.rtt && r.ts >= range.fromMs && r.ts <= range.toMs).map((r) => r.rtt!.avg);
  const mean = avgs.reduce((a, b) => a + b, 0) / avgs.length;
  assert.ok(Math.abs((s.values[0]![1] as number) - mean) < 1e-9, `beijing/ct mean latency ${s.values[0]![1]} vs ${mean}`);
}

