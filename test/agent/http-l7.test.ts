// L7 http checks against a real HTTPS server with a self-signed certificate made by openssl for this test: phases
// present and in order, status, expected statuses, body pattern, certificate days left against the certificate's own
// notAfter (read back with `openssl x509 -enddate`); then the minute record with its http fields, stored and read
// back in SQLite (including a file made before the http columns existed) and in a real InfluxDB, with an IPv6 VIP.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { systemClock } from '../../agent/clock.js';
import { probeOnce } from '../../agent/oneshot.js';
import { HttpProbe } from '../../agent/probes/http.js';
import { rttOf, type DetailedReply, type ProbeTarget } from '../../agent/probes/method.js';
import { createLogger } from '../../core/log.js';
import { recordSchema, type ResultRecord } from '../../core/records.js';
import { InfluxSeriesStore } from '../../core/store/influx/series.js';
import type { SeriesStore, StoredRecord } from '../../core/store/series.js';
import { SqliteSeriesStore } from '../../core/store/sqlite/series.js';
import { missing } from '../support/env.js';
import { startInfluxd, type Influxd } from '../support/influxd.js';

const log = createLogger('silent');
const CERT_DAYS = 10;
const DAY_MS = 86_400_000;
const opensslMissing = missing({ commands: ['openssl'] });

