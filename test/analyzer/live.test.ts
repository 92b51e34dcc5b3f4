// The live analyzer against the real SQLite series and fault stores: minutes in order, once each, resumed from the
// checkpoint after a restart, and killed (SIGKILL) mid-stream as a child process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCatalog } from '../../core/catalog.js';
import { pickEpisode } from '../../core/store/faults-common.js';
import type { FaultEpisode, FaultTransition } from '../../core/model.js';
import { LiveAnalyzer } from '../../analyzer/live.js';
import { engineFor, silentLog, stores, tagged } from './live-support.js';
import { range, run, Scenario, T0 } from './scenario.js';

const MIN = 60_000;
const sortEpisodes = (list: FaultEpisode[]) => list.map(pickEpisode).sort((a, b) => `${a.id}@${a.start}`.localeCompare(`${b.id}@${b.start}`));

function scenario(minutes: number): Scenario {
  const s = new Scenario(minutes);
  const [a, b] = s.vipsOf('idc-a');
  return s.loss({ vips: [a!, b!], isps: ['ct', 'cu'] }, range(3, 14))
    .loss({ vips: ['198.19.0.9'] }, [...range(6, 12), ...range(15, 22)])
    .loss({ isps: ['cm'], provinces: ['beijing'] }, range(20, minutes - 1));
}

test('live analyzer: due minutes in order, each once; resumes from its checkpoint; same episodes as replay', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-live-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = scenario(30);
  const catalog = buildCatalog(s.inventory);
  let st = stores(dir);
  await st.series.init();
  await st.series.write(tagged(s.inventory, s.records()));
  await st.faults.init();

  let clock = T0 + 5 * MIN; // minute 4 is due (grace 0): a first start begins a smoothing window back, at minute 0
  const seen: number[] = [];
  const transitions: FaultTransition[] = [];
  const make = () => new LiveAnalyzer({
    engine: engineFor(catalog), series: st.series, faults: st.faults, whitelist: async () => [], graceSec: 0, log: silentLog,
    now: () => clock, listeners: [(m, tr) => { seen.push(m); transitions.push(...tr); }],
  });
  let live = make();
  assert.equal(await live.runDue(), 5);
  assert.equal(await live.runDue(), 0, 'nothing more is due');
  clock = T0 + 17 * MIN + 30_000;
  assert.equal(await live.runDue(), 12);
  assert.equal((await st.faults.checkpoint())!.minute, T0 + 16 * MIN);

  // restart: new stores on the same files, a new engine; it resumes after minute 16
  await st.series.close();
  await st.faults.close();
  st = stores(dir);
  await st.series.init();
  await st.faults.init();
  live = make();
  clock = T0 + 30 * MIN;
  assert.equal(await live.runDue(), 13);
  assert.deepEqual(seen, range(0, 29).map((m) => T0 + m * MIN));

  const replayed = await run(s);
  assert.ok(replayed.episodes.length >= 5);
  assert.deepEqual(sortEpisodes(await st.faults.list({ status: 'all' })), sortEpisodes(replayed.episodes));
  assert.deepEqual(transitions, replayed.transitions);
  // board annotations: one per open and close
  const annotations = await st.series.faultEvents(T0, T0 + 30 * MIN);
  assert.equal(annotations.length, replayed.transitions.filter((x) => x.kind !== 'update').length);
  await st.series.close();
  await st.faults.close();
});

test('live analyzer killed (SIGKILL) mid-stream and restarted: no minute skipped or repeated, no fault duplicated', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-live-kill-'));
  const children: Array<ReturnType<typeof spawn>> = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const last = 39;
  const s = scenario(last + 1);
  const inventory = join(dir, 'inventory.json');
  const { isps: _isps, ...shape } = s.inventory;
  writeFileSync(inventory, JSON.stringify(shape));
  const st = stores(dir);
  await st.series.init();
  await st.series.write(tagged(s.inventory, s.records()));
  await st.series.close();

  const logFile = join(dir, 'child.log');
  const lines = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number | null>) : []);
  const child = (base: number) => {
    const arg = JSON.stringify({ dataDir: dir, inventory, t0: T0, base, msPerMinute: 150, lastMinute: last, log: logFile });
    const c = spawn(process.execPath, ['--import', 'tsx', 'test/analyzer/live-child.ts', arg], { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (d) => { err += d; });
    children.push(c);
    return { c, err: () => err };
  };
  const until = async (what: string, ok: () => boolean, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log: ${JSON.stringify(lines().slice(-5))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const committed = () => lines().filter((l) => 'committed' in l).map((l) => l.committed as number);

  const first = child(0);
  await until('12 committed minutes', () => committed().length >= 12);
  first.c.kill('SIGKILL');
  await new Promise((r) => first.c.once('exit', r));
  const firstRun = committed();
  const base = lines()[0]!.base as number;
  assert.ok(firstRun.at(-1)! < T0 + last * MIN, `killed mid-stream (last committed ${new Date(firstRun.at(-1)!).toISOString()})`);

  const mark = lines().length;
  const second = child(base);
  await until(`minute ${last} committed`, () => committed().includes(T0 + last * MIN));
  second.c.kill('SIGTERM');
  await new Promise((r) => second.c.once('exit', r));
  const after = lines().slice(mark);
  const resumedAt = after[0]!.start as number;
  const secondRun = after.filter((l) => 'committed' in l).map((l) => l.committed as number);

  // The checkpoint is the last commit of the first run (or, killed between commit and log line, the one after it).
  assert.ok(resumedAt === firstRun.at(-1) || resumedAt === firstRun.at(-1)! + MIN, `resumed at ${resumedAt}, first run ended ${firstRun.at(-1)}`);
  const all = [...firstRun.filter((m) => m <= resumedAt), ...(resumedAt > firstRun.at(-1)! ? [resumedAt] : []), ...secondRun];
  const from = all[0]!;
  assert.deepEqual(all, Array.from({ length: (T0 + last * MIN - from) / MIN + 1 }, (_, i) => from + i * MIN), 'every minute committed exactly once');
  assert.equal(secondRun[0], resumedAt + MIN);
  // SIGTERM is a clean shutdown: the latency checkpoint parts behind the last minute were written with it, no episode
  const resaved = after.filter((l) => 'resaved' in l);
  assert.deepEqual(resaved.map((l) => [l.resaved, l.episodes]), [[T0 + last * MIN, 0]]);
  assert.ok(resaved[0]!.parts! > 0 && resaved[0]!.parts! < 10, `the parts not yet as of the last minute (${resaved[0]!.parts} of 10)`);

  const faults = stores(dir).faults;
  await faults.init();
  t.after(() => faults.close());
  const stored = await faults.list({ status: 'all' });
  assert.equal(new Set(stored.map((e) => e.uid)).size, stored.length);
  assert.deepEqual(sortEpisodes(stored), sortEpisodes((await run(s)).episodes));
  for (const e of stored) {
    const kinds = e.history.map((h) => h.kind);
    assert.equal(kinds.filter((k) => k === 'open').length, 1, `${e.uid}: one open event (${kinds})`);
    assert.ok(kinds.filter((k) => k === 'close').length <= 1, `${e.uid}: at most one close event (${kinds})`);
  }
  assert.equal(first.err().includes('Error') || second.err().includes('Error'), false, first.err() + second.err());
});
