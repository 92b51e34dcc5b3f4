// The task pull schedule without a cron library: nextPull reads the rules pullCron writes, timerScheduler runs a
// function at each of their times on the agent's timers. Expected times are written out by hand (UTC).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timerScheduler } from '../../agent/agent.js';
import type { Timers } from '../../agent/clock.js';
import { nextPull, pullCron } from '../../agent/tasks.js';

const at = (iso: string) => Date.parse(iso);

test('nextPull: the next time of every rule form pullCron writes, strictly after the given time', () => {
  const now = at('2026-11-30T11:23:45.500Z');
  const cases: [number, number, string][] = [
    [3600, 1800, '2026-11-30T11:30:00.000Z'], // hourly at :30:00
    [3600, 0, '2026-11-30T12:00:00.000Z'],
    [3600, 3599, '2026-11-30T11:59:59.000Z'],
    [600, 125, '2026-11-30T11:32:05.000Z'], // every 10 min at 2:05 into each
    [10, 3, '2026-11-30T11:23:53.000Z'],
    [7200, 5000, '2026-11-30T13:23:20.000Z'], // every 2 h at 1:23:20 into each (odd hours)
    [86400, 40000, '2026-12-01T11:06:40.000Z'], // daily at 11:06:40
  ];
  for (const [interval, offset, expected] of cases) {
    assert.equal(new Date(nextPull(pullCron(interval, offset), now)).toISOString(), expected, `${interval} s at ${offset} s`);
  }
  // exactly on a slot: the next one, not the same
  assert.equal(nextPull(pullCron(3600, 1800), at('2026-11-30T11:30:00Z')), at('2026-11-30T12:30:00Z'));
  assert.throws(() => nextPull('*/5 * * * * *', now), /not a rule pullCron writes/);
  assert.throws(() => nextPull('0 0 12 * * 1', now), /not a rule pullCron writes/);
});

test('timerScheduler: one timer, re-armed after each run, never the same slot twice; cancel stops it', () => {
  const clock = { t: at('2026-11-30T11:00:10Z') };
  const armed: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const timers: Timers = {
    setTimeout: (fn, ms) => { const h = { fn, ms, cleared: false }; armed.push(h); return h; },
    clearTimeout: (h) => { (h as { cleared: boolean }).cleared = true; },
  };
  const runs: number[] = [];
  const job = timerScheduler(timers, { now: () => clock.t })(pullCron(60, 30), () => runs.push(clock.t));
  assert.equal(armed.length, 1);
  assert.equal(armed[0]!.ms, 20_000, 'first run at :30');
  // the timer fires 1 ms early by the wall clock: the run happens, the next slot is a minute later, not the same one
  clock.t = at('2026-11-30T11:00:29.999Z');
  armed[0]!.fn();
  assert.deepEqual(runs, [clock.t]);
  assert.equal(armed.length, 2);
  assert.equal(armed[1]!.ms, 60_001, 'next run at 11:01:30');
  clock.t = at('2026-11-30T11:01:30Z');
  armed[1]!.fn();
  assert.equal(armed[2]!.ms, 60_000);
  job.cancel();
  assert.ok(armed[2]!.cleared, 'cancel clears the armed timer');
  assert.equal(runs.length, 2);
});
