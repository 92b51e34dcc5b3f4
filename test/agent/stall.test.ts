// A stalled agent (its event loop held, or the process suspended) on a fake clock: the JS engine (agent/engine.ts)
// sends one probe per target at the first tick after the stall, not the backlog, and counts every slot it passed
// over in vipwatch_agent_probes_late_total, so that sent + late is the plan. (native-schedule.test.ts: the addon's
// schedule, stalled for real.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { ProbeEngine, type MinuteBatch } from '../../agent/engine.js';
import { agentMetrics } from '../../agent/metrics.js';
import type { ProbeMethod } from '../../agent/probes/method.js';
import { createLogger } from '../../core/log.js';
import type { Target } from '../../core/model.js';
import { FakeTime } from '../support/fake-time.js';

test('a stall: one probe per target after it, the slots it passed over counted as late; sent + late is the plan', async () => {
  const time = new FakeTime();
  const sentAt: number[] = [];
  const http: ProbeMethod = {
    name: 'http',
    probe: () => Promise.resolve(12),
    launch: (_t, _ms, ctx, done) => { sentAt.push(time.t); done(ctx, 12); },
    close: () => Promise.resolve(),
  };
  const registry = new Registry();
  const metrics = agentMetrics(registry);
  const out: MinuteBatch[] = [];
  const engine = new ProbeEngine({
    methods: { http }, clock: time.clock, timers: time.timers, log: createLogger('silent'),
    metrics, minuteMs: 3000, timeoutMs: 500, tickMs: 50, maxProbesPerSec: 1000, onMinute: (b) => out.push(b),
  });
  const targets: Target[] = [1, 2, 3].map((i) => ({ vip: `198.18.0.${i}`, method: 'http', url: `http://198.18.0.${i}/` }));
  // 10 probes a minute of 3 s: each target every 300 ms, so 10 slots of each in [0, 3000)
  engine.setTargets('h1', targets, 10);
  engine.start();
  time.advance(1000);
  const beforeStall = sentAt.length;
  time.jump(2600); // held from 1000 to 2600: the tick due by ~1050 comes at 2600
  time.advance(3000);
  const late = (await metrics.late.get()).values[0]?.value ?? 0;
  const after = sentAt.filter((t) => t === 2600).length;
  assert.equal(after, targets.length, `one probe per target at the first tick after the stall (sent then: ${after})`);
  // slots in [~1000, 2600 - 300) were passed over: 1,300 ms, 4 or 5 of each target's
  assert.ok(late >= 4 * targets.length && late <= 5 * targets.length, `late slots: ${late}`);
  assert.ok(beforeStall >= 3 * targets.length, `probes before the stall: ${beforeStall}`);
  assert.equal(sentAt.length + late, 10 * targets.length, `sent ${sentAt.length} + late ${late}: every slot of [0, 3000) sent or counted`);
  time.advance(3200);
  const minute = out.find((b) => b.start === 0)!;
  assert.equal(minute.records.reduce((n, r) => n + r.sent, 0), sentAt.filter((t) => t < 3000).length, 'the minute holds what was sent in it');
  assert.match(await registry.metrics(), /^vipwatch_agent_probes_late_total \d+$/m);
  await engine.stop();
});
