// The latency lane checkpointed in parts (analyzer/engine/lane-checkpoint.ts): one part a minute, so a checkpoint's
// parts are as of different minutes; a restore replays each part's missing minutes from the records. Held to the
// uninterrupted run: the same state (byte for byte, packed) and the same transitions afterwards, at several restart
// minutes, one of them while an agent fault opens inside the replayed minutes (its host's records must be left out
// exactly from the minute the fault was detected, not before).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { buildCatalog } from '../../core/catalog.js';
import type { FaultTransition, ResultRecord } from '../../core/model.js';
import { batchFromRecords, type MinuteBatch } from '../../analyzer/engine/batch.js';
import { Engine } from '../../analyzer/engine/engine.js';
import type { SerializedState } from '../../analyzer/engine/state.js';
import { range, rules, Scenario, T0 } from './scenario.js';

const MIN = 60_000;
const MINUTES = 70;

function scenario() {
  // noisy latencies, two hosts per cell (so leaving one out changes a cell's latency), a short baseline (so its slots
  // expire within the run)
  const s = new Scenario(MINUTES, { redundancy: 2, rtt: (h, v, m) => 30 + ((h.id.length * 7 + Number(v.ip.split('.')[3]) * 13 + m * 5) % 17) });
  const host = s.groups.get('beijing/ct')![0]!;
  // an agent fault from minute 20 (detected at 22); while lossy the host is also 200 ms slow
  s.loss({ hosts: [host.id] }, range(20, 40), 60).delay({ hosts: [host.id] }, range(20, 40), 200);
  // a latency VIP fault from minute 50
  s.delay({ vips: [s.inventory.vips[0]!.ip], isps: ['ct'] }, range(50, 60), 60);
  return { s, host };
}

const engineOf = (s: Scenario) => new Engine(buildCatalog(s.inventory), { rules: rules({ baselineMinutes: 30, baselineMinSamples: 10 }), minuteMs: MIN });

function batches(s: Scenario, engine: Engine): MinuteBatch[] {
  const by: ResultRecord[][] = Array.from({ length: MINUTES }, () => []);
  for (const r of s.records()) by[(Date.parse(r.ts) - T0) / MIN]!.push(r);
  return by.map((rs) => batchFromRecords(engine.topo, rs).batch);
}

/** The whole state packed, but this minute's cell latencies (scratch of a step, not checkpointed). */
function packed(engine: Engine, state: Parameters<Engine['serialize']>[0]): SerializedState {
  const j = JSON.parse(JSON.stringify(engine.serialize(state))) as SerializedState;
  delete j.latency!.latency;
  return j;
}

interface Stored { main: unknown; parts: Record<string, unknown>; packed: SerializedState }

/** The uninterrupted run, keeping what a fault store would hold after each minute. */
function uninterrupted(s: Scenario) {
  const engine = engineOf(s);
  const bs = batches(s, engine);
  let state = engine.initialState();
  const parts: Record<string, unknown> = {};
  const stored: Stored[] = [];
  const transitions: FaultTransition[][] = [];
  const written: number[] = [];
  for (let m = 0; m < MINUTES; m++) {
    const r = engine.step(state, T0 + m * MIN, bs[m]!);
    state = r.state;
    transitions.push(JSON.parse(JSON.stringify(r.transitions)) as FaultTransition[]);
    const cp = engine.checkpoint(state);
    written.push(Object.keys(cp.parts).length);
    Object.assign(parts, JSON.parse(JSON.stringify(cp.parts)) as Record<string, unknown>);
    stored.push({ main: JSON.parse(JSON.stringify(cp.state)), parts: { ...parts }, packed: packed(engine, state) });
  }
  return { bs, stored, transitions, written, engine };
}

test('lane parts: one written a minute (all ten at the first), each as of its own minute', () => {
  const { s } = scenario();
  const { written, stored } = uninterrupted(s);
  assert.deepEqual(written, [10, ...new Array<number>(MINUTES - 1).fill(1)]);
  const minutes = Object.values(stored[25]!.parts).map((p) => (p as { minute: number }).minute).sort((a, b) => a - b);
  assert.deepEqual(minutes, range(16, 25).map((m) => T0 + m * MIN));
  // the every-minute checkpoint holds no lane cell arrays
  const lat = (stored[25]!.main as SerializedState).latency!;
  assert.equal(lat.baselines, undefined);
  assert.equal(lat.pending, undefined);
});

