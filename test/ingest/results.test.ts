// POST /api/v1/results on the real gateway (embedded SQLite store): what is accepted, what is refused, and that a
// refused batch leaves nothing behind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { busyHosts, batchFor, isoMinute, post, startGateway, stored, type TestGateway } from './harness.js';

const MIN = 60_000;
// A fixed clock: record times are judged against it, not against the machine's.
const NOW = Math.floor(Date.now() / MIN) * MIN + 17_000;
const M0 = NOW - 17_000 - 5 * MIN;

describe('POST /api/v1/results', () => {
  let t: TestGateway;
  let host: string;
  let other: string;
  before(async () => {
    t = await startGateway({ ingest: { bodyLimit: '64kb' } }, () => NOW);
    [host, other] = busyHosts(t, 2) as [string, string];
  });
  after(async () => { await t.close(); });

  it('stores a batch with its inventory tags and answers {"accepted": n}; posting it again stores it once', async () => {
    const batch = batchFor(t, host, M0);
    const r = await post(t, { host, results: batch }, t.token(host));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json, { accepted: batch.length });
    let rows = await stored(t);
    assert.equal(rows.length, batch.length);
    const snap = t.gw.state.current;
    const h = snap.catalog.hosts.get(host)!;
    const dc = snap.catalog.dcs.get(h.dc)!;
    for (const row of rows) {
      const vip = snap.catalog.vips.get(row.vip)!;
      assert.deepEqual([row.dc, row.province, row.isp, row.vipDc, row.business], [h.dc, dc.province, dc.isp, vip.dc, vip.business]);
    }
    assert.equal((await post(t, { host, results: batch }, t.token(host))).status, 200);
    rows = await stored(t);
    assert.equal(rows.length, batch.length, 'the re-post overwrote, it did not add');
    // method defaults to icmp
    const { method: _m, ...noMethod } = batch[0]!;
    const m1 = await post(t, { host, results: [{ ...noMethod, ts: isoMinute(M0 + MIN) }] }, t.token(host));
    assert.equal(m1.status, 200);
    assert.equal((await t.gw.series.readRange(M0 + MIN, M0 + 2 * MIN))[0]!.method, 'icmp');
  });

  it('401 without a valid token, storing nothing', async () => {
    const before = (await stored(t)).length;
    const body = { host, results: batchFor(t, host, M0 + 2 * MIN) };
    const none = await post(t, body);
    assert.equal(none.status, 401);
    assert.match(String(none.json.error), /bearer token/);
    assert.equal((await post(t, body, `${host}.not-the-mac`)).status, 401);
    assert.equal((await post(t, body, t.token(host).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).status, 401);
    assert.equal((await stored(t)).length, before);
  });

  it("403 for another host's token, a record of another host, or a VIP outside the task list, storing nothing", async () => {
    const before = (await stored(t)).length;
    const mine = batchFor(t, host, M0 + 2 * MIN);
    const wrongToken = await post(t, { host, results: mine }, t.token(other));
    assert.equal(wrongToken.status, 403);
    assert.match(String(wrongToken.json.error), new RegExp(`^host: the token is for host ${other}, not ${host}`));

    const foreignRecord = [...mine, { ...batchFor(t, other, M0 + 2 * MIN)[0]! }];
    const r1 = await post(t, { host, results: foreignRecord }, t.token(host));
    assert.equal(r1.status, 403);
    assert.match(String(r1.json.error), new RegExp(`^results\\[${mine.length}\\]\\.host: ${other} is not the body's host ${host}`));

    const allowed = t.gw.state.current.allowed.get(host)!;
    const foreignVip = t.gw.state.current.catalog.inventory.vips.find((v) => !allowed.has(v.ip))!.ip;
    const withForeign = mine.map((r, i) => (i === 1 ? { ...r, vip: foreignVip } : r));
    const r2 = await post(t, { host, results: withForeign }, t.token(host));
    assert.equal(r2.status, 403);
    assert.equal(r2.json.error, `results[1].vip: ${foreignVip} is not in host ${host}'s task list`);
    assert.equal((await stored(t)).length, before, 'nothing of a refused batch is stored');
  });

  it('400 naming each bad field (schema, minute start, too old, too far ahead), storing nothing', async () => {
    const before = (await stored(t)).length;
    const good = batchFor(t, host, M0 + 3 * MIN);
    const withReply = good.findIndex((r) => r.recv > 0);
    const bad = good.map((r) => ({ ...r })) as Array<Record<string, unknown>>;
    delete bad[withReply]!.rttAvg;
    bad[(withReply + 1) % bad.length]!.sent = 'twenty';
    const r = await post(t, { host, results: bad }, t.token(host));
    assert.equal(r.status, 400);
    const problems = r.json.problems as string[];
    assert.ok(problems.some((p) => p.startsWith(`results[${withReply}].rttAvg: `)), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith(`results[${(withReply + 1) % bad.length}].sent: `) && p.includes('"twenty"')), problems.join('\n'));
    assert.match(String(r.json.error), /results\[\d+\]\.rttAvg: /);

    const times = good.slice(0, 4).map((rec, i) => ({ ...rec, ts: [
      isoMinute(M0 + 3 * MIN).replace(':00Z', ':30Z'), // not a minute start
      isoMinute(M0 - 86_400_000), // older than maxAgeSec (1 day)
      isoMinute(M0 + 8 * MIN), // beyond maxFutureSec (120 s): NOW is M0 + 5 min 17 s
      isoMinute(M0 + 3 * MIN),
    ][i]! }));
    const r2 = await post(t, { host, results: times }, t.token(host));
    assert.equal(r2.status, 400);
    assert.deepEqual((r2.json.problems as string[]).map((p) => p.split(':')[0]), ['results[0].ts', 'results[1].ts', 'results[2].ts']);
    assert.match(String(r2.json.error), /results\[0\]\.ts: .* is not the start of a minute.*results\[1\]\.ts: .* older than ingest\.maxAgeSec.*results\[2\]\.ts: .* in the future/);

    const r3 = await post(t, { host, results: good, extra: 1 }, t.token(host));
    assert.equal(r3.status, 400);
    assert.match(String(r3.json.error), /^\(body\): .*extra/);
    const r4 = await post(t, '{"host": ', t.token(host));
    assert.equal(r4.status, 400);
    assert.match(String(r4.json.error), /^body: not valid JSON/);
    assert.equal((await stored(t)).length, before);
  });

  it('413 over ingest.bodyLimit, before reading the records, storing nothing', async () => {
    const before = (await stored(t)).length;
    const big = [];
    for (let m = 0; big.length < 600; m++) big.push(...batchFor(t, host, M0 - m * MIN));
    const body = JSON.stringify({ host, results: big });
    assert.ok(body.length > 64 * 1024);
    const r = await post(t, body, t.token(host));
    assert.equal(r.status, 413);
    assert.match(String(r.json.error), /ingest\.bodyLimit \(64kb\)/);
    assert.equal((await stored(t)).length, before);
  });

  it('reports the store in /healthz and ingest counts in /metrics', async () => {
    const h = await (await fetch(`${t.url}/healthz`)).json() as { status: string; checks: Record<string, boolean> };
    assert.deepEqual(h, { status: 'ok', checks: { series: true } });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    const accepted = Number(/vipwatch_ingest_records_total\{outcome="accepted"\} (\d+)/.exec(metrics)?.[1]);
    assert.equal(accepted, 2 * batchFor(t, host, M0).length + 1);
    assert.ok(Number(/vipwatch_ingest_records_total\{outcome="forbidden"\} (\d+)/.exec(metrics)?.[1]) > 0);
    assert.match(metrics, /vipwatch_ingest_store_write_seconds_count\{result="ok"\} 3/);
  });
});
