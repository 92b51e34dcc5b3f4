// Task pull against the real gateway: ETag (304), the list kept on disk, probing on through an outage until the list
// is too old (fail closed), an empty list stops probing; without ICMP the targets with a port are still probed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Agent, type Scheduler } from '../../agent/agent.js';
import { systemTimers } from '../../agent/clock.js';
import { TcpProbe } from '../../agent/probes/tcp.js';
import { pullCron } from '../../agent/tasks.js';
import { parseConfig } from '../../core/config.js';
import { freePort } from '../support/ports.js';
import { testGateway, type TestGateway } from './gateway.js';

function harness(gw: TestGateway, dir: string, now: { t: number }) {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } });
  const crons: string[] = [];
  const scheduler: Scheduler = (cron) => { crons.push(cron); return { cancel: () => {} }; };
  const registry = new Registry();
  const cfg = parseConfig({ minuteSec: 60, agent: { dir, maxListAgeSec: 600, pullRetrySec: 3600 } }, 'test');
  const tcp = new TcpProbe();
  // no icmp method: as on a host without CAP_NET_RAW
  const agent = new Agent({
    cfg, gatewayUrl: gw.url, token: gw.token, methods: { tcp }, clock: { now: () => now.t }, timers: systemTimers,
    log, registry, scheduler, random: () => 0.5,
  });
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
  return { agent, lines, crons, metric, stop: async () => { await agent.stop(); await tcp.close(); } };
}

test('task pull: ETag, kept on disk, probing through an outage, fail closed past the maximum age, no ICMP -> TCP only', async (t) => {
  const server = createServer((s) => { s.on('error', () => {}); s.end(); });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const gw = await testGateway([{ ip: '127.0.0.1', port }, { ip: '127.0.0.2' }]);
  t.after(() => gw.close());
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-agent-tasks-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const now = { t: Date.now() };

  const h = harness(gw, dir, now);
  await h.agent.start();
  assert.equal(await h.metric('vipwatch_agent_task_pulls_total', { outcome: 'new' }), 1);
  assert.deepEqual(h.crons, [pullCron(3600, 1800)], 'hourly, at this agent\'s random offset');
  assert.equal(h.crons[0], '0 30 0/1 * * *');
  assert.equal(h.agent.engine.targetCount, 1, 'only the tcp target: icmp cannot run here');
  const said = h.lines.find((l) => String(l.msg).includes('method icmp cannot run on this machine'));
  assert.equal(said?.skipped, 2, 'the two icmp targets are named as not probed');

  await h.agent.pull();
  assert.equal(await h.metric('vipwatch_agent_task_pulls_total', { outcome: 'unchanged' }), 1, 'If-None-Match got 304');

  await gw.stop();
  now.t += 300_000;
  await h.agent.pull();
  assert.equal(await h.metric('vipwatch_agent_task_pulls_total', { outcome: 'failed' }), 1);
  assert.equal(await h.metric('vipwatch_agent_probing'), 1, 'the last list goes on being probed');
  assert.equal(h.agent.engine.targetCount, 1);

  now.t += 301_000;
  h.agent.apply();
  assert.equal(await h.metric('vipwatch_agent_probing'), 0, 'older than agent.maxListAgeSec: stop');
  assert.equal(h.agent.engine.targetCount, 0);
  assert.ok(h.lines.some((l) => String(l.msg).includes('fail closed') && String(l.msg).includes('601 s old')));
  await h.stop();

  // a restart while the gateway is still away: the list on disk is too old, so nothing is probed
  const h2 = harness(gw, dir, now);
  await h2.agent.start();
  assert.equal(h2.agent.engine.targetCount, 0);
  assert.ok(h2.lines.some((l) => String(l.msg).includes('fail closed')));
  // the gateway returns and confirms the same list (304): probing resumes
  await gw.start();
  await h2.agent.pull();
  assert.equal(await h2.metric('vipwatch_agent_task_pulls_total', { outcome: 'unchanged' }), 1);
  assert.equal(h2.agent.engine.targetCount, 1);
  await h2.stop();

  // a restart with a fresh list on disk and no gateway: probes the kept list
  await gw.stop();
  const h3 = harness(gw, dir, now);
  await h3.agent.start();
  assert.equal(h3.agent.engine.targetCount, 1);
  assert.ok(h3.lines.some((l) => l.msg === 'task list from disk'));
  await h3.stop();
});

test('an empty task list stops all probing; a list with targets starts it again', async (t) => {
  const gw = await testGateway([]);
  t.after(() => gw.close());
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-agent-empty-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const now = { t: Date.now() };
  const h = harness(gw, dir, now);
  t.after(() => h.stop());
  await h.agent.start();
  assert.equal(h.agent.engine.targetCount, 0);
  assert.equal(await h.metric('vipwatch_agent_probing'), 0);
  assert.ok(h.lines.some((l) => l.msg === 'the task list is empty: nothing to probe'));

  const port = await freePort();
  gw.setVips([{ ip: '127.0.0.1', port }]);
  await gw.stop();
  await gw.start();
  await h.agent.pull();
  assert.equal(await h.metric('vipwatch_agent_task_pulls_total', { outcome: 'new' }), 2);
  assert.equal(h.agent.engine.targetCount, 1);
  assert.equal(await h.metric('vipwatch_agent_probing'), 1);
});
