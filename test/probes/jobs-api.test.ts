// The job API and the control channel, black box over HTTP: who may start jobs (401/403), the allow-list (403,
// audited), rate limits per requester and per target (429 with Retry-After, audited), bad requests (400), sources
// spread over DCs, the long poll answering an agent as soon as a job for it exists (also through a second gateway
// replica that only shares the store), signed jobs, and the results path (only a job's sources, once each).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { demoInventory } from '../../core/demo.js';
import { refuseJob } from '../../core/jobs-sign.js';
import type { SignedJob } from '../../core/jobs.js';
import { getJson, postJob, startStack, type Stack } from './stack.js';

// 31 provinces x 3 isps x 2 DCs x 1 host; VIPs in 198.19.0.0/16
const inventory = demoInventory({ dcsPerGroup: 2, hostsPerDc: 1, vipDcs: 3, vipsPerDc: 2 });
const VIP = inventory.vips[0]!.ip;
const VIP2 = inventory.vips[1]!.ip;
let s: Stack;

before(async () => {
  s = await startStack({ inventory, config: { probes: { allowCidrs: ['198.51.100.0/24'], perRequester: 4, perTarget: 3, rateWindowSec: 600 } } });
});
after(() => s.stop());

/** Every host the job was handed to: each source's agent channel, asked without waiting. */
async function sourcesOf(id: string): Promise<string[]> {
  const got: string[] = [];
  await Promise.all(inventory.hosts.map(async (h) => {
    const r = await getJson(s, '/api/v1/jobs?wait=0', s.agentToken(h.id));
    if ((r.body.jobs as SignedJob[]).some((j) => j.id === id)) got.push(h.id);
  }));
  return got.sort();
}

/**
 * The seqs of the jobs already pending for `host`. Earlier tests' jobs pick their sources at random (seeded by the
 * job id) and may have picked it; a held poll naming them as known waits for a new job only.
 */
async function knownFor(host: string): Promise<number[]> {
  return ((await getJson(s, '/api/v1/jobs?wait=0', s.agentToken(host))).body.jobs as SignedJob[]).map((j) => j.seq);
}
const pollPath = (wait: number, known: number[]) => `/api/v1/jobs?wait=${wait}${known.length ? `&known=${known.join(',')}` : ''}`;

test('who may start a job: operator and admin; viewer 403, anonymous 401', async () => {
  assert.equal((await postJob(s, null, { target: VIP, method: 'icmp' })).status, 401);
  const v = await postJob(s, 'viewer', { target: VIP, method: 'icmp' });
  assert.equal(v.status, 403);
  assert.match(String(v.body.error), /operator or admin/);
  const op = await postJob(s, 'operator', { target: VIP2, method: 'icmp', sources: 3 });
  assert.equal(op.status, 202, JSON.stringify(op.body));
  assert.match(String(op.body.id), /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(Object.keys(op.body), ['id']);
  const view = await getJson(s, `/api/v1/probes/${op.body.id}`, s.tokens.viewer);
  assert.equal(view.status, 200);
  assert.deepEqual(view.body, { id: op.body.id, status: 'running', requested: 3, results: [] });
});

test('the allow-list: inventory VIPs and probes.allowCidrs pass, anything else is 403 and audited', async () => {
  const out = await postJob(s, 'admin', { target: '203.0.113.9', method: 'icmp' });
  assert.equal(out.status, 403);
  assert.match(String(out.body.error), /neither a VIP of the inventory nor inside probes.allowCidrs/);
  assert.equal((await postJob(s, 'admin', { target: 'http://203.0.113.9/x', method: 'http' })).status, 403);
  assert.equal((await postJob(s, 'admin', { target: '198.51.100.7:443', method: 'tcp', sources: 1 })).status, 202);
  const audit = (await getJson(s, '/api/v1/probes/audit', s.tokens.viewer)).body.audit as Array<Record<string, any>>;
  const refused = audit.find((a) => a.action === 'refused' && a.target === '203.0.113.9');
  assert.ok(refused, JSON.stringify(audit));
  assert.equal(refused.actor, 'admin');
  assert.equal(refused.method, 'icmp');
  assert.equal(refused.detail.status, 403);
  assert.ok(Math.abs(Date.parse(refused.at) - Date.now()) < 60_000);
  const created = audit.find((a) => a.action === 'created' && a.target === '198.51.100.7:443');
  assert.equal(created?.actor, 'admin');
  assert.equal(typeof created?.jobId, 'string');
});

test('bad requests are 400 and name the field', async () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ target: VIP, method: 'udp' }, /method/],
    [{ target: VIP, method: 'icmp', sources: 101 }, /sources/],
    [{ target: VIP, method: 'icmp', scope: { dcs: ['nowhere'] } }, /scope.dcs: unknown "nowhere"/],
    [{ target: `${VIP}:99999`, method: 'tcp' }, /ip:port/],
    [{ target: 'example.com', method: 'traceroute' }, /IPv4/],
    [{ target: VIP, method: 'icmp', count: 100_000 }, /count/],
  ];
  for (const [body, why] of cases) {
    const r = await postJob(s, 'admin', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(String(r.body.error), why);
  }
});

