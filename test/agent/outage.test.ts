// With the real gateway: it is stopped for several (short) minutes while the agent probes on, then restarted.
// Every minute's records arrive, none twice (the gateway's accepted count equals the records it stores).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { Agent } from '../../agent/agent.js';
import { systemClock, systemTimers } from '../../agent/clock.js';
import { availableMethods, closeMethods } from '../../agent/methods.js';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { freePort, waitFor } from '../support/ports.js';
import { testGateway } from './gateway.js';

const MINUTE_SEC = 2;
const MINUTE_MS = MINUTE_SEC * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** waits until `ms` into the next minute, away from the minute's posts */
const intoNextMinute = (ms: number) => sleep(MINUTE_MS - (Date.now() % MINUTE_MS) + ms);

test('gateway stopped for several minutes and restarted: every minute\'s records arrive, none twice', async (t) => {
  const port = await freePort();
  const server = createServer((s) => { s.on('error', () => {}); s.end(); });
  await new Promise<void>((r) => server.listen(port, '127.0.0.21', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const gw = await testGateway([{ ip: '127.0.0.21', port }, { ip: '127.0.0.22' }], { minuteSec: MINUTE_SEC });
  t.after(() => gw.close());
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-agent-outage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const cfg = parseConfig({ minuteSec: MINUTE_SEC, agent: { dir, timeoutMs: 300 } }, 'test');
  const log = createLogger('silent');
  const registry = new Registry();
  // ICMP when this runs as root (127.0.0.x answers from the kernel), else TCP only: both are checked alike
  const methods = availableMethods(log);
  t.after(() => closeMethods(methods));
  const agent = new Agent({ cfg, gatewayUrl: gw.url, token: gw.token, methods: methods.methods, clock: systemClock, timers: systemTimers, log, registry });
  const expected = ['tcp 127.0.0.21', ...(methods.methods.icmp ? ['icmp 127.0.0.21', 'icmp 127.0.0.22'] : [])].sort();

  await agent.start();
  t.after(() => agent.stop());
  assert.equal(agent.engine.targetCount, expected.length);
  await sleep(2 * MINUTE_MS);
  await intoNextMinute(MINUTE_MS / 2);
  const down = Date.now();
  await gw.stop();
  await sleep(4 * MINUTE_MS);
  await intoNextMinute(MINUTE_MS / 2);
  const up = Date.now();
  assert.ok(agent.spool.size >= 4, `minutes of the outage wait in the spool (${agent.spool.size} batches)`);
  await gw.start();
  await waitFor(async () => agent.spool.size === 0, 5 * MINUTE_MS, 'the spool to drain');
  // a whole minute after the restart whatever the drain took (the reporter's back-off makes that 0-2.5 s)
  await sleep(2 * MINUTE_MS);
  await agent.stop();

  const stored = await gw.stored();
  const byMinute = new Map<string, typeof stored>();
  for (const r of stored) byMinute.set(r.ts, [...(byMinute.get(r.ts) ?? []), r]);
  const minutes = [...byMinute.keys()].map((ts) => Date.parse(ts)).sort((a, b) => a - b);
  const first = minutes[0]!;
  const last = minutes[minutes.length - 1]!;
  t.diagnostic(`${minutes.length} minutes stored, ${stored.length} records; outage ${new Date(down).toISOString()} .. ${new Date(up).toISOString()}`);
  assert.equal(minutes.length, (last - first) / MINUTE_MS + 1, 'no minute missing between the first and the last');
  // a minute that began before the outage and one after the restart (a loaded machine may start the agent's first
  // minute late: the 2 s minutes leave no more room than that)
  assert.ok(first < down && last > up, `minutes before, during and after the outage (first ${new Date(first).toISOString()}, last ${new Date(last).toISOString()})`);
  for (const m of minutes) {
    const rs = byMinute.get(new Date(m).toISOString().replace('.000Z', 'Z'))!;
    const got = rs.map((r) => `${r.method} ${r.vip}`).sort();
    // the agent started and stopped inside the first and last minutes: a target's phase may fall outside its part
    if (m === first || m === last) {
      assert.ok(got.every((k) => expected.includes(k)), `minute ${new Date(m).toISOString()}: ${got}`);
      continue;
    }
    assert.deepEqual(got, expected, `every target in minute ${new Date(m).toISOString()}`);
    for (const r of rs) {
      // 10 probes a minute, spread; one may land a few ms either side of a minute boundary
      assert.ok(r.sent >= 9 && r.sent <= 11, `${r.method} ${r.vip} at ${r.ts}: sent ${r.sent}`);
      assert.ok(r.recv >= r.sent - 1, `${r.method} ${r.vip} at ${r.ts}: recv ${r.recv} of ${r.sent} from a local target`);
    }
  }
  assert.equal(await gw.accepted(), stored.length, 'the gateway accepted each record exactly once');
  const posts = (await registry.getSingleMetric('vipwatch_agent_result_posts_total')!.get()).values;
  assert.ok((posts.find((v) => v.labels.status === 'error')?.value ?? 0) >= 1, 'posts failed during the outage');
});
