// InfluxDB killed (SIGKILL) while agents post: they get 503 + Retry-After and keep their batches; after the restart
// every acknowledged record is in InfluxDB.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InfluxClient } from '../../core/store/influx/client.js';
import { missing } from '../support/env.js';
import { startInfluxd, type Influxd } from '../support/influxd.js';
import { busyHosts, batchFor, post, startGateway, stored, type TestGateway } from './harness.js';

const MIN = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const key = (r: { ts: string; host: string; vip: string; method: string }) => `${Date.parse(r.ts)}|${r.host}|${r.vip}|${r.method}`;

describe('InfluxDB outage during ingest', { skip: missing({ commands: ['influxd'] }) ?? false }, () => {
  let influxd: Influxd;
  let t: TestGateway;
  before(async () => {
    influxd = await startInfluxd();
    t = await startGateway({ series: { backend: 'influx', influx: { url: influxd.url, database: 'outage' } }, ingest: { retryAfterSec: 1 } });
    for (let i = 0; i < 50 && !(await t.gw.series.ping()); i++) await sleep(100);
  });
  after(async () => {
    await t?.close();
    await influxd?.stop();
  });

  it('answers 503 while InfluxDB is down and loses nothing it acknowledged', async (ctx) => {
    const hosts = busyHosts(t, 8);
    const m0 = Math.floor(Date.now() / MIN) * MIN - 12 * MIN;
    const acked = new Set<string>();
    let refused = 0;
    let posts = 0;
    let down = false;
    let ackedWhileDown = 0;
    const retryAfter = new Set<string | null>();
    // Each agent posts 10 minutes of results; a refused batch is kept and posted again (bounded attempts).
    const agent = async (host: string, seed: number) => {
      for (let m = 0; m < 10; m++) {
        const batch = batchFor(t, host, m0 + m * MIN, seed);
        for (let attempt = 0; ; attempt++) {
          assert.ok(attempt < 300, `${host}: batch ${m} still refused after 300 attempts`);
          const sentWhileDown = down;
          const r = await post(t, { host, results: batch }, t.token(host));
          posts++;
          if (r.status === 200) {
            if (sentWhileDown && down) ackedWhileDown++;
            assert.deepEqual(r.json, { accepted: batch.length });
            for (const rec of batch) acked.add(key(rec));
            break;
          }
          assert.equal(r.status, 503, JSON.stringify(r.json));
          refused++;
          retryAfter.add(r.headers.get('retry-after'));
          await sleep(100);
        }
        await sleep(60);
      }
    };
    const agents = Promise.all(hosts.map((h, i) => agent(h, i)));
    while (acked.size < 200) await sleep(20);
    const ackedBeforeKill = acked.size;
    await influxd.kill();
    down = true;
    const killedAt = Date.now();
    while (refused < hosts.length && Date.now() - killedAt < 10_000) await sleep(20);
    await sleep(500);
    down = false;
    await influxd.restart();
    await agents;

    const rows = await stored(t);
    const inInflux = new Set(rows.map(key));
    const missingAcked = [...acked].filter((k) => !inInflux.has(k));
    ctx.diagnostic(`agents ${hosts.length}, posts ${posts}, 503 answers ${refused}, acknowledged records ${acked.size} `
      + `(${ackedBeforeKill} before the kill), records in InfluxDB ${rows.length}, acknowledged but missing ${missingAcked.length}`);
    console.log(`influx outage: acknowledged ${acked.size}, in InfluxDB ${rows.length}, missing ${missingAcked.length}, 503 answers ${refused}`);
    assert.ok(refused >= hosts.length, `agents got 503 while InfluxDB was down (${refused})`);
    assert.deepEqual([...retryAfter], ['1'], 'every 503 carries Retry-After');
    assert.equal(ackedWhileDown, 0, 'no post made while InfluxDB was down got a 200');
    assert.deepEqual(missingAcked, []);
    assert.equal(rows.length, acked.size, 'every record of every batch ends up stored, once');
  });

  it('re-creates a dropped database: 503 first, then stored', async () => {
    const client = new InfluxClient({ url: influxd.url, database: 'outage' });
    try {
      await client.query('DROP DATABASE "outage"');
    } finally {
      client.close();
    }
    const [host] = busyHosts(t, 1) as [string];
    const batch = batchFor(t, host, Math.floor(Date.now() / MIN) * MIN - MIN);
    const first = await post(t, { host, results: batch }, t.token(host));
    assert.equal(first.status, 503, JSON.stringify(first.json));
    // the client hears that the store is down and to keep its batch; InfluxDB's own words stay in the gateway's log
    assert.match(String(first.json.error), /series store unavailable, keep the batch/);
    assert.doesNotMatch(JSON.stringify(first.json), /database not found/);
    await sleep(1_100); // Retry-After
    const again = await post(t, { host, results: batch }, t.token(host));
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.equal((await stored(t)).length, batch.length);
  });
});
