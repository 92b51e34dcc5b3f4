// Webhooks against a local HTTP server: JSON body, retries with backoff, and the daily digest of informational faults.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import { backoffMs } from '../../analyzer/alerting/outbox/deliver.js';
import { cleanup, rig } from './fixtures/alerter.js';
import { dcOutage, episode, MIN, opened, T0 } from './fixtures/world.js';

interface Hit { headers: IncomingHttpHeaders; body: Record<string, any>; status: number }

async function hookServer(fail: number) {
  const hits: Hit[] = [];
  let left = fail;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => { raw += d.toString(); });
    req.on('end', () => {
      const status = left-- > 0 ? 500 : 200;
      hits.push({ headers: req.headers, body: JSON.parse(raw), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  return { hits, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('webhook: JSON POST with the fault, retried with backoff until accepted, once', async (t) => {
  const hook = await hookServer(2);
  const r = await rig({ networkTeam: [], webhooks: [{ name: 'ops-bot', url: hook.url, headers: { 'x-token': 'abc' } }] });
  t.after(async () => { await r.close(); await hook.close(); cleanup(r.dir); });
  const { dc, vips } = dcOutage();
  r.clock.now = T0 + MIN;
  await r.alerter.onMinute(T0, opened(T0, [dc, ...vips]));
  await r.alerter.deliverDue();
  // the first POST failed; the channel waits 1 s (base) before trying again, then 2 s
  assert.equal(hook.hits.length, 1);
  r.clock.now += backoffMs(1, 1000, 60_000) - 1;
  await r.alerter.deliverDue();
  assert.equal(hook.hits.length, 1, 'not before the backoff is over');
  r.clock.now += 1;
  await r.alerter.deliverDue();
  assert.equal(hook.hits.length, 2);
  r.clock.now += backoffMs(2, 1000, 60_000);
  await r.alerter.deliverDue();
  // third try accepted, then the other messages (3 businesses + the network message, which has no email here)
  assert.deepEqual(hook.hits.map((h) => h.status), [500, 500, 200, 200, 200, 200]);
  const first = hook.hits.slice(0, 3);
  assert.equal(new Set(first.map((h) => h.headers['idempotency-key'])).size, 1, 'retries carry the same idempotency key');
  assert.equal(first[0]!.headers['x-token'], 'abc');
  const ok = hook.hits.filter((h) => h.status === 200).map((h) => h.body);
  assert.equal(new Set(ok.map((b) => b.id)).size, 4);
  const search = ok.find((b) => b.audience.business === 'search')!;
  assert.equal(search.kind, 'open');
  assert.equal(search.fault.id, 'dc:bj-zw');
  assert.deepEqual(search.vips.map((v: { ip: string }) => v.ip), ['203.0.113.10', '203.0.113.11']);
  assert.equal(search.links.fault, 'http://vipwatch.test/faults/dc%3Abj-zw%402026-11-23T14%3A05%3A00Z');
  assert.equal(search.links.vips['203.0.113.10'], 'http://vipwatch.test/vips/203.0.113.10');
  assert.equal(search.links.grafana['203.0.113.10'], 'http://grafana.test/d/vipwatch-vip/vipwatch-vip?var-vip=203.0.113.10');
  assert.equal(ok.find((b) => b.audience.kind === 'network')!.children.length, 5);
  r.clock.now += 3_600_000;
  await r.alerter.deliverDue();
  assert.equal(hook.hits.length, 6);
});

test('informational faults are held for the daily digest, then sent together in one delivery', async (t) => {
  const hook = await hookServer(0);
  const r = await rig({ webhooks: [{ name: 'chat', url: hook.url }] });
  t.after(async () => { await r.close(); await hook.close(); cleanup(r.dir); });
  const regions = ['hebei/ct', 'henan/ct'].map((key) => episode({ type: 'region', key, isps: ['ct'], provinces: [key.split('/')[0]!] }));
  r.clock.now = T0 + 10 * MIN;
  await r.alerter.onMinute(T0, opened(T0, regions));
  await r.alerter.deliverDue();
  assert.equal(hook.hits.length, 0, 'nothing before the digest time (09:00 Asia/Shanghai)');
  r.clock.now = Date.parse('2026-11-24T01:00:00Z');
  await r.alerter.deliverDue();
  assert.equal(hook.hits.length, 1);
  const body = hook.hits[0]!.body;
  assert.equal(body.digest, true);
  assert.deepEqual(body.messages.map((m: { fault: { id: string }; severity: string }) => [m.fault.id, m.severity]),
    [['region:hebei/ct', 'informational'], ['region:henan/ct', 'informational']]);
});
