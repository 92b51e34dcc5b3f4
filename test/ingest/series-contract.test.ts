// One contract for every SeriesStore backend, run against the embedded SQLite file and a real InfluxDB (influxd 1.x).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createLogger } from '../../core/log.js';
import { lossPct } from '../../core/model.js';
import { InfluxClient, InfluxRequestError } from '../../core/store/influx/client.js';
import { InfluxSeriesStore } from '../../core/store/influx/series.js';
import { ROLLUP_CQ, rollupSelect } from '../../core/store/influx/schema.js';
import { StoreUnavailableError, type SeriesStore, type StoredRecord } from '../../core/store/series.js';
import { SqliteSeriesStore } from '../../core/store/sqlite/series.js';
import { missing } from '../support/env.js';
import { startInfluxd, type Influxd } from '../support/influxd.js';
import { freePort } from '../support/ports.js';
import { close, episode, expectedBuckets, expectedGroups, FIXTURE, iso, key, mean, MIN, rec, sorted, T0 } from './series-fixture.js';

const log = createLogger('silent');
function contract(makeStore: () => SeriesStore) {
  let store: SeriesStore;
  before(async () => {
    store = makeStore();
    await store.init();
    await store.init(); // init is safe to repeat (every start, every replica)
  });
  after(async () => { await store.close(); });

  it('reads back exactly what was written, by [from, to)', async () => {
    await store.write(FIXTURE);
    assert.deepEqual(sorted(await store.readRange(T0, T0 + 3 * MIN)), sorted(FIXTURE));
    const m1 = await store.readRange(T0 + MIN, T0 + 2 * MIN);
    assert.deepEqual(sorted(m1), sorted(FIXTURE.filter((r) => r.ts === iso(T0 + MIN))));
    const lost = m1.find((r) => r.host === 'h2' && r.vip === '198.19.0.1')!;
    assert.equal(lost.recv, 0);
    assert.ok(!('rttAvg' in lost) && !('rttMin' in lost) && !('rttMax' in lost), 'rtt fields stay absent when recv is 0');
    assert.deepEqual(await store.readRange(T0 + 3 * MIN, T0 + 10 * MIN), []);
    assert.equal(await store.ping(), true);
  });

  it('re-writing a record overwrites it (idempotent ingest)', async () => {
    await store.write(FIXTURE);
    await store.write(FIXTURE.slice(0, 5));
    assert.equal((await store.readRange(T0, T0 + 3 * MIN)).length, FIXTURE.length);
    const changed = { ...FIXTURE[0]!, recv: 3, rttMin: 1, rttAvg: 2, rttMax: 3 };
    await store.write([changed]);
    const back = await store.readRange(T0, T0 + MIN);
    assert.equal(back.length, FIXTURE.filter((r) => r.ts === iso(T0)).length);
    assert.deepEqual(back.find((r) => key(r) === key(changed)), changed);
    await store.write([FIXTURE[0]!]);
    assert.deepEqual(sorted(await store.readRange(T0, T0 + 3 * MIN)), sorted(FIXTURE));
    // the same key again with no replies (an agent restarted mid-minute sends the minute's rest): no RTT is kept
    const answered = FIXTURE.find((r) => r.recv > 0)!;
    const silent = { ...answered, recv: 0, rttMin: undefined, rttAvg: undefined, rttMax: undefined };
    await store.write([silent]);
    const read = (await store.readRange(Date.parse(answered.ts), Date.parse(answered.ts) + MIN)).find((r) => key(r) === key(answered))!;
    assert.equal(read.recv, 0);
    assert.ok(!('rttAvg' in read) && !('rttMin' in read) && !('rttMax' in read), `no RTT with recv 0: ${JSON.stringify(read)}`);
    await store.write([answered]);
    assert.deepEqual(sorted(await store.readRange(T0, T0 + 3 * MIN)), sorted(FIXTURE));
  });

  it('aggregates per minute and province x isp', async () => {
    const got = await store.groupAggregates(T0, T0 + 3 * MIN);
    const want = expectedGroups(FIXTURE);
    assert.equal(got.length, want.length);
    got.forEach((g, i) => {
      const w = want[i]!;
      assert.deepEqual([g.minute, g.province, g.isp, g.records], [w.minute, w.province, w.isp, w.records]);
      close(g.rttAvg, w.rttAvg, `rttAvg ${g.province}/${g.isp}@${g.minute}`);
      close(g.lossPct, w.lossPct, `lossPct ${g.province}/${g.isp}@${g.minute}`);
    });
    const icmp = await store.groupAggregates(T0, T0 + 3 * MIN, { method: 'icmp' });
    assert.deepEqual(icmp.map((g) => g.records), expectedGroups(FIXTURE.filter((r) => r.method === 'icmp')).map((g) => g.records));
    assert.deepEqual(await store.groupAggregates(T0 + 3 * MIN, T0 + 4 * MIN), []);
  });

  it("gives one VIP's series by province and isp", async () => {
    for (const [vip, method] of [['198.19.0.1', undefined], ['198.19.0.2', 'tcp'], ['198.19.0.2', undefined]] as const) {
      const got = await store.vipSeries(vip, T0, T0 + 3 * MIN, method ? { method } : {});
      const want = expectedGroups(FIXTURE.filter((r) => r.vip === vip && (!method || r.method === method)));
      assert.equal(got.length, want.length, `${vip} ${method ?? 'all'}`);
      got.forEach((p, i) => {
        const w = want[i]!;
        assert.deepEqual([p.minute, p.province, p.isp], [w.minute, w.province, w.isp]);
        close(p.rttMin, w.rttMin, 'rttMin');
        close(p.rttAvg, w.rttAvg, 'rttAvg');
        close(p.rttMax, w.rttMax, 'rttMax');
        close(p.lossPct, w.lossPct, 'lossPct');
      });
    }
    // the (beijing, ct) minute where h2 lost everything: loss over summed probes
    const m1 = (await store.vipSeries('198.19.0.1', T0 + MIN, T0 + 2 * MIN)).find((p) => p.province === 'beijing')!;
    close(m1.lossPct, (100 * (40 - 19)) / 40, 'beijing loss at minute 1');
    assert.deepEqual(await store.vipSeries('198.19.9.9', T0, T0 + 3 * MIN), []);
  });

  it('reads buckets grouped and filtered by tags', async () => {
    for (const [bucketMs, by, where, method] of [
      [2 * MIN, ['isp'], {}, undefined], [MIN, ['isp', 'vipDc'], {}, 'icmp'], [3 * MIN, ['province', 'isp'], { vip: '198.19.0.1' }, undefined],
    ] as const) {
      const got = await store.buckets({ fromMs: T0, toMs: T0 + 3 * MIN, bucketMs, by: [...by], where, method });
      const src = FIXTURE.filter((r) => (!('vip' in where) || r.vip === where.vip) && (!method || r.method === method));
      const want = expectedBuckets(src, bucketMs, [...by]);
      assert.equal(got.length, want.length, `${by.join(',')} every ${bucketMs / MIN} min`);
      got.forEach((p, i) => {
        const w = want[i]!;
        assert.deepEqual([p.minute, ...by.map((t) => p[t])], [w.minute, ...w.tags]);
        close(p.rttMin, w.rttMin, 'rttMin');
        close(p.rttAvg, w.rttAvg, 'rttAvg');
        close(p.rttMax, w.rttMax, 'rttMax');
        close(p.lossPct, w.lossPct, 'lossPct');
      });
      // raw buckets count their records (the board's completeness check for by-DC cells reads it)
      assert.equal(got.reduce((s, p) => s + (p.records ?? 0), 0), src.filter((r) => Date.parse(r.ts) < T0 + 3 * MIN).length, `${by.join(',')} records`);
    }
    await assert.rejects(store.buckets({ fromMs: T0, toMs: T0 + MIN, bucketMs: 5, by: ['isp'] }), /bucketMs 5/);
  });

  it('stores fault events for board annotations', async () => {
    const dc = episode('dc', 'idc-beijing-ct', T0, null);
    const vip = episode('vip', '198.19.0.1', T0 + MIN, T0 + 2 * MIN);
    await store.writeFaultEvents([
      { minute: T0 + 2 * MIN, event: 'open', episode: dc },
      { minute: T0 + 3 * MIN, event: 'open', episode: vip },
      { minute: T0 + 5 * MIN, event: 'close', episode: { ...vip, end: iso(T0 + 5 * MIN) } },
    ]);
    await store.writeFaultEvents([{ minute: T0 + 2 * MIN, event: 'open', episode: dc }]);
    const got = await store.faultEvents(T0, T0 + 10 * MIN);
    assert.deepEqual(got.map((e) => [e.minute - T0, e.event, e.id, e.uid]), [
      [2 * MIN, 'open', 'dc:idc-beijing-ct', `dc:idc-beijing-ct@${iso(T0)}`],
      [3 * MIN, 'open', 'vip:198.19.0.1', `vip:198.19.0.1@${iso(T0 + MIN)}`],
      [5 * MIN, 'close', 'vip:198.19.0.1', `vip:198.19.0.1@${iso(T0 + MIN)}`],
    ]);
    assert.equal(got[0]!.title, 'DC fault idc-beijing-ct opened');
    assert.equal(got[2]!.title, 'VIP fault 198.19.0.1 closed');
    assert.equal(got[0]!.text, 'isps: ct, cu; provinces: beijing; VIPs: 198.19.0.1; businesses: search');
    assert.deepEqual([got[0]!.type, got[0]!.key], ['dc', 'idc-beijing-ct']);
    assert.equal((await store.faultEvents(T0 + 3 * MIN, T0 + 5 * MIN)).length, 1);
  });
}

