// The agent's job runner against a scripted gateway: it runs only jobs signed for its host with its token and not
// past their startBy (unsigned, forged, expired, other-host jobs are refused and never answered), never more than
// agent.maxJobs at once, names the jobs it has on its next poll, and posts one result per job in the contract shape.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { JobRunner } from '../../agent/jobs.js';
import { systemClock, systemTimers } from '../../agent/clock.js';
import type { ProbeMethod } from '../../agent/probes/method.js';
import { signJob } from '../../core/jobs-sign.js';
import type { JobSpec } from '../../core/jobs.js';
import { createLogger } from '../../core/log.js';
import { tokenFor } from '../../gateway/tokens.js';

const SECRET = 'agent-jobs-secret-0123456789';
const HOST = 'cdn-test-001';
const TOKEN = tokenFor(SECRET, HOST);

const spec = (seq: number, over: Partial<JobSpec> = {}): JobSpec => ({
  id: `job${seq}`, seq, host: HOST, method: 'icmp', target: '198.18.7.1', address: '198.18.7.1', count: 1, intervalMs: 10, timeoutMs: 1000,
  startBy: new Date(Date.now() + 30_000).toISOString(), ...over,
});

test('agent jobs: refuses unsigned, forged, expired and foreign jobs; at most maxJobs at once; one result each', async (t) => {
  const valid = [10, 11, 12, 13, 14].map((seq) => signJob(spec(seq), TOKEN));
  const jobs = [
    { ...spec(1) },                                                             // unsigned
    { ...signJob(spec(2), TOKEN), count: 5 },                                   // changed after signing
    signJob(spec(3), tokenFor(SECRET, 'cdn-other-002')),                        // signed for another host's key
    signJob(spec(4, { startBy: new Date(Date.now() - 1000).toISOString() }), TOKEN), // past its startBy
    signJob(spec(5, { host: 'cdn-other-002' }), TOKEN),                         // for another host
    signJob(spec(6), 'not-the-gateway-secret'),                                 // not the gateway's key
    ...valid,
  ];
  const polls: URL[] = [];
  const posted = new Map<string, unknown>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
    if (req.method === 'GET' && url.pathname === '/api/v1/jobs') {
      polls.push(url);
      const first = polls.length === 1;
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ jobs: first ? jobs : [] })), first ? 0 : 200);
      return;
    }
    const m = /^\/api\/v1\/probes\/([^/]+)\/results$/.exec(url.pathname);
    if (req.method === 'POST' && m) {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        posted.set(m[1]!, JSON.parse(body));
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"accepted":1}');
      });
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => { server.closeAllConnections(); server.close(); });
  const port = (server.address() as { port: number }).port;

  let inFlight = 0, maxInFlight = 0;
  const slow: ProbeMethod = {
    name: 'icmp',
    probe: async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 300));
      inFlight--;
      return 4.5;
    },
    close: async () => {},
  };
  const registry = new Registry();
  const runner = new JobRunner({
    gatewayUrl: `http://127.0.0.1:${port}`, token: TOKEN, methods: { icmp: slow }, paths: {}, clock: systemClock, timers: systemTimers,
    log: createLogger('silent'), registry, maxJobs: 2, probesPerSec: 100, waitSec: 1, postTimeoutMs: 2000,
  });
  const t0 = Date.now();
  runner.start();
  while (posted.size < valid.length && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  const took = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 400));
  await runner.stop();

  assert.deepEqual([...posted.keys()].sort(), valid.map((j) => j.id).sort(), 'only the valid jobs were run and answered');
  for (const [id, body] of posted) {
    const b = body as { host: string; result: Record<string, unknown> };
    assert.equal(b.host, HOST, id);
    assert.deepEqual(Object.keys(b.result).sort(), ['host', 'method', 'recv', 'rttAvg', 'rttMax', 'rttMin', 'sent', 'ts', 'vip']);
    assert.deepEqual({ ...b.result, ts: undefined }, { ts: undefined, host: HOST, vip: '198.18.7.1', method: 'icmp', sent: 1, recv: 1, rttMin: 4.5, rttAvg: 4.5, rttMax: 4.5 });
    assert.match(String(b.result.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
  }
  assert.equal(maxInFlight, 2, 'agent.maxJobs = 2 jobs at once');
  // five 300 ms jobs, two at a time: three waves
  assert.ok(took >= 850, `jobs ran in waves of two: ${took} ms`);
  // the second poll names every job seen, refused ones too, so the gateway does not offer them again
  const known = polls[1]!.searchParams.get('known')!.split(',').map(Number).sort((a, b) => a - b);
  assert.deepEqual(known, jobs.map((j) => j.seq).sort((a, b) => a - b));
  assert.equal(polls[0]!.searchParams.get('wait'), '1');
  const outcomes = (await registry.getSingleMetric('vipwatch_agent_jobs_total')!.get()).values;
  assert.equal(outcomes.find((v) => v.labels.outcome === 'refused')?.value, 6);
  assert.equal(outcomes.find((v) => v.labels.outcome === 'done')?.value, 5);
});