test('sources: N hosts of the scope, every DC once before any DC twice', async () => {
  const r = await postJob(s, 'admin', { target: inventory.vips[2]!.ip, method: 'icmp', scope: { isps: ['ct'], provinces: ['guangdong', 'beijing', 'sichuan'] }, sources: 5 });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const hosts = await sourcesOf(String(r.body.id));
  assert.equal(hosts.length, 5);
  const dcOf = new Map(inventory.hosts.map((h) => [h.id, inventory.datacenters.find((d) => d.id === h.dc)!]));
  // 3 provinces x 2 DCs = 6 DCs of one host each: 5 sources are 5 different DCs, all ct, all in those provinces
  assert.equal(new Set(hosts.map((h) => dcOf.get(h)!.id)).size, 5);
  for (const h of hosts) {
    assert.equal(dcOf.get(h)!.isp, 'ct');
    assert.ok(['guangdong', 'beijing', 'sichuan'].includes(dcOf.get(h)!.province));
  }
});

test('rate limits: per requester and per target, 429 with Retry-After, audited', async () => {
  // the operator made 1 job above; perRequester is 4
  const targets = inventory.vips.slice(3, 6).map((v) => v.ip);
  for (const t of targets) assert.equal((await postJob(s, 'operator', { target: t, method: 'icmp', sources: 1 })).status, 202);
  const over = await postJob(s, 'operator', { target: VIP2, method: 'icmp', sources: 1 });
  assert.equal(over.status, 429);
  assert.match(String(over.body.error), /olga started 4 jobs/);
  assert.equal(over.retryAfter, '600');
  // per target (3): VIP2 had one job; two more by other requesters pass, the next is refused whoever asks
  assert.equal((await s.service.create({ target: VIP2, method: 'icmp', sources: 1 }, 'script-a')).status, 202);
  assert.equal((await s.service.create({ target: VIP2, method: 'traceroute', sources: 1 }, 'script-b')).status, 202);
  const hot = await postJob(s, 'admin', { target: VIP2, method: 'icmp', sources: 1 });
  assert.equal(hot.status, 429);
  assert.match(String(hot.body.error), new RegExp(`${VIP2.replace(/\./g, '\\.')} was probed by 3 jobs`));
  const audit = (await getJson(s, '/api/v1/probes/audit', s.tokens.admin)).body.audit as Array<Record<string, any>>;
  assert.ok(audit.some((a) => a.action === 'refused' && a.actor === 'olga' && a.detail.status === 429));
  assert.ok(audit.some((a) => a.action === 'refused' && a.actor === 'admin' && a.detail.status === 429 && a.target === VIP2));
});

