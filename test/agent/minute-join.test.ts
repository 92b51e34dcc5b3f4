// One batch a minute from the engine's own probes and the offload's (agent/minute-join.ts, wired in agent/engine.ts):
// the join's rules on their own, then the engine with a fake http method and a fake offload on a fake clock, counting
// the batches the agent would spool, and the host's rate cap split between the two. Expected batches and counts are
// written out by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ProbeEngine, type MinuteBatch, type Offload } from '../../agent/engine.js';
import { agentMetrics } from '../../agent/metrics.js';
import { MinuteJoin, type Source } from '../../agent/minute-join.js';
import type { ProbeMethod } from '../../agent/probes/method.js';
import { createLogger } from '../../core/log.js';
import type { ResultRecord, Target } from '../../core/model.js';
import { FakeTime } from '../support/fake-time.js';

const rec = (start: number, vip: string, method: ResultRecord['method']): ResultRecord => ({ ts: new Date(start).toISOString(), host: 'h1', vip, method, sent: 1, recv: 1, rttMin: 1, rttAvg: 1, rttMax: 1 });
const batch = (start: number, ...records: ResultRecord[]): MinuteBatch => ({ host: 'h1', start, records });
const keys = (b: MinuteBatch) => [b.start, b.records.map((r) => r.method).sort().join('+')];