describe('series store contract: sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-series-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  contract(() => new SqliteSeriesStore({ file: join(dir, 'series.db'), log }));

  // The SQLite store answers whole-hour buckets from its hourly rollup (core/store/sqlite/rollup.ts), kept up on write.
  // Three hours and a bit of records, written in several batches, some re-written with other figures (a re-sent batch
  // or a correction) and some turned into total losses: hourly buckets over ranges that do and do not start and end
  // on an hour must equal the aggregation of the raw records by hand.
  const hourly = (): StoredRecord[] => {
    const out: StoredRecord[] = [];
    for (let m = -20; m < 200; m += 7) {
      for (const h of ['h1', 'h2', 'h3'] as const) {
        out.push(rec(m, h, '198.19.0.1', 'icmp', 20, (m + 100) % 5 === 0 ? 0 : 20 - ((m + 100) % 4), 10 + ((m + 100) % 9) + (h === 'h3' ? 20 : 0)));
        out.push(rec(m, h, '198.19.0.2', 'tcp', 5, 5, 40 + ((m + 100) % 3)));
      }
    }
    return out;
  };
  const checkHourly = async (store: SeriesStore, written: StoredRecord[]) => {
    const H = 3_600_000;
    // the board's per-minute groups come from the SQLite store's other rollup (probe_group)
    const groups = await store.groupAggregates(T0 - H, T0 + 4 * H);
    const wantGroups = expectedGroups(written);
    assert.deepEqual(groups.map((g) => [g.minute, g.province, g.isp, g.records]), wantGroups.map((w) => [w.minute, w.province, w.isp, w.records]));
    groups.forEach((g, i) => { close(g.rttAvg, wantGroups[i]!.rttAvg, 'group rttAvg'); close(g.lossPct, wantGroups[i]!.lossPct, 'group lossPct'); });
    for (const [fromMs, toMs, bucketMs, by, where] of [
      [T0 - H, T0 + 4 * H, H, ['province', 'isp'], { vip: '198.19.0.1' }],
      [T0 - 13 * MIN, T0 + 3 * H + 11 * MIN, H, ['isp'], {}],
      [T0 + 17 * MIN, T0 + 2 * H + 5 * MIN, 2 * H, ['isp', 'vipDc'], {}],
      [T0 + 5 * MIN, T0 + 50 * MIN, H, ['isp'], {}],
    ] as const) {
      const got = await store.buckets({ fromMs, toMs, bucketMs, by: [...by], where });
      const src = written.filter((r) => Date.parse(r.ts) >= fromMs && Date.parse(r.ts) < toMs && (!('vip' in where) || r.vip === where.vip));
      const want = expectedBuckets(src, bucketMs, [...by]);
      const what = `${(fromMs - T0) / MIN}..${(toMs - T0) / MIN} min by ${by.join(',')}`;
      assert.ok(want.length > 0, `${what}: the fixture has records there`);
      assert.deepEqual(got.map((p) => [p.minute, ...by.map((t) => p[t])]), want.map((w) => [w.minute, ...w.tags]), what);
      got.forEach((p, i) => {
        const w = want[i]!;
        close(p.rttMin, w.rttMin, `${what} rttMin`);
        close(p.rttAvg, w.rttAvg, `${what} rttAvg`);
        close(p.rttMax, w.rttMax, `${what} rttMax`);
        close(p.lossPct, w.lossPct, `${what} lossPct`);
      });
    }
  };

  it('hourly buckets (from the rollup) equal the raw records aggregated, across batches and re-writes', async () => {
    const store = new SqliteSeriesStore({ file: join(dir, 'hourly.db'), log });
    await store.init();
    try {
      const rs = hourly();
      for (let i = 0; i < rs.length; i += 25) await store.write(rs.slice(i, i + 25));
      await checkHourly(store, rs);
      // re-writes: lower an extreme (the old max must not survive), lose everything, and change a tag-free figure
      const changed = rs.map((r, i) => {
        if (i % 11 === 0) return { ...r, recv: 0, rttMin: undefined, rttAvg: undefined, rttMax: undefined };
        if (i % 7 === 0) return { ...r, recv: r.sent, rttMin: 1, rttAvg: 2, rttMax: 3 };
        return r;
      }).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as StoredRecord);
      await store.write(changed.filter((_, i) => i % 7 === 0 || i % 11 === 0 || i % 13 === 0));
      await checkHourly(store, changed);
    } finally {
      await store.close();
    }
  });

  it('a file written before the rollup existed gets it filled on open', async () => {
    const file = join(dir, 'old.db');
    const rs = hourly();
    const first = new SqliteSeriesStore({ file, log });
    await first.init();
    await first.write(rs);
    await first.close();
    const db = new Database(file);
    db.exec('DROP TABLE probe_hour');
    db.close();
    const store = new SqliteSeriesStore({ file, log });
    await store.init();
    try {
      await checkHourly(store, rs);
    } finally {
      await store.close();
    }
  });
});

