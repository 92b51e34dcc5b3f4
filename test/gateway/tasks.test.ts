// GET /api/v1/tasks on the real gateway: bearer tokens, task lists with ETag and 304, health and metrics,
// and an inventory change picked up without a restart (a bad edit keeps the last good plan).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { demoInventory } from '../../core/demo.js';
import type { TaskList } from '../../core/model.js';
import { tokenFor, verifyToken } from '../../gateway/tokens.js';
import { startGateway } from '../ingest/harness.js';

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });

test('tokens: HOST.MAC verifies under its secret only, and names its host', () => {
  const t = tokenFor('secret-aaaaaaaaaaaaaaaa', 'cdn.gz1.001');
  assert.equal(verifyToken('secret-aaaaaaaaaaaaaaaa', t), 'cdn.gz1.001');
  assert.equal(verifyToken('secret-bbbbbbbbbbbbbbbb', t), null);
  assert.equal(verifyToken('secret-aaaaaaaaaaaaaaaa', t.replace('cdn.gz1.001', 'cdn.gz1.002')), null);
  assert.equal(verifyToken('secret-aaaaaaaaaaaaaaaa', 'garbage'), null);
});

test('GET /api/v1/tasks: 401 without or with a bad token, 403 for an unknown host, the list with ETag, then 304', async (t) => {
  const gw = await startGateway();
  t.after(() => gw.close());
  const url = `${gw.url}/api/v1/tasks`;
  assert.equal((await get(url)).status, 401);
  assert.equal((await get(url, { Authorization: 'Bearer nope.nope' })).status, 401);
  assert.equal((await get(url, { Authorization: `Bearer ${tokenFor('another-secret-0123456789', 'cdn-beijing-ct-1-001')}` })).status, 401);
  assert.equal((await get(url, { Authorization: `Bearer ${gw.token('cdn-nowhere-999')}` })).status, 403);

  const host = 'cdn-beijing-ct-1-001';
  const auth = { Authorization: `Bearer ${gw.token(host)}` };
  const res = await get(url, auth);
  assert.equal(res.status, 200);
  const list = (await res.json()) as TaskList;
  assert.equal(list.host, host);
  assert.equal(list.intervalSec, 6);
  assert.equal(res.headers.get('etag'), `"${list.version}"`);
  const planned = gw.gw.state.current.plan.assignments[host]!;
  assert.deepEqual([...new Set(list.targets.map((x) => x.vip))].sort(), planned);
  assert.ok(list.targets.every((x) => ['icmp', 'tcp', 'http'].includes(x.method) && (x.method !== 'tcp' || x.port) && (x.method !== 'http' || x.url)));
  assert.equal((await get(url, { ...auth, 'If-None-Match': res.headers.get('etag')! })).status, 304);
  assert.equal((await get(url, { ...auth, 'If-None-Match': '"stale"' })).status, 200);

  const health = await get(`${gw.url}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(((await health.json()) as { checks: Record<string, boolean> }).checks, { series: true });
  const metrics = await (await get(`${gw.url}/metrics`)).text();
  assert.match(metrics, /^vipwatch_plan_pairs \d+/m);
  assert.match(metrics, /vipwatch_http_request_seconds_count\{method="GET",route="\/api\/v1\/tasks",status="304"\} 1/);
});

test('an inventory file change is picked up; a bad edit keeps the previous plan', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-tasks-'));
  const file = join(dir, 'inventory.yaml');
  const inv = demoInventory({ dcsPerGroup: 1, hostsPerDc: 1, vipDcs: 1, vipsPerDc: 3 });
  const { isps: _isps, ...shape } = inv;
  writeFileSync(file, stringify(shape));
  const gw = await startGateway({ inventory: file });
  t.after(() => gw.close());
  const host = inv.hosts[0]!.id;
  const auth = { Authorization: `Bearer ${gw.token(host)}` };
  const first = (await (await get(`${gw.url}/api/v1/tasks`, auth)).json()) as TaskList;
  assert.equal(new Set(first.targets.map((x) => x.vip)).size, 3);

  writeFileSync(file, stringify({ ...shape, vips: [...shape.vips, { ip: '198.19.9.9', dc: shape.vips[0]!.dc, business: shape.vips[0]!.business }] }));
  const deadline = Date.now() + 15_000;
  let next = first;
  while (Date.now() < deadline && next.version === first.version) {
    await new Promise((r) => setTimeout(r, 250));
    next = (await (await get(`${gw.url}/api/v1/tasks`, auth)).json()) as TaskList;
  }
  assert.notEqual(next.version, first.version, 'the changed inventory was not picked up within 15 s');
  assert.ok(next.targets.some((x) => x.vip === '198.19.9.9'));

  writeFileSync(file, 'hosts: [ {id: broken');
  await new Promise((r) => setTimeout(r, 6000));
  const kept = (await (await get(`${gw.url}/api/v1/tasks`, auth)).json()) as TaskList;
  assert.equal(kept.version, next.version);
});
