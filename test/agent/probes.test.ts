// TCP and HTTP probes against real local servers, and targets that are down: refused, failing, too slow.
// (Silent targets, whose packets vanish, are in icmp-fping.test.ts: they need a namespace and nftables.)
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { HttpProbe } from '../../agent/probes/http.js';
import { probeMethods } from '../../agent/probes/index.js';
import { rttOf, type DetailedReply } from '../../agent/probes/method.js';
import { TcpProbe } from '../../agent/probes/tcp.js';
import { freePort } from '../support/ports.js';

const listening = <S extends Server | HttpServer>(s: S, port = 0, host = '127.0.0.1'): Promise<S> =>
  new Promise((resolve) => s.listen(port, host, () => resolve(s)));
const portOf = (s: Server | HttpServer) => (s.address() as { port: number }).port;
const closed = (s: Server | HttpServer) => new Promise<void>((r) => { s.close(() => r()); (s as HttpServer).closeAllConnections?.(); });

test('the registry has one method per name', () => {
  assert.deepEqual(Object.keys(probeMethods).sort(), ['http', 'icmp', 'tcp']);
  for (const [name, make] of Object.entries(probeMethods)) {
    if (name === 'icmp' && process.getuid?.() !== 0) continue; // needs CAP_NET_RAW: see icmp tests
    const m = make();
    assert.equal(m.name, name);
    void m.close();
  }
});

test('tcp probe: a listening port answers with a sub-millisecond loopback RTT; a refused port is lost', async (t) => {
  let accepted = 0;
  const server = await listening(createServer((s) => { accepted++; s.on('error', () => {}); s.end(); }));
  t.after(() => closed(server));
  const probe = new TcpProbe();
  t.after(() => probe.close());
  const rtts = [];
  for (let i = 0; i < 5; i++) rtts.push(await probe.probe({ address: '127.0.0.1', port: portOf(server) }, 1000));
  for (const r of rtts) assert.ok(r !== null && r > 0 && r < 1000, `rtt ${r}`);
  // the median, not each one: on a loaded shared machine a single connect can wait for a CPU
  const sorted = rtts.map(Number).sort((a, b) => a - b);
  assert.ok(sorted[2]! < 50, `median loopback connect ${sorted[2]} ms`);
  assert.ok(rtts.some((r) => r! % 1 !== 0), 'RTTs keep sub-millisecond digits');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(accepted, 5, 'each probe is one connection');

  const refusedPort = await freePort();
  assert.equal(await probe.probe({ address: '127.0.0.1', port: refusedPort }, 1000), null, 'connection refused counts as lost');
  await assert.rejects(probe.probe({ address: '127.0.0.1' }, 100), /has no port/);
});

test('http probe: 2xx/3xx are successes, 4xx/5xx and timeouts are lost, a host name is pinned to the VIP address', async (t) => {
  const seen: { path: string; host: string | undefined }[] = [];
  const server = await listening(createHttpServer((req, res) => {
    seen.push({ path: req.url!, host: req.headers.host });
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 1000);
    res.statusCode = req.url === '/fail' ? 503 : req.url === '/missing' ? 404 : req.url === '/moved' ? 301 : 200;
    res.end('body that is never read');
  }));
  t.after(() => closed(server));
  const port = portOf(server);
  const probe = new HttpProbe();
  t.after(() => probe.close());
  const at = (path: string, host = '127.0.0.1') => probe.probe({ address: '127.0.0.1', url: `http://${host}:${port}${path}` }, 300);

  const ok = await at('/ok');
  assert.ok(ok !== null && typeof ok === 'object', 'an http probe reports what it saw');
  assert.ok(ok.rtt !== null && ok.rtt > 0 && ok.rtt < 300, `rtt ${ok.rtt}`);
  assert.equal(ok.http.status, 200);
  assert.equal(rttOf(ok), ok.rtt);
  assert.ok(rttOf(await at('/moved')) !== null, '3xx counts as success by default');
  const missing = await at('/missing');
  assert.deepEqual([rttOf(missing), (missing as DetailedReply).http.status], [null, 404], '404 answers but is not a success by default');
  const fail = await at('/fail');
  assert.deepEqual([rttOf(fail), (fail as DetailedReply).http.status], [null, 503], '503 counts as lost, its status kept');
  assert.equal(await at('/slow'), null, 'no headers within the timeout: lost, nothing seen');
  // the name does not resolve anywhere; the probe must connect to the VIP address and keep the name in Host
  assert.ok(rttOf(await at('/named', 'vip.invalid')) !== null);
  assert.equal(seen.find((s) => s.path === '/named')?.host, `vip.invalid:${port}`);

  const downPort = await freePort();
  assert.equal(await probe.probe({ address: '127.0.0.1', url: `http://127.0.0.1:${downPort}/` }, 300), null, 'nothing listening: lost');
});
