// The drills' ingest accounting can fail: with the InfluxDB backend a doubled delivery leaves the store exactly as a
// single one would (same series and time overwrite), yet the drill's check (accounting.ts, the one system.test.ts
// runs) reports it, from the gateway's /metrics. A real gateway (in process) on a real influxd; the test plays the
// agents and counts what it had acknowledged, as the agents' own counters do in the drill.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { missing } from '../support/env.js';
import { startInfluxd } from '../support/influxd.js';
import { batchFor, busyHosts, post, startGateway, stored } from '../ingest/harness.js';
import { describeCounts, gatewayCounts, ingestProblems, type IngestCounts } from './accounting.js';

const MIN = 60_000;

test('a doubled delivery is invisible in InfluxDB and fails the drill\'s ingest check', { skip: missing({ commands: ['influxd'] }) ?? false, timeout: 60_000 }, async (t) => {
  const influxd = await startInfluxd();
  t.after(() => influxd.stop());
  const gw = await startGateway({ series: { backend: 'influx', influx: { url: influxd.url, database: 'accounting' } } });
  t.after(() => gw.close());
  const hosts = busyHosts(gw, 4);
  const m0 = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;

  let sent = 0;
  const deliver = async (host: string, minute: number) => {
    const results = batchFor(gw, host, minute);
    const r = await post(gw, { host, results }, gw.token(host));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    sent += results.length;
    return results.length;
  };
  const counts = async (): Promise<IngestCounts> => ({
    sent,
    ...gatewayCounts(await (await fetch(`${gw.url}/metrics`)).text()),
    stored: (await stored(gw)).length,
  });

  for (const host of hosts) for (let m = 0; m < 3; m++) await deliver(host, m0 + m * MIN);
  const clean = await counts();
  t.diagnostic(`every batch once: ${describeCounts(clean)}`);
  assert.ok(clean.sent > 0);
  assert.deepEqual(ingestProblems(clean), []);

  // an agent delivers one batch a second time (e.g. a spool that replays what was acknowledged)
  const doubled = await deliver(hosts[1]!, m0 + MIN);
  const after = await counts();
  t.diagnostic(`one batch of ${doubled} records twice: ${describeCounts(after)}; the check says: ${ingestProblems(after).join('; ')}`);
  assert.equal(after.stored, clean.stored, 'InfluxDB shows nothing: the second delivery overwrote the first');
  assert.equal(after.duplicates, doubled, 'the gateway counted the re-delivered records');
  assert.deepEqual(ingestProblems(after), [
    `${doubled} records were delivered to a gateway more than once (vipwatch_ingest_duplicate_records_total)`,
    `the store holds ${clean.stored} records, the gateways accepted ${clean.accepted + doubled}: ${doubled} accepted records overwrote others or are missing`,
  ]);
});