describe('http probe (L7) against a real HTTPS server', { skip: opensslMissing ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-l7-'));
  let server: Server;
  let port = 0;
  let notAfter = 0;
  const probe = new HttpProbe();
  const target = (path: string, more: Partial<ProbeTarget> = {}): ProbeTarget =>
    ({ address: '127.0.0.1', url: `https://vip.test:${port}${path}`, ...more });
  const detailed = async (t: ProbeTarget): Promise<DetailedReply> => {
    const r = await probe.probe(t, 2000);
    assert.ok(r !== null && typeof r === 'object', `a response was seen for ${t.url}`);
    return r;
  };

  before(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', String(CERT_DAYS), '-subj', '/CN=vip.test', '-addext', 'subjectAltName=DNS:vip.test'], { stdio: 'ignore' });
    // the certificate's own end date, as openssl prints it: "notAfter=Dec 10 11:20:00 2026 GMT"
    const end = execFileSync('openssl', ['x509', '-enddate', '-noout', '-in', join(dir, 'cert.pem')], { encoding: 'utf8' });
    notAfter = Date.parse(end.trim().replace(/^notAfter=/, ''));
    assert.ok(Number.isFinite(notAfter), `parsed ${end}`);
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      const send = (status: number, body: string) => { res.statusCode = status; res.end(body); };
      if (req.url === '/health') return send(200, 'status: healthy');
      if (req.url === '/degraded') return send(200, 'status: degraded');
      if (req.url === '/missing') return send(404, 'no such page');
      if (req.url === '/moved') { res.setHeader('Location', '/health'); return send(301, ''); }
      // 80 ms before the headers, then 120 ms before the body's end
      if (req.url === '/slow') {
        return void setTimeout(() => { res.writeHead(200); res.write('status: '); setTimeout(() => res.end('healthy'), 120); }, 80);
      }
      send(500, 'unexpected');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    await probe.close();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports status, phases in order, and the certificate days left from its notAfter', async () => {
    const before = Date.now();
    const r = await detailed(target('/health'));
    const h = r.http;
    assert.equal(h.status, 200);
    assert.ok(r.rtt !== null, '200 is a success');
    assert.equal(h.bodyMismatch, false);
    // a named URL: the name is looked up (pinned to the VIP address), so every phase happened
    assert.ok(h.dnsMs > 0, `dns ${h.dnsMs}`);
    const phases = [h.dnsMs, h.connectMs, h.tlsMs!, h.firstByteMs, h.totalMs];
    assert.deepEqual([...phases].sort((a, b) => a - b), phases, `phases in order: ${phases.join(' <= ')}`);
    assert.ok(Math.abs(r.rtt - h.firstByteMs) < 0.01, 'the RTT of an http check is its time to the first byte');
    const expected = (notAfter - before) / DAY_MS;
    assert.ok(Math.abs(h.certDaysLeft! - expected) < 0.02, `cert days left ${h.certDaysLeft}, notAfter says ${expected.toFixed(3)}`);
    assert.ok(h.certDaysLeft! > CERT_DAYS - 1 && h.certDaysLeft! <= CERT_DAYS, 'a certificate made for 10 days');
  });

  it('times the server: first byte after the headers came, total after the body ended', async () => {
    const h = (await detailed(target('/slow'))).http;
    assert.ok(h.firstByteMs - h.tlsMs! >= 75, `headers came 80 ms after the request: first byte ${h.firstByteMs}, tls ${h.tlsMs}`);
    assert.ok(h.totalMs - h.firstByteMs >= 110, `body ended 120 ms after the headers: total ${h.totalMs}, first byte ${h.firstByteMs}`);
  });

  it('succeeds by the expected statuses (default 2xx/3xx) and fails on a body pattern miss', async () => {
    assert.ok(rttOf(await detailed(target('/moved'))) !== null, '301 succeeds by default');
    const missingPage = await detailed(target('/missing'));
    assert.deepEqual([missingPage.rtt, missingPage.http.status], [null, 404], '404 fails by default, its status reported');
    assert.ok(rttOf(await detailed(target('/missing', { expectStatus: [404] }))) !== null, 'expectStatus [404]: 404 succeeds');
    assert.equal(rttOf(await detailed(target('/moved', { expectStatus: ['2xx'] }))), null, 'expectStatus ["2xx"]: 301 fails');
    const ok = await detailed(target('/health', { bodyPattern: '^status: healthy$' }));
    assert.ok(ok.rtt !== null && !ok.http.bodyMismatch, 'the body matches');
    const bad = await detailed(target('/degraded', { bodyPattern: 'healthy' }));
    assert.deepEqual([bad.rtt, bad.http.status, bad.http.bodyMismatch], [null, 200, true], '200 with the wrong body is a failure');
    const slow = await detailed(target('/slow', { bodyPattern: 'status: healthy' }));
    assert.ok(slow.rtt !== null, 'a body that arrives in pieces is matched whole');
  });

  it('puts the minute\'s http fields into the record (vipwatch probe / the agent\'s tally)', async () => {
    const [rec] = await probeOnce({
      method: probe, targets: [{ vip: 'fd00::10', probe: target('/degraded', { bodyPattern: 'healthy' }) }],
      count: 3, intervalMs: 20, timeoutMs: 2000, host: 'h1', minuteMs: 60_000, clock: systemClock,
    });
    assert.ok(rec);
    assert.deepEqual({ sent: rec.sent, recv: rec.recv, status: rec.httpStatus, mismatch: rec.httpBodyMismatch }, { sent: 3, recv: 0, status: 200, mismatch: 3 });
    assert.equal(rec.rttAvg, undefined, 'no successes, no rtt fields');
    assert.ok(rec.httpDnsMs! <= rec.httpConnectMs! && rec.httpConnectMs! <= rec.httpTlsMs! && rec.httpTlsMs! <= rec.httpFirstByteMs! && rec.httpFirstByteMs! <= rec.httpTotalMs!);
    assert.ok(Math.abs(rec.certDaysLeft! - (notAfter - Date.now()) / DAY_MS) < 0.02);
    assert.equal(recordSchema.safeParse(rec).success, true, 'the record passes the shared schema');
  });
});

// ---- the record's http fields in both series stores, with an IPv6 VIP (a colon-laden tag and column value) ----
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const tags = { dc: 'dc-1', province: 'beijing', isp: 'ct', vipDc: 'idc-1', business: 'search' };
const httpRec: StoredRecord = {
  ts: iso(T0), host: 'h1', vip: 'fd00::10', method: 'http', sent: 10, recv: 9, rttMin: 3.5, rttAvg: 4.25, rttMax: 9, ...tags,
  httpStatus: 503, httpDnsMs: 0.012, httpConnectMs: 0.31, httpTlsMs: 2.5, httpFirstByteMs: 4.1, httpTotalMs: 4.75, httpBodyMismatch: 1, certDaysLeft: 12.34,
};
const later: StoredRecord = { ...httpRec, ts: iso(T0 + 60_000), httpStatus: 200, httpBodyMismatch: undefined, certDaysLeft: 12.33 };
delete later.httpBodyMismatch;
const icmp6: StoredRecord = { ts: iso(T0), host: 'h1', vip: 'fd00::10', method: 'icmp', sent: 10, recv: 10, rttMin: 0.05, rttAvg: 0.06, rttMax: 0.08, ...tags };

