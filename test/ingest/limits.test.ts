// The review's findings on POST /api/v1/results, on the real gateway: a huge batch of bad records must not stall the
// process (#3), and a (VIP, method) pair outside the host's task list is refused like a foreign VIP (#8).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fastValidator } from '../../gateway/results-validate.js';
import { batchFor, busyHosts, post, startGateway, stored, type TestGateway } from './harness.js';

const MIN = 60_000;
const NOW = Math.floor(Date.now() / MIN) * MIN + 17_000;
const M0 = NOW - 17_000 - 5 * MIN;

describe('ingest limits', () => {
  let t: TestGateway;
  let host: string;
  before(async () => {
    t = await startGateway({}, () => NOW);
    [host] = busyHosts(t, 1) as [string];
  });
  after(async () => { await t.close(); });

  it('stops validating after the problems it reports: 19,000 empty records give 20 problems, not 95,000', () => {
    const r = fastValidator({ host: 'h', results: Array.from({ length: 19_000 }, () => ({})) });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.problems.length === 20, `problems: ${!r.ok && r.problems.length}`);
    // the first problems are the first record's, in the schema's words
    assert.ok(!r.ok && r.problems[0]!.startsWith('results[0].ts: Invalid input: expected string'), !r.ok ? r.problems[0] : '');
  });

  it('refuses more than ingest.maxRecordsPerPost records with 413 naming the key, and /healthz answers meanwhile', async () => {
    const max = t.cfg.ingest.maxRecordsPerPost;
    assert.equal(max, 20_000, 'the default');
    const body = JSON.stringify({ host, results: Array.from({ length: 200_000 }, () => ({})) });
    assert.ok(body.length < 1024 * 1024, 'within the default ingest.bodyLimit (1mb)');
    assert.equal((await post(t, body, t.token(host))).status, 413, 'a first post (warms up the code paths)');
    // two such posts at once: checked record by record they cost seconds of CPU on the one event loop (the old code
    // kept /healthz waiting ~10 s here); now each costs its JSON parse, which ingest.bodyLimit bounds
    const posts = Array.from({ length: 2 }, () => post(t, body, t.token(host)));
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    const health = await fetch(`${t.url}/healthz`);
    const healthMs = performance.now() - t0;
    assert.equal(health.status, 200);
    for (const r of await Promise.all(posts)) {
      assert.equal(r.status, 413);
      assert.match(String(r.json.error), /200000 records.*ingest\.maxRecordsPerPost \(20000\)/);
    }
    assert.ok(healthMs < 1000, `/healthz took ${Math.round(healthMs)} ms during the posts`);
    assert.equal((await stored(t)).length, 0);
  });

  it('403 for a method the task list does not give the VIP, storing nothing of the batch', async () => {
    const list = t.gw.state.current.tasks.get(host)!;
    const icmpOnly = list.targets.find((x) => x.method === 'icmp' && !list.targets.some((y) => y.vip === x.vip && y.method === 'tcp'));
    assert.ok(icmpOnly, 'the host probes a VIP without a port');
    const good = batchFor(t, host, M0);
    const odd = { ...good.find((r) => r.vip === icmpOnly.vip)!, method: 'tcp' as const };
    const r = await post(t, { host, results: [...good, odd] }, t.token(host));
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.equal(r.json.error, `results[${good.length}].method: tcp to ${icmpOnly.vip} is not in host ${host}'s task list`);
    assert.equal((await stored(t)).length, 0, 'nothing of the batch is stored');
    assert.equal((await post(t, { host, results: good }, t.token(host))).status, 200, 'the same batch without it is taken');
  });
});