const influxMissing = missing({ commands: ['influxd'] });
describe('series store contract: influx', { skip: influxMissing ?? false }, () => {
  let influxd: Influxd;
  const layout = { database: 'contract', retentionPolicy: 'vipwatch', retention: '30d', rollupRetention: '400d' };
  before(async () => { influxd = await startInfluxd(); });
  after(async () => { await influxd?.stop(); });
  // 7 lines per /write: the fixture goes out in several requests
  contract(() => new InfluxSeriesStore({ url: influxd.url, ...layout, minuteSec: 60, linesPerWrite: 7, log }));

  it('created the retention policies and the hourly rollup, whose query rolls records up as named', async () => {
    const client = new InfluxClient({ url: influxd.url, database: layout.database });
    try {
      const rps = await client.rows('SHOW RETENTION POLICIES ON "contract"');
      assert.deepEqual(rps.filter((r) => r.name !== 'autogen').map((r) => [r.name, r.duration, r.default]),
        [['vipwatch', '720h0m0s', true], ['rollup', '9600h0m0s', false]]);
      const [cqs = []] = await client.query('SHOW CONTINUOUS QUERIES');
      assert.ok(cqs.find((s) => s.name === 'contract')?.values?.some((v) => v[0] === ROLLUP_CQ), 'cq_probe_1h exists');
      // Run the continuous query's own SELECT ... INTO over the fixture's hour and check the rollup.
      await client.query(rollupSelect(layout, `time >= ${T0}ms AND time < ${T0 + 3_600_000}ms`));
      const rows = await client.rows(`SELECT * FROM "contract"."rollup"."probe_1h" WHERE "host" = 'h1' AND "vip" = '198.19.0.2' AND "method" = 'icmp'`);
      assert.equal(rows.length, 1);
      const src = FIXTURE.filter((r) => r.host === 'h1' && r.vip === '198.19.0.2' && r.method === 'icmp');
      const row = rows[0]!;
      assert.equal(row.time, T0);
      assert.deepEqual([row.sent, row.recv, row.business, row.province], [30, src.reduce((s, r) => s + r.recv, 0), 'video', 'beijing']);
      close(row.rtt_min as number, Math.min(...src.map((r) => r.rttMin!)), 'rollup rtt_min');
      close(row.rtt_max as number, Math.max(...src.map((r) => r.rttMax!)), 'rollup rtt_max');
      close(row.rtt_avg as number, mean(src.map((r) => r.rttAvg!)), 'rollup rtt_avg');
      close(row.loss as number, mean(src.map(lossPct)), 'rollup loss');
    } finally {
      client.close();
    }
  });

  it('reads whole-hour buckets from the rollup', async () => {
    // The rollup test above ran the continuous query's SELECT over the fixture's hour; a raw record changed since then
    // must not show in hourly buckets (they come from probe_1h), but does in minute buckets.
    const store = new InfluxSeriesStore({ url: influxd.url, ...layout, minuteSec: 60, log });
    try {
      const q = { fromMs: T0, toMs: T0 + 3_600_000, by: ['isp' as const], where: { vip: '198.19.0.2' }, method: 'icmp' as const };
      const before = await store.buckets({ ...q, bucketMs: 3_600_000 });
      const want = expectedBuckets(FIXTURE.filter((r) => r.vip === '198.19.0.2' && r.method === 'icmp'), 3_600_000, ['isp']);
      assert.deepEqual(before.map((p) => [p.minute, p.isp]), want.map((w) => [w.minute, ...w.tags]));
      before.forEach((p, i) => close(p.lossPct, want[i]!.lossPct, 'hourly loss'));
      await store.write([rec(0, 'h3', '198.19.0.2', 'icmp', 10, 0)]);
      assert.deepEqual(await store.buckets({ ...q, bucketMs: 3_600_000 }), before);
      const raw = await store.buckets({ ...q, bucketMs: MIN });
      assert.equal(raw.find((p) => p.minute === T0 && p.isp === 'cu')!.lossPct, 100);
    } finally {
      await store.close();
    }
  });

  it('tells a write the server refuses (400, its own words) from a server that cannot take it (404, timeout)', async () => {
    const client = new InfluxClient({ url: influxd.url, database: layout.database });
    const gone = new InfluxClient({ url: influxd.url, database: 'no_such_database' });
    // a server that answers nothing in time: a socket that accepts and stays silent
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const slow = new InfluxClient({ url: `http://127.0.0.1:${(silent.address() as { port: number }).port}`, database: 'x', timeoutMs: 300 });
    try {
      const now = Math.floor(Date.now() / 1000);
      const bad = await client.write(`probe,host=h sent= ${now}`, layout.retentionPolicy).then(() => null, (e: unknown) => e);
      assert.ok(bad instanceof InfluxRequestError && bad.status === 400, `400 as InfluxRequestError: ${String(bad)}`);
      assert.match(bad.message, /^InfluxDB http:\/\/127\.0\.0\.1:\d+ write: 400 unable to parse/);
      await assert.rejects(gone.write(Buffer.from('probe,host=h sent=1i 1'), 'autogen'), (e: unknown) => e instanceof StoreUnavailableError && / write: 404 database not found/.test(e.message));
      await assert.rejects(slow.write('probe,host=h sent=1i 1', 'autogen'), (e: unknown) => e instanceof StoreUnavailableError && / write: timed out$/.test(e.message));
      // and a good body, as a Buffer, is stored
      await client.write(Buffer.from(`client_check,host=buffer-write sent=1i ${now}`), layout.retentionPolicy);
      assert.equal((await client.rows(`SELECT "sent" FROM "contract"."vipwatch"."client_check"`)).length, 1);
    } finally {
      client.close();
      gone.close();
      slow.close();
      silent.close();
    }
  });

  it('says StoreUnavailableError when the server cannot be reached', async () => {
    const dead = new InfluxSeriesStore({ url: `http://127.0.0.1:${await freePort()}`, ...layout, minuteSec: 60, log });
    try {
      assert.equal(await dead.ping(), false);
      await assert.rejects(dead.write(FIXTURE.slice(0, 1)), StoreUnavailableError);
      await assert.rejects(dead.init(), StoreUnavailableError);
      await assert.rejects(dead.readRange(T0, T0 + MIN), StoreUnavailableError);
    } finally {
      await dead.close();
    }
  });
});
