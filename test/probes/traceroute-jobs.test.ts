// How a traceroute job picks its mode, from the operator's target to the agent's path method: a bare IPv4 or IPv6
// address runs ICMP traceroute, "ip:port" (or "[ipv6]:port") runs TCP SYN traceroute to that port (core/job-plan.ts parseTarget, then
// agent/jobs.ts). The agent runs against a scripted gateway with recording path methods.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { systemClock, systemTimers } from '../../agent/clock.js';
import { JobRunner } from '../../agent/jobs.js';
import type { PathProbe, TraceOptions } from '../../agent/probes/traceroute.js';
import { parseTarget } from '../../core/job-plan.js';
import { signJob } from '../../core/jobs-sign.js';
import type { JobSpec } from '../../core/jobs.js';
import { createLogger } from '../../core/log.js';
import { tokenFor } from '../../gateway/tokens.js';

const HOST = 'cdn-test-001';
const TOKEN = tokenFor('traceroute-jobs-secret-0123456789', HOST);

test('parseTarget: traceroute takes IPv4, IPv6, IPv4:port and [IPv6]:port; not a name, not an unbracketed IPv6:port, not port 0', () => {
  assert.deepEqual(parseTarget('traceroute', '198.18.7.1'), { ok: true, value: { address: '198.18.7.1' } });
  assert.deepEqual(parseTarget('traceroute', 'fd00::7'), { ok: true, value: { address: 'fd00::7' } });
  assert.deepEqual(parseTarget('traceroute', '198.18.7.1:443'), { ok: true, value: { address: '198.18.7.1', port: 443 } });
  assert.deepEqual(parseTarget('traceroute', '[fd00::7]:443'), { ok: true, value: { address: 'fd00::7', port: 443 } });
  assert.deepEqual(parseTarget('traceroute', '[fd00:19::1]:65535'), { ok: true, value: { address: 'fd00:19::1', port: 65535 } });
  // 'fd00::7:443' is itself an IPv6 address (ICMP mode); the other unbracketed forms and bad ports are refused
  assert.deepEqual(parseTarget('traceroute', 'fd00::7:443'), { ok: true, value: { address: 'fd00::7:443' } });
  for (const bad of ['example.com', '[example.com]:443', 'fd00::7]:443', '[fd00::7]', '[fd00::7]:0', '[fd00::7]:70000', '[fd00::zz]:443',
    '198.18.7.1:0', '198.18.7.1:70000']) assert.equal(parseTarget('traceroute', bad).ok, false, bad);
  // the tcp ping method reads ip:port the same way
  assert.deepEqual(parseTarget('tcp', '[fd00::7]:443'), { ok: true, value: { address: 'fd00::7', port: 443 } });
  assert.equal(parseTarget('tcp', 'fd00::7').ok, false);
});

test('agent: an ip:port traceroute job runs tcp-traceroute with the port; bare addresses run ICMP traceroute', async (t) => {
  const targets = ['198.18.7.1', 'fd00::7', '198.18.7.1:443', '[fd00::7]:8443'];
  const jobs = targets.map((target, i) => {
    const parsed = parseTarget('traceroute', target);
    assert.ok(parsed.ok);
    const spec: JobSpec = { id: `job${i + 1}`, seq: i + 1, host: HOST, method: 'traceroute', target, ...parsed.value,
      count: 2, intervalMs: 10, timeoutMs: 500, maxTtl: 5, startBy: new Date(Date.now() + 30_000).toISOString() };
    return signJob(spec, TOKEN);
  });
  const calls: Array<{ method: string; address: string; opts: TraceOptions }> = [];
  const recorder = (name: PathProbe['name']): PathProbe => ({
    name,
    trace: async (address, opts) => {
      calls.push({ method: name, address, opts });
      return { hops: [{ ttl: 1, ip: '198.18.1.2', rtt: [0.5, 0.4], lost: 0 }], reached: true };
    },
    close: async () => {},
  });
  const posted = new Map<string, { result: { target: string; reached: boolean } }>();
  let polls = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (req.method === 'GET' && url.pathname === '/api/v1/jobs') {
      const first = ++polls === 1;
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ jobs: first ? jobs : [] })), first ? 0 : 200);
      return;
    }
    const m = /^\/api\/v1\/probes\/([^/]+)\/results$/.exec(url.pathname);
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (m) posted.set(m[1]!, JSON.parse(body));
      res.writeHead(m ? 200 : 404, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => { server.closeAllConnections(); server.close(); });
  const runner = new JobRunner({
    gatewayUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`, token: TOKEN, methods: {},
    paths: { traceroute: recorder('traceroute'), 'tcp-traceroute': recorder('tcp-traceroute') }, clock: systemClock, timers: systemTimers,
    log: createLogger('silent'), registry: new Registry(), maxJobs: 4, probesPerSec: 100, waitSec: 1, postTimeoutMs: 2000,
  });
  runner.start();
  const t0 = Date.now();
  while (posted.size < jobs.length && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  await runner.stop();

  const byAddress = (a: string, port?: number) => calls.find((c) => c.address === a && c.opts.port === port);
  assert.equal(calls.length, 4, JSON.stringify(calls));
  assert.equal(byAddress('198.18.7.1')?.method, 'traceroute');
  assert.equal(byAddress('fd00::7')?.method, 'traceroute');
  assert.equal(byAddress('198.18.7.1', 443)?.method, 'tcp-traceroute');
  assert.deepEqual(byAddress('198.18.7.1', 443)?.opts, { maxTtl: 5, probesPerHop: 2, timeoutMs: 500, port: 443 });
  assert.equal(byAddress('fd00::7', 8443)?.method, 'tcp-traceroute');
  assert.deepEqual(byAddress('fd00::7', 8443)?.opts, { maxTtl: 5, probesPerHop: 2, timeoutMs: 500, port: 8443 });
  // each result names the target as requested
  assert.deepEqual([...posted.values()].map((b) => b.result.target).sort(), [...targets].sort());
});
