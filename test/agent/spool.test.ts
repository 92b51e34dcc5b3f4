// The on-disk spool: bounded (oldest dropped, counted, logged), corrupt files reported and skipped, expired batches
// dropped, survives a restart; and the reporter replays it oldest first against a real gateway, removing only on 200.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { isoSeconds, systemTimers, type Clock } from '../../agent/clock.js';
import { agentMetrics } from '../../agent/metrics.js';
import { Reporter } from '../../agent/reporter.js';
import { Spool } from '../../agent/spool.js';
import type { ResultRecord } from '../../core/model.js';
import { HOST, testGateway } from './gateway.js';

/** A logger that keeps its lines, to check what the agent told the operator. */
function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } });
  return { log, lines };
}

const rec = (minute: number, vip: string): ResultRecord => ({ ts: isoSeconds(minute), host: HOST, vip, method: 'icmp', sent: 10, recv: 9, rttMin: 1, rttAvg: 1.5, rttMax: 2 });

function setup(maxBatches: number, now: { t: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-spool-'));
  const registry = new Registry();
  const metrics = agentMetrics(registry);
  const { log, lines } = captureLog();
  const clock: Clock = { now: () => now.t };
  const make = () => new Spool({ dir, maxBatches, maxAgeMs: 3600_000, clock, log, metrics });
  return { dir, registry, metrics, lines, clock, make };
}

const value = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
};

test('spool over its bound: the oldest batch is dropped, counted and logged; the spool keeps working', async (t) => {
  const now = { t: Date.UTC(2026, 10, 23, 14, 0) };
  const s = setup(3, now);
  t.after(() => rmSync(s.dir, { recursive: true, force: true }));
  const spool = s.make();
  await spool.init();
  const minutes = [0, 1, 2, 3, 4].map((i) => now.t + i * 60_000);
  for (const m of minutes) {
    now.t = m + 61_000;
    await spool.add(m, { host: HOST, results: [rec(m, '198.18.1.1'), rec(m, '198.18.1.2')] });
  }
  assert.equal(spool.size, 3);
  assert.equal(readdirSync(s.dir).filter((f) => f.endsWith('.json')).length, 3);
  assert.equal(await value(s.registry, 'vipwatch_agent_spool_dropped_batches_total', { reason: 'full' }), 2);
  assert.equal(await value(s.registry, 'vipwatch_agent_spool_dropped_records_total', { reason: 'full' }), 4);
  assert.equal(s.lines.filter((l) => l.msg === 'spool full: dropped its oldest batch').length, 2);
  const oldest = await spool.oldest();
  assert.equal(oldest!.minute, minutes[2], 'the two oldest minutes went, the newest stayed');

  const again = s.make();
  await again.init();
  assert.equal(again.size, 3, 'a restarted agent finds its spool');
  assert.equal((await again.oldest())!.body.results[0]!.ts, isoSeconds(minutes[2]!));
});

test('corrupt spool file: reported, set aside, skipped; the next batch is served', async (t) => {
  const now = { t: Date.UTC(2026, 10, 23, 15, 0) };
  const s = setup(100, now);
  t.after(() => rmSync(s.dir, { recursive: true, force: true }));
  const spool = s.make();
  await spool.init();
  const m0 = now.t - 180_000;
  const first = await spool.add(m0, { host: HOST, results: [rec(m0, '198.18.1.1')] });
  const second = await spool.add(m0 + 60_000, { host: HOST, results: [rec(m0 + 60_000, '198.18.1.1')] });
  writeFileSync(join(s.dir, first), '{"host":"agent-test-1","results":[{"ts":"2026-11-23T14:57:00Z", tru');
  const b = await spool.oldest();
  assert.equal(b!.name, second, 'the corrupt file is skipped');
  assert.ok(readdirSync(join(s.dir, 'corrupt')).includes(first), 'and kept under corrupt/ for a look');
  assert.equal(await value(s.registry, 'vipwatch_agent_spool_corrupt_files_total'), 1);
  const report = s.lines.find((l) => l.msg === 'corrupt spool file skipped')!;
  assert.match(String(report.file), new RegExp(first.replace(/\./g, '\\.')));
  assert.match(String(report.problem), /not JSON/);

  // valid JSON that is not a batch (a record broken by hand) is corrupt too, and says which field
  writeFileSync(join(s.dir, second), JSON.stringify({ host: HOST, results: [{ ...rec(m0, 'x'), recv: 11 }] }));
  assert.equal(await spool.oldest(), null);
  assert.match(String(s.lines.filter((l) => l.msg === 'corrupt spool file skipped')[1]!.problem), /results\[0\]\.recv: recv 11 exceeds sent 10/);
  assert.equal(spool.size, 0);
});

