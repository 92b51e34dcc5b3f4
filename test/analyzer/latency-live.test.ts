// Latency baselines across restarts of the live analyzer, on the real SQLite stores: kept in the checkpoint, and
// rebuilt from the series store when there is no checkpoint. A VIP is slow from ct in minutes 40..49; the analyzer
// restarts (or first starts) before that, so it sees the fault only if the baseline of minutes 0..34 is there.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCatalog } from '../../core/catalog.js';
import type { FaultEpisode } from '../../core/model.js';
import { pickEpisode } from '../../core/store/faults-common.js';
import { Registry } from 'prom-client';
import type { FaultTransition } from '../../core/model.js';
import { LiveAnalyzer } from '../../analyzer/live.js';
import { engineFor, silentLog, stores, tagged } from './live-support.js';
import { at, range, Scenario, T0, WithHttp } from './scenario.js';
import { rulesSchema } from '../../core/config.js';
import { Engine } from '../../analyzer/engine/engine.js';

const MIN = 60_000;

function scenario(): { s: Scenario; vip: string } {
  const s = new Scenario(60);
  const vip = s.inventory.vips[0]!.ip;
  s.delay({ vips: [vip], isps: ['ct'] }, range(40, 49), 40);
  return { s, vip };
}

/** A series store whose minutes before `from` are read from `before` instead. */
function withHistoryFrom<S extends object & { readRange: (a: number, b: number) => Promise<unknown> }>(store: S, before: S, from: number): S {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'readRange') return (a: number, b: number) => (a < from ? before.readRange(a, b) : target.readRange(a, b));
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const brief = (es: FaultEpisode[]) => es.map(pickEpisode).map((e) => [e.id, e.start, e.detectedAt, e.end]);