describe('minute join', () => {
  it('a minute waits for the other source\'s same minute, a later one, or holdMs; never for a source without targets', () => {
    const time = new FakeTime();
    const out: MinuteBatch[] = [];
    const active: [boolean, boolean] = [true, true];
    const join = new MinuteJoin({ timers: time.timers, holdMs: 1000, active: (s: Source) => active[s], emit: (b) => out.push(b) });
    join.add(1, batch(0, rec(0, 'a', 'icmp')));
    assert.equal(out.length, 0, 'held for the engine\'s minute 0');
    join.add(0, batch(0, rec(0, 'b', 'http')));
    assert.deepEqual(out.map(keys), [[0, 'http+icmp']], 'one batch, both sides');
    // the engine first this time, then the offload
    join.add(0, batch(60, rec(60, 'b', 'http')));
    join.add(1, batch(60, rec(60, 'a', 'icmp')));
    assert.deepEqual(out.map(keys).slice(1), [[60, 'http+icmp']]);
    // the offload skips minute 120: its minute 180 releases the engine's 120 (alone) and waits for the engine's 180
    join.add(0, batch(120, rec(120, 'b', 'http')));
    join.add(1, batch(180, rec(180, 'a', 'icmp')));
    assert.deepEqual(out.map(keys).slice(2), [[120, 'http']]);
    join.add(0, batch(180, rec(180, 'b', 'http')));
    assert.deepEqual(out.map(keys).slice(3), [[180, 'http+icmp']]);
    // nothing comes from the other side: holdMs
    join.add(1, batch(240, rec(240, 'a', 'icmp')));
    time.advance(999);
    assert.equal(out.length, 4);
    time.advance(1000);
    assert.deepEqual(out.map(keys).slice(4), [[240, 'icmp']], 'alone after holdMs');
    // the engine's late minute 240: the offload handed its own already, so it goes at once
    join.add(0, batch(240, rec(240, 'b', 'http')));
    assert.deepEqual(out.map(keys).slice(5), [[240, 'http']]);
    // a side without targets is not waited for
    active[0] = false;
    join.add(1, batch(300, rec(300, 'a', 'icmp')));
    assert.deepEqual(out.map(keys).slice(6), [[300, 'icmp']]);
    // flush: every held minute, oldest first
    active[0] = true;
    join.add(1, batch(420, rec(420, 'a', 'icmp')));
    join.add(1, batch(360, rec(360, 'a', 'icmp')));
    join.flush();
    assert.deepEqual(out.map(keys).slice(7), [[360, 'icmp'], [420, 'icmp']]);
    time.advance(10_000);
    assert.equal(out.length, 9, 'no timer left behind');
  });

  it('the engine sends its http minutes and the offload\'s ICMP minutes as one batch a minute', async () => {
    const time = new FakeTime();
    const http: ProbeMethod = {
      name: 'http',
      probe: () => Promise.resolve(12),
      launch: (_t, _ms, ctx, done) => done(ctx, 12),
      close: () => Promise.resolve(),
    };
    let engine: ProbeEngine | null = null;
    let offloaded: Target[] = [];
    const offload: Offload = {
      handles: (t) => t.method === 'icmp',
      setTargets: (_host, targets) => { offloaded = targets; },
      get targetCount() { return offloaded.length; },
      start: () => {},
      stop: () => Promise.resolve(),
    };
    const handOver = (start: number) => engine!.offloadMinute(batch(start, ...offloaded.map((t) => rec(start, t.vip, 'icmp'))));
    const out: { at: number; batch: MinuteBatch }[] = [];
    engine = new ProbeEngine({
      methods: { http, icmp: http as unknown as ProbeMethod }, clock: time.clock, timers: time.timers, log: createLogger('silent'),
      metrics: agentMetrics(new Registry()), minuteMs: 2000, timeoutMs: 500, tickMs: 50, maxProbesPerSec: 1000,
      onMinute: (b) => out.push({ at: time.t, batch: b }), offload,
    });
    const targets: Target[] = [{ vip: '198.18.0.1', method: 'http', url: 'http://198.18.0.1/' }, { vip: '198.18.0.2', method: 'icmp' }];
    engine.setTargets('h1', targets, 4);
    engine.start();
    time.advance(2300);
    handOver(0); // after the engine's minute 0 (done at the first tick past 2000)
    time.advance(4010);
    handOver(2000); // before the engine's minute 1 (its tick past 4000 has not come)
    time.advance(8200); // the offload skips minute 4000: the engine's goes alone after holdMs (500 + 100 + 1000)
    handOver(6000);
    time.advance(9000);
    const stopped = engine.stop();
    await stopped;
    const got = out.map(({ batch: b }) => keys(b));
    assert.deepEqual(got, [[0, 'http+icmp'], [2000, 'http+icmp'], [4000, 'http'], [6000, 'http+icmp'], [8000, 'http']]);
    for (const { batch: b } of out.slice(0, 4)) {
      assert.equal(b.records.find((r) => r.method === 'http')!.sent, 4, `four http probes in the minute of ${b.start}`);
    }
    assert.ok(out[2]!.at >= 6000 + 1600 && out[2]!.at < 8000, `the lone minute went after holdMs: at ${out[2]!.at}`);
    // with no offloaded targets the engine's minutes are not held
    time.advance(10_000);
    engine.setTargets('h1', targets.slice(0, 1), 4);
    const before = out.length;
    engine.start();
    time.advance(12_100);
    assert.deepEqual(out.slice(before).map(({ at, batch: b }) => [b.start, at <= b.start + 2000 + 100]), [[10_000, true]]);
    await engine.stop();
  });

  it('the host\'s rate cap is split between the engine and the offload by their targets: together they hold to it', async () => {
    const time = new FakeTime();
    let launched = 0;
    const http: ProbeMethod = {
      name: 'http',
      probe: () => Promise.resolve(12),
      launch: (_t, _ms, ctx, done) => { launched++; done(ctx, 12); },
      close: () => Promise.resolve(),
    };
    const given: { targets: number; perSec: number }[] = [];
    const offload: Offload = {
      handles: (t) => t.method === 'icmp',
      setTargets: (_host, targets, _intervalMs, perSec) => { given.push({ targets: targets.length, perSec }); },
      get targetCount() { return given.at(-1)?.targets ?? 0; },
      start: () => {},
      stop: () => Promise.resolve(),
    };
    const engine = new ProbeEngine({
      methods: { http, icmp: http as unknown as ProbeMethod }, clock: time.clock, timers: time.timers, log: createLogger('silent'),
      metrics: agentMetrics(new Registry()), minuteMs: 2000, timeoutMs: 500, tickMs: 50, maxProbesPerSec: 10,
      onMinute: () => {}, offload,
    });
    const targets: Target[] = [1, 2, 3, 4].flatMap((i) => [
      { vip: `198.18.0.${i}`, method: 'http', url: `http://198.18.0.${i}/` },
      { vip: `198.18.1.${i}`, method: 'icmp' },
    ]);
    // 20 probes a minute of 2 s: a probe every 100 ms per target, 40 a second of http alone against a cap of 10
    engine.setTargets('h1', targets, 20);
    assert.deepEqual(given, [{ targets: 4, perSec: 5 }], 'the offload: 4 of the 8 targets, half the cap');
    engine.start();
    time.advance(2000);
    // the engine's half: a second of burst (5) and 5 a second for 2 s; with the whole cap it would be 10 + 20
    assert.ok(launched >= 14 && launched <= 16, `http probes in 2 s: ${launched}`);
    engine.setTargets('h1', targets.slice(0, 2), 20);
    assert.deepEqual(given.at(-1), { targets: 1, perSec: 5 }, 'one of two targets');
    engine.setTargets('h1', targets.filter((t) => t.method === 'icmp'), 20);
    assert.deepEqual(given.at(-1), { targets: 4, perSec: 10 }, 'all of them: the whole cap');
    await engine.stop();
  });
});
