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
import { LiveAnalyzer } from '../../analyzer/live.js';
import { engineFor, silentLog, stores, tagged } from './live-support.js';
import { at, range, Scenario, T0 } from './scenario.js';

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

  // restart on the same files: the baseline comes from the checkpoint (the series store is emptied to prove it)
  const st = stores(dir);
  await st.series.init();
  await st.faults.init();
  const emptied = stores(mkdtempSync(join(tmpdir(), 'vipwatch-latency-empty-')));
  await emptied.series.init();
  const live = new LiveAnalyzer({
    engine: engineFor(catalog), series: withHistoryFrom(st.series, emptied.series, T0 + 36 * MIN),
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
  assert.deepEqual((await st.faults.list({ status: 'all', signal: 'latency' })).map((e) => e.id), [`vip:${vip}:latency`]);
  assert.deepEqual(await st.faults.list({ status: 'all', signal: 'loss' }), []);
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