async function setUp(t: { after: (f: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-latency-live-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { s, vip } = scenario();
  const catalog = buildCatalog(s.inventory);
  const st = stores(dir);
  await st.series.init();
  await st.series.write(tagged(s.inventory, s.records()));
  await st.faults.init();
  return { dir, s, vip, catalog, st };
}

test('the baseline survives a restart in the checkpoint', async (t) => {
  const { dir, vip, catalog, st: first } = await setUp(t);
  let clock = T0 + 36 * MIN; // minute 35 is due
  const make = (st: ReturnType<typeof import('./live-support.js').stores>) => new LiveAnalyzer({
    engine: engineFor(catalog), series: st.series, faults: st.faults, whitelist: async () => [], graceSec: 0, log: silentLog, now: () => clock,
  });
  // the first start evaluates from minute 31 and rebuilds minutes 0..30 from the series store
  await make(first).runDue();
  assert.equal((await first.faults.checkpoint())!.minute, T0 + 35 * MIN);
  await first.series.close();
  await first.faults.close();

  // restart on the same files: the baseline comes from the checkpoint's lane parts: all ten written with the first
  // minute (31), then one a minute in turn; the restart replays 32..35 from the series store. Everything older is
  // emptied to prove it.
  const st = stores(dir);
  await st.series.init();
  await st.faults.init();
  const parts = Object.values(await st.faults.checkpointParts()).map((p) => p.minute).sort((a, b) => a - b);
  assert.deepEqual(parts, [31, 31, 31, 31, 31, 31, 32, 33, 34, 35].map((m) => T0 + m * MIN));
  const emptied = stores(mkdtempSync(join(tmpdir(), 'vipwatch-latency-empty-')));
  await emptied.series.init();
  const live = new LiveAnalyzer({
    engine: engineFor(catalog), series: withHistoryFrom(st.series, emptied.series, T0 + 32 * MIN),
    faults: st.faults, whitelist: async () => [], graceSec: 0, log: silentLog, now: () => clock,
  });
  clock = T0 + 60 * MIN;
  assert.equal(await live.runDue(), 24);
  assert.deepEqual(brief(await st.faults.list({ status: 'all' })), [[`vip:${vip}:latency`, at(40), at(42), at(50)]]);
  await emptied.series.close();
  await st.series.close();
  await st.faults.close();
});

test('without a checkpoint the baseline is rebuilt from the series store', async (t) => {
  const { vip, catalog, st } = await setUp(t);
  const clock = T0 + 60 * MIN;
  // a first start at minute 59 evaluates from 55 on: too late for the fault, so start it earlier (due at 39)
  let now = T0 + 40 * MIN;
  const live = new LiveAnalyzer({
    engine: engineFor(catalog), series: st.series, faults: st.faults, whitelist: async () => [], graceSec: 0, log: silentLog, now: () => now,
  });
  assert.equal(await live.runDue(), 5); // minutes 35..39; minutes 0..34 went into the baseline only
  now = clock;
  assert.equal(await live.runDue(), 20);
  const stored = await st.faults.list({ status: 'all' });
  assert.deepEqual(brief(stored), [[`vip:${vip}:latency`, at(40), at(42), at(50)]]);
  assert.equal(stored[0]!.signal, 'latency');
  // the store filters by signal (what GET /api/v1/faults?signal= and the faults page use)
  assert.deepEqual((await st.faults.list({ status: 'all', signals: ['latency'] })).map((e) => e.id), [`vip:${vip}:latency`]);
  assert.deepEqual(await st.faults.list({ status: 'all', signals: ['loss'] }), []);
  await st.series.close();
  await st.faults.close();
});

test('control: with no history in the series store a first start sees no latency fault', async (t) => {
  const { catalog, st, s } = await setUp(t);
  // a series store holding only minutes 35..59: no baseline can be built, so the +40 ms stays unjudged
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-latency-late-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const late = stores(dir);
  await late.series.init();
  await late.faults.init();
  await late.series.write(tagged(s.inventory, s.records().filter((r) => Date.parse(r.ts) >= T0 + 35 * MIN)));
  let now = T0 + 40 * MIN;
  const live = new LiveAnalyzer({ engine: engineFor(catalog), series: late.series, faults: late.faults, whitelist: async () => [], graceSec: 0, log: silentLog, now: () => now });
  await live.runDue();
  now = T0 + 60 * MIN;
  await live.runDue();
  assert.deepEqual(await late.faults.list({ status: 'all' }), []);
  for (const x of [late, st]) { await x.series.close(); await x.faults.close(); }
});

test('a restart mid-fault, killed or stopped cleanly, alerts exactly as an uninterrupted run', async (t) => {
  const { s, vip } = scenario();
  const catalog = buildCatalog(s.inventory);
  /** Runs the analyzer to minute 59, restarted after minute 44 unless `restart` is null; returns what it saw. */
  const runOnce = async (restart: 'kill' | 'stop' | null) => {
    const dir = mkdtempSync(join(tmpdir(), 'vipwatch-latency-restart-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    let st = stores(dir);
    await st.series.init();
    await st.series.write(tagged(s.inventory, s.records()));
    await st.faults.init();
    let clock = T0 + 32 * MIN; // first start: evaluates from 27, the baselines of 0..26 rebuilt from the series store
    const seen: Array<[number, FaultTransition[]]> = [];
    const make = (registry: Registry) => new LiveAnalyzer({
      engine: engineFor(catalog), series: st.series, faults: st.faults, whitelist: async () => [], graceSec: 0, log: silentLog,
      now: () => clock, registry, listeners: [(m, tr) => { seen.push([m, JSON.parse(JSON.stringify(tr)) as FaultTransition[]]); }],
    });
    let live = make(new Registry());
    await live.runDue();
    let replayed = 0;
    if (restart) {
      clock = T0 + 45 * MIN; // minutes 32..44: the fault (slow from 40) is open since 42
      await live.runDue();
      if (restart === 'stop') await live.stop(); // else dropped as by a kill: the lane parts stay one a minute behind
      await st.series.close();
      await st.faults.close();
      st = stores(dir);
      await st.series.init();
      await st.faults.init();
      const registry = new Registry();
      live = make(registry);
      clock = T0 + 60 * MIN;
      await live.runDue();
      replayed = (await registry.getSingleMetric('vipwatch_analyzer_lane_replayed_minutes_total')!.get()).values[0]?.value ?? 0;
    } else {
      clock = T0 + 60 * MIN;
      await live.runDue();
    }
    const episodes = brief(await st.faults.list({ status: 'all' }));
    await st.series.close();
    await st.faults.close();
    return { seen, episodes, replayed };
  };
  const straight = await runOnce(null);
  assert.deepEqual(straight.episodes, [[`vip:${vip}:latency`, at(40), at(42), at(50)]]);
  assert.deepEqual(straight.seen.map(([m]) => m), range(27, 59).map((m) => T0 + m * MIN));
  const killed = await runOnce('kill');
  // parts as of minutes 35..44: 36..44 replayed from the series store
  assert.equal(killed.replayed, 9);
  assert.deepEqual(killed.seen, straight.seen, 'every minute seen once, with the same transitions');
  assert.deepEqual(killed.episodes, straight.episodes);
  const stopped = await runOnce('stop');
  assert.equal(stopped.replayed, 0, 'a clean stop wrote every part: nothing to replay');
  assert.deepEqual(stopped.seen, straight.seen);
  assert.deepEqual(stopped.episodes, straight.episodes);
});

test('the live analyzer judges a host by its latency method too: an outage whose replies are icmp ones opens no latency fault', async (t) => {
  // latency.test.ts's scenario (icmp and http to every VIP; 95% lost from ct and cu in minutes 1-4; ct +40 ms in
  // 14-19), here read from the SQLite series store: the loss fault, and the one latency fault of the real slowdown
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-latency-methods-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = new WithHttp(26);
  const vip = s.inventory.vips[0]!.ip;
  s.loss({ vips: [vip], isps: ['ct', 'cu'] }, range(1, 4), 95).delay({ vips: [vip], isps: ['ct'] }, range(14, 19), 40);
  const st = stores(dir);
  await st.series.init();
  await st.series.write(tagged(s.inventory, s.records()));
  await st.faults.init();
  let now = T0 + MIN; // minute 0 is due: the first start evaluates every minute from the first on
  const engine = new Engine(buildCatalog(s.inventory), { rules: rulesSchema.parse({ baselineMinutes: 10, baselineMinSamples: 3 }), minuteMs: MIN });
  const live = new LiveAnalyzer({ engine, series: st.series, faults: st.faults, whitelist: async () => [], graceSec: 0, log: silentLog, now: () => now });
  await live.runDue();
  now = T0 + 26 * MIN;
  await live.runDue();
  assert.deepEqual(brief(await st.faults.list({ status: 'all' })).sort((a, b) => a[1]!.localeCompare(b[1]!)), [
    [`vip:${vip}`, at(1), at(3), at(5)],
    [`vip:${vip}:latency`, at(14), at(16), at(20)],
  ]);
  await st.series.close();
  await st.faults.close();
});