test('a restart from lane parts of different minutes replays them to the uninterrupted state and transitions', () => {
  const { s, host } = scenario();
  const run = uninterrupted(s);
  const all = run.transitions.flat();
  assert.ok(all.some((t) => t.kind === 'open' && t.episode.id === `agent:${host.id}` && t.episode.detectedAt === '2026-11-23T14:22:00Z'), 'the agent fault is detected at minute 22');
  assert.ok(all.some((t) => t.kind === 'open' && t.episode.id === `vip:${s.inventory.vips[0]!.ip}:latency`), 'a latency fault opens after minute 50');
  for (const M of [0, 9, 26, 33, 52]) {
    const at = run.stored[M]!;
    const engine = engineOf(s);
    const r = engine.restore(at.main, at.parts);
    assert.equal(r.baselineKept, true, `minute ${M}: lane kept`);
    // the oldest part is 9 minutes old (one part a minute), except right after the first save of all of them
    assert.equal(r.replayFrom, M < 9 ? null : T0 + (M - 8) * MIN, `minute ${M}: replay from`);
    const replay = engine.laneReplayer(r.state);
    for (let m = M - 8; r.replayFrom !== null && m <= M; m++) replay(T0 + m * MIN, run.bs[m]!);
    assert.deepEqual(packed(engine, r.state), at.packed, `minute ${M}: restored state`);
    let state = r.state;
    for (let m = M + 1; m < MINUTES; m++) {
      const out = engine.step(state, T0 + m * MIN, run.bs[m]!);
      state = out.state;
      assert.deepEqual(JSON.parse(JSON.stringify(out.transitions)), run.transitions[m], `restart after minute ${M}: transitions of minute ${m}`);
    }
  }
});

test('controls: without the replay, or replaying without the logged agent-fault hosts, the state differs', () => {
  const { s } = scenario();
  const run = uninterrupted(s);
  const M = 26; // parts of minutes 17..26; the agent fault was detected at 22, inside them
  const at = run.stored[M]!;
  assert.ok((at.main as SerializedState).latency!.excluded!.some(([m]) => m === T0 + 22 * MIN), 'minute 22 logged its left-out host');

  const skipped = engineOf(s).restore(at.main, at.parts);
  assert.notDeepEqual(packed(engineOf(s), skipped.state), at.packed, 'not replayed');

  const engine = engineOf(s);
  const r = engine.restore(at.main, at.parts);
  r.state.laneLog.excluded = [];
  const replay = engine.laneReplayer(r.state);
  for (let m = M - 8; m <= M; m++) replay(T0 + m * MIN, run.bs[m]!);
  assert.notDeepEqual(packed(engine, r.state), at.packed, 'the agent-faulted host counted');
});

test('a part missing, from another minute than logged, or another part count: the lane is rebuilt, not half restored', () => {
  const { s } = scenario();
  const run = uninterrupted(s);
  const at = run.stored[30]!;
  const { ['latency.3']: _gone, ...missing } = at.parts;
  assert.equal(engineOf(s).restore(at.main, missing).baselineKept, false);
  const stale = { ...at.parts, 'latency.3': run.stored[20]!.parts['latency.3'] };
  assert.equal(engineOf(s).restore(at.main, stale).baselineKept, false);
  const other = new Engine(buildCatalog(s.inventory), { rules: rules({ baselineMinutes: 30, baselineMinSamples: 10, baselineCheckpointMinutes: 5 }), minuteMs: MIN });
  const r = other.restore(at.main, at.parts);
  assert.deepEqual([r.baselineKept, r.historiesKept, r.replayFrom], [false, true, null]);
  assert.ok(r.state.laneLog.saved.every((m) => m === null), 'every part is saved afresh at the next checkpoint');
});

test('a checkpoint from before parts (the lane inline, its slots cell by cell) is still read', () => {
  const { s } = scenario();
  const run = uninterrupted(s);
  const M = 40;
  const engine = engineOf(s);
  const restored = engine.restore(run.stored[M]!.main, run.stored[M]!.parts);
  const replay = engine.laneReplayer(restored.state);
  for (let m = M - 8; m <= M; m++) replay(T0 + m * MIN, run.bs[m]!);
  // the older form: slots cell-major (each cell's 10 slots together), no part log, no slotMajor mark
  const old = JSON.parse(JSON.stringify(engine.serialize(restored.state))) as SerializedState;
  const b = restored.state.baselines;
  const cellMajor = new Uint8Array(b.slots.length);
  const bytes = 32;
  for (let c = 0; c < b.cells; c++) {
    for (let k = 0; k < b.slotCount; k++) cellMajor.set(b.slots.subarray((k * b.cells + c) * bytes, (k * b.cells + c + 1) * bytes), (c * b.slotCount + k) * bytes);
  }
  const lat = old.latency!;
  lat.baselines!.slots = deflateRawSync(cellMajor).toString('base64');
  delete lat.slotMajor;
  delete lat.parts;
  delete lat.saved;
  delete lat.excluded;
  const back = engineOf(s).restore(old);
  assert.deepEqual([back.baselineKept, back.replayFrom], [true, null]);
  const want = packed(engine, restored.state);
  want.latency!.saved = new Array<null>(10).fill(null); // not known from the old form: every part is saved afresh next
  want.latency!.excluded = [];
  assert.deepEqual(packed(engine, back.state), want);
});