async function roundTrip(store: SeriesStore): Promise<void> {
  await store.init();
  try {
    await store.write([httpRec, later, icmp6]);
    const back = await store.readRange(T0, T0 + 2 * 60_000);
    const key = (r: ResultRecord) => `${r.ts} ${r.method}`;
    assert.deepEqual(back.map((r) => ({ ...r })).sort((a, b) => key(a).localeCompare(key(b))), [httpRec, icmp6, later].sort((a, b) => key(a).localeCompare(key(b))));
    const checks = await store.httpChecks('fd00::10', T0, T0 + 2 * 60_000, 10);
    assert.deepEqual(checks.map((c) => [c.ts, c.httpStatus, c.certDaysLeft, c.httpBodyMismatch]), [[later.ts, 200, 12.33, undefined], [httpRec.ts, 503, 12.34, 1]], 'newest first');
    assert.equal(checks[1]!.httpTlsMs, 2.5);
    const series = await store.vipSeries('fd00::10', T0, T0 + 2 * 60_000, { method: 'icmp' });
    assert.deepEqual(series.map((p) => p.rttAvg), [0.06], 'an IPv6 VIP is found by its address');
  } finally {
    await store.close();
  }
}

describe('http fields and IPv6 VIPs in the series stores', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-l7-store-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sqlite: stored as columns and read back', () => roundTrip(new SqliteSeriesStore({ file: join(dir, 'new.db'), log })));

  it('sqlite: a file made before the http columns gets them at start (ALTER TABLE) and keeps its rows', async () => {
    const file = join(dir, 'old.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE probe (ts INTEGER NOT NULL, host TEXT NOT NULL, vip TEXT NOT NULL, method TEXT NOT NULL, dc TEXT NOT NULL,
      province TEXT NOT NULL, isp TEXT NOT NULL, vip_dc TEXT NOT NULL, business TEXT NOT NULL, sent INTEGER NOT NULL, recv INTEGER NOT NULL,
      loss REAL NOT NULL, rtt_min REAL, rtt_avg REAL, rtt_max REAL, PRIMARY KEY (ts, host, vip, method)) WITHOUT ROWID;
      INSERT INTO probe VALUES (${T0 - 60_000}, 'h0', '198.19.0.1', 'icmp', 'dc-1', 'beijing', 'ct', 'idc-1', 'search', 5, 5, 0, 1, 2, 3);`);
    old.close();
    const store = new SqliteSeriesStore({ file, log });
    await roundTrip(store);
    const db = new Database(file, { readonly: true });
    const cols = (db.prepare('PRAGMA table_info(probe)').all() as Array<{ name: string }>).map((c) => c.name);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM probe WHERE host = ?').get('h0') as { n: number }).n, 1, 'the old row is still there');
    db.close();
    for (const c of ['http_status', 'http_dns_ms', 'http_connect_ms', 'http_tls_ms', 'http_first_byte_ms', 'http_total_ms', 'http_body_mismatch', 'cert_days_left']) {
      assert.ok(cols.includes(c), `column ${c} added`);
    }
    await roundTrip(new SqliteSeriesStore({ file, log })); // a second start finds nothing to add
  });

  const influxMissing = missing({ commands: ['influxd'] });
  describe('influx', { skip: influxMissing ?? false }, () => {
    let influxd: Influxd;
    before(async () => { influxd = await startInfluxd(); });
    after(async () => { await influxd?.stop(); });
    it('stored as fields (integers where whole) and read back', async () => {
      const layout = { database: 'l7', retentionPolicy: 'vipwatch', retention: '30d', rollupRetention: '400d' };
      await roundTrip(new InfluxSeriesStore({ url: influxd.url, ...layout, minuteSec: 60, log }));
      const res = await fetch(`${influxd.url}/query?db=l7&q=${encodeURIComponent('SHOW FIELD KEYS FROM "probe"')}`);
      const body = await res.json() as { results: Array<{ series: Array<{ values: string[][] }> }> };
      const types = Object.fromEntries(body.results[0]!.series[0]!.values);
      assert.deepEqual([types.http_status, types.http_body_mismatch, types.cert_days_left, types.http_total_ms], ['integer', 'integer', 'float', 'float']);
    });
  });
});