test('long poll: a waiting agent gets its job at once, signed for it; the results path takes one result per source', async () => {
  const host = inventory.hosts[7]!.id;
  const token = s.agentToken(host);
  const known = await knownFor(host);
  const t0 = Date.now();
  const polled = getJson(s, pollPath(20, known), token);
  await new Promise((r) => setTimeout(r, 300));
  const target = inventory.vips[4]!.ip;
  const made = await s.service.create({ target, method: 'icmp', scope: { hosts: [host] }, count: 3 }, 'poll-test');
  assert.equal(made.status, 202, JSON.stringify(made));
  if (made.status !== 202) return;
  const tMade = Date.now();
  const got = await polled;
  const waited = Date.now() - tMade;
  assert.equal(got.status, 200);
  assert.ok(Date.now() - t0 < 5000 && waited < 1000, `the held poll answered ${waited} ms after the job was made`);
  const [job] = got.body.jobs as SignedJob[];
  assert.equal(job!.id, made.job.id);
  assert.equal(job!.host, host);
  assert.equal(job!.count, 3);
  assert.equal(refuseJob(job, token, host, Date.now()), null);
  const other = inventory.hosts[8]!.id;
  assert.match(String(refuseJob(job, s.agentToken(other), other, Date.now())), /bad signature/);
  assert.match(String(refuseJob({ ...job, address: '198.51.100.1' }, token, host, Date.now())), /bad signature/);
  assert.match(String(refuseJob({ ...job, sig: undefined }, token, host, Date.now())), /unsigned/);
  assert.match(String(refuseJob(job, token, host, Date.parse(job!.startBy) + 1)), /expired/);
  // the same poll naming the job as known holds again (no busy loop); wait=1 ends it quickly
  const again = await getJson(s, pollPath(1, [...known, job!.seq]), token);
  assert.deepEqual(again.body.jobs, []);

  const record = { ts: new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString().replace('.000Z', 'Z'), host, vip: target, method: 'icmp', sent: 3, recv: 3, rttMin: 1, rttAvg: 2, rttMax: 3 };
  const post = (tok: string, body: unknown) => fetch(`${s.url}/api/v1/probes/${job!.id}/results`, {
    method: 'POST', headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal((await post(s.agentToken(other), { host: other, result: { ...record, host: other } })).status, 403);
  assert.equal((await post(token, { host, result: { ...record, vip: '198.19.9.9' } })).status, 400);
  assert.equal((await post('nobody.x', { host, result: record })).status, 401);
  const ok = await post(token, { host, result: record });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { accepted: 1 });
  assert.deepEqual(await (await post(token, { host, result: { ...record, recv: 0, rttMin: undefined, rttAvg: undefined, rttMax: undefined } })).json(), { accepted: 0 });
  const view = await getJson(s, `/api/v1/probes/${job!.id}`, s.tokens.viewer);
  assert.deepEqual(view.body, { id: job!.id, status: 'done', requested: 1, results: [record] });
});

test('a second gateway replica sharing only the job store hands out jobs made elsewhere within its poll interval', async () => {
  const replica = await startStack({ inventory, dir: s.dir, directHandOff: false, config: { probes: { pollMs: 200, perRequester: 100, perTarget: 100 } } });
  try {
    const host = inventory.hosts[11]!.id;
    const known = await knownFor(host);
    const polled = getJson(replica, pollPath(20, known), replica.agentToken(host));
    await new Promise((r) => setTimeout(r, 300));
    // made through the replica's own API without hand-off, so the only way to the agent is the store poll
    const made = await postJob(replica, 'admin', { target: inventory.vips[5]!.ip, method: 'traceroute', scope: { hosts: [host] } });
    assert.equal(made.status, 202, JSON.stringify(made.body));
    const t = Date.now();
    const got = await polled;
    assert.ok(Date.now() - t < 1500, `store poll took ${Date.now() - t} ms`);
    assert.deepEqual((got.body.jobs as SignedJob[]).map((j) => [j.id, j.method]), [[made.body.id, 'traceroute']]);
    // and the first stack (another replica on the same files) hands it out too
    const first = await getJson(s, pollPath(5, known), s.agentToken(host));
    assert.ok((first.body.jobs as SignedJob[]).some((j) => j.id === made.body.id));
  } finally {
    await replica.stop();
  }
});
