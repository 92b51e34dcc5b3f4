// Pure pieces of the agent: probe phases and spread, the per-minute tally (a probe counts in the minute it was sent),
// the rate limits, the pull schedule; and the plain no-CAP_NET_RAW message of `vipwatch probe`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { PhasePlan, probesPerMinute, TokenBucket } from '../../agent/pacing.js';
import { Tally } from '../../agent/tally.js';
import { pullCron } from '../../agent/tasks.js';
import { recordSchema } from '../../core/records.js';
import { skipUnless } from '../support/env.js';

test('every target gets exactly one slot per interval, at a fixed phase', () => {
  fc.assert(fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 1e9 }), (keys, from) => {
    const plan = new PhasePlan(keys, 6000);
    const slots = [...plan.between(from, from + 3 * 6000)];
    assert.equal(slots.length, 3 * keys.length);
    const times = slots.map((s) => s.at);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'in time order');
    for (let i = 0; i < keys.length; i++) {
      const mine = slots.filter((s) => s.index === i).map((s) => s.at);
      assert.equal(mine.length, 3);
      assert.ok(Math.abs(mine[1]! - mine[0]! - 6000) < 1e-6 && Math.abs(mine[2]! - mine[1]! - 6000) < 1e-6, 'one interval apart');
    }
    assert.equal(plan.nextAt(from), times[0]);
  }));
});

test('countBetween counts the slots between() lists (what a stall passed over), for any window', () => {
  fc.assert(fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { maxLength: 40 }), fc.integer({ min: 0, max: 2e12 }), fc.integer({ min: -500, max: 40_000 }), (keys, from, len) => {
    const plan = new PhasePlan(keys, 700, 'h');
    assert.equal(plan.countBetween(from, from + len), len > 0 ? [...plan.between(from, from + len)].length : 0);
  }));
});

test('1,000 targets spread evenly over the interval: no burst', () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `host-1 icmp 127.0.${i >> 8}.${i & 255}`);
  const plan = new PhasePlan(keys, 6000, 'host-1');
  const perBin = new Array(60).fill(0);
  for (const s of plan.between(0, 6000)) perBin[Math.floor(s.at / 100)]++;
  // 1,000 probes in sixty 100 ms bins: 16 or 17 each, evenly
  assert.ok(Math.max(...perBin) <= 17 && Math.min(...perBin) >= 16, `100 ms bins hold ${Math.min(...perBin)}..${Math.max(...perBin)} probes`);
  const other = new PhasePlan(keys, 6000, 'host-2');
  assert.notEqual(other.nextAt(0), plan.nextAt(0), 'another host starts at another offset');
});

test('tally: a probe counts in the minute it was sent, even when its reply comes in the next', () => {
  const tally = new Tally();
  const m0 = Date.UTC(2026, 10, 23, 14, 5);
  const late = tally.sent(m0, '198.18.1.1', 'icmp');
  const lost = tally.sent(m0, '198.18.1.1', 'icmp');
  tally.sent(m0 + 60_000, '198.18.1.1', 'icmp')(5);
  lost(null);
  assert.deepEqual(tally.takeComplete(m0 + 61_000, 60_000, 'h'), [], 'minute 0 waits for its probe in flight');
  late(40.1234);
  const done = tally.takeComplete(m0 + 61_000, 60_000, 'h');
  assert.deepEqual(done.map((d) => d.records), [[{ ts: '2026-11-23T14:05:00Z', host: 'h', vip: '198.18.1.1', method: 'icmp', sent: 2, recv: 1, rttMin: 40.123, rttAvg: 40.123, rttMax: 40.123 }]]);
  const next = tally.takeComplete(m0 + 120_000, 60_000, 'h')[0]!.records[0]!;
  assert.equal(next.ts, '2026-11-23T14:06:00Z');
  assert.ok(recordSchema.safeParse(next).success);
});

test('tally records always pass the shared schema (min <= avg <= max after rounding)', () => {
  fc.assert(fc.property(fc.array(fc.option(fc.double({ min: 0, max: 5000, noNaN: true }), { nil: null }), { minLength: 1, maxLength: 30 }), (rtts) => {
    const tally = new Tally();
    for (const r of rtts) tally.sent(0, '198.18.1.1', 'tcp')(r);
    const [rec] = tally.takeComplete(60_000, 60_000, 'h')[0]!.records;
    const parsed = recordSchema.safeParse(rec);
    assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
    assert.equal(rec!.recv, rtts.filter((r) => r !== null).length);
  }));
});

test('rates: the gateway sets probes per minute, under the host ceiling and the global cap', () => {
  assert.equal(probesPerMinute(6, 10, 1000, 60, 500), 10);
  assert.equal(probesPerMinute(3, 10, 1000, 60, 500), 10, 'never above agent.probesPerMinute');
  assert.equal(probesPerMinute(12, 10, 1000, 60, 500), 5);
  assert.equal(probesPerMinute(6, 10, 10_000, 60, 500), 3, '10,000 targets x 10/min would exceed 500/s');
  assert.equal(probesPerMinute(6, 10, 100_000, 60, 500), 1, 'at least one probe a minute');
  const bucket = new TokenBucket(5, 0);
  assert.equal([1, 2, 3, 4, 5, 6].map(() => bucket.take(0)).filter(Boolean).length, 5, 'one second of burst');
  assert.equal(bucket.take(200), true, '0.2 s refills one token');
  assert.equal(bucket.take(200), false);
  // a new rate keeps what was filled, to a second of the new rate
  bucket.setRate(2, 1200); // 1 s at 5/s filled it to 5, held to 2
  assert.equal([1, 2, 3].map(() => bucket.take(1200)).filter(Boolean).length, 2, 'a second of the new rate');
  assert.equal(bucket.take(1600), false, '0.4 s at 2/s is not a probe');
  assert.equal(bucket.take(1700), true, '0.5 s is');
  // a share under one probe a second still probes (it starts with one), at its rate
  const slow = new TokenBucket(0.25, 0);
  assert.deepEqual([0, 1000, 3999, 4000, 8000].map((t) => slow.take(t)), [true, false, false, true, true]);
});

test('pull schedule: the interval with a per-agent offset', () => {
  assert.equal(pullCron(3600, 0), '0 0 0/1 * * *');
  assert.equal(pullCron(3600, 3599), '59 59 0/1 * * *');
  assert.equal(pullCron(5, 3), '3/5 * * * * *');
  assert.equal(pullCron(900, 61), '1 1/15 * * * *');
  assert.equal(pullCron(7200, 3700), '40 1 1/2 * * *');
});

test('vipwatch probe without CAP_NET_RAW says so plainly and exits non-zero; tcp still works', (t) => {
  // root, to run the command as an unprivileged user (nobody) with setpriv
  if (skipUnless(t, { root: true, commands: ['setpriv'] })) return;
  const cli = fileURLToPath(new URL('../../bin/vipwatch.js', import.meta.url));
  const asNobody = (args: string[]) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, ...args], { encoding: 'utf8' });
  const icmp = asNobody(['probe', '--count', '1', '127.0.0.1']);
  assert.equal(icmp.status, 1);
  assert.match(icmp.stderr, /needs root or CAP_NET_RAW/);
  assert.match(icmp.stderr, /setcap cap_net_raw\+ep/);
  assert.equal(icmp.stdout, '');
  const tcp = asNobody(['probe', '--method', 'tcp', '--count', '1', '--timeout-ms', '200', '127.0.0.1:1']);
  assert.equal(tcp.status, 0, tcp.stderr);
  assert.equal(JSON.parse(tcp.stdout).recv, 0);
});