test('expired batches are dropped (the gateway would refuse them), with a count', async (t) => {
  const now = { t: Date.UTC(2026, 10, 23, 16, 0) };
  const s = setup(100, now);
  t.after(() => rmSync(s.dir, { recursive: true, force: true }));
  const spool = s.make();
  await spool.init();
  await spool.add(now.t - 2 * 3600_000, { host: HOST, results: [rec(now.t - 2 * 3600_000, '198.18.1.1')] });
  await spool.add(now.t - 60_000, { host: HOST, results: [rec(now.t - 60_000, '198.18.1.1')] });
  assert.equal((await spool.oldest())!.minute, now.t - 60_000);
  assert.equal(await value(s.registry, 'vipwatch_agent_spool_dropped_batches_total', { reason: 'expired' }), 1);
});

test('reporter: replays oldest first to the real gateway, removes only on 200, sets aside a batch it refuses (403)', async (t) => {
  const gw = await testGateway([{ ip: '198.18.1.1' }, { ip: '198.18.1.2' }], { minuteSec: 60 });
  t.after(() => gw.close());
  const now = { t: Date.now() };
  const s = setup(100, now);
  t.after(() => rmSync(s.dir, { recursive: true, force: true }));
  const spool = s.make();
  await spool.init();
  const reporter = new Reporter({
    gatewayUrl: gw.url, token: gw.token, spool, clock: { now: () => Date.now() }, timers: systemTimers, log: captureLog().log,
    metrics: s.metrics, maxBatchRecords: 1, postTimeoutMs: 2000, maxBackoffMs: 200,
  });
  t.after(() => reporter.stop());
  const m = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
  await gw.stop();
  // gateway away: both minutes (2 records each, in batches of 1) stay spooled
  await reporter.submit({ host: HOST, start: m, records: [rec(m, '198.18.1.1'), rec(m, '198.18.1.2')] });
  await reporter.submit({ host: HOST, start: m + 60_000, records: [rec(m + 60_000, '198.18.1.1'), rec(m + 60_000, '198.18.1.2')] });
  await reporter.settled();
  assert.equal(spool.size, 4);
  assert.ok(await value(s.registry, 'vipwatch_agent_result_posts_total', { status: 'error' }) >= 1);

  // a batch for a VIP outside the task list can never be accepted: 403, set aside, the queue moves on
  await spool.add(m - 60_000, { host: HOST, results: [rec(m - 60_000, '198.18.9.9')] });
  await gw.start();
  await new Promise((r) => setTimeout(r, 400));
  reporter.kick();
  await reporter.settled();
  assert.equal(spool.size, 0);
  assert.deepEqual(readdirSync(join(s.dir, 'rejected')).length, 1);
  assert.equal(await value(s.registry, 'vipwatch_agent_spool_dropped_batches_total', { reason: 'rejected' }), 1);
  const stored = (await gw.stored()).map((r) => `${r.ts} ${r.vip}`).sort();
  assert.deepEqual(stored, [`${isoSeconds(m)} 198.18.1.1`, `${isoSeconds(m)} 198.18.1.2`, `${isoSeconds(m + 60_000)} 198.18.1.1`, `${isoSeconds(m + 60_000)} 198.18.1.2`]);
  assert.equal(await gw.accepted(), 4, 'each record posted once');
});
