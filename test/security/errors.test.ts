// Errors mean the same everywhere: a store that is down is 503 + Retry-After in the web pages and the API as in the
// gateway; a bad input is a 400 naming the field; text from libraries never reaches a client (it is logged under the
// request id the answer carries). Real stores: InfluxDB (series) and MariaDB (admin) behind a proxy the test cuts.
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createOutboxStore } from '../../core/store/outbox-backends.js';
import { parseConfig } from '../../core/config.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { createRegistry } from '../../core/metrics.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import { mountGateway, type Gateway } from '../../gateway/compose.js';
import { tokenFor } from '../../gateway/tokens.js';
import { mountWeb, type WebPart } from '../../web/compose.js';
import { startInfluxd, type Influxd } from '../support/influxd.js';
import { mariadbDatabase, stopMariadb, type MariaDbDatabase } from '../support/mariadb.js';
import { missing } from '../support/env.js';
import { batchFor, isoMinute } from '../ingest/harness.js';
import { login } from '../web/harness.js';

/** A TCP proxy to 127.0.0.1:port that can be cut: the store behind it is "down" for whoever connects through it. */
async function proxy(port: number) {
  const sockets = new Set<Socket>();
  const server = createServer((c) => {
    const u = connect(port, '127.0.0.1');
    for (const s of [c, u]) { sockets.add(s); s.on('error', () => s.destroy()); s.on('close', () => sockets.delete(s)); }
    c.pipe(u).pipe(c);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    cut: () => new Promise<void>((r) => { server.close(() => r()); for (const s of sockets) s.destroy(); }),
  };
}

const SECRET = 'errors-test-secret-0123456789';
const LIBRARY_TEXT = /ECONN|ETIMEDOUT|PROTOCOL_|127\.0\.0\.1|mysql|influx|Unexpected|JSON input|at position|URIError|stack/i;

describe('errors mean the same everywhere', () => {
  let influx: Influxd;
  let db: MariaDbDatabase | null = null;
  let cut: () => Promise<void>;
  let url: string;
  let gw: Gateway;
  let web: WebPart;
  let close: () => Promise<void>;
  const lines: string[] = [];
  const ADMIN_PW = 'admin-pass-123';

  before(async (t) => {
    if (missing({ commands: ['influxd'] })) return;
    influx = await startInfluxd();
    db = await mariadbDatabase(t as never);
    if (!db) return;
    const p = await proxy(Number(new URL(db.url).port || 3306));
    cut = p.cut;
    const viaProxy = new URL(db.url);
    viaProxy.port = String(p.port);
    const dir = mkdtempSync(join(tmpdir(), 'vipwatch-errors-'));
    const cfg = parseConfig({
      dataDir: dir, logLevel: 'info', secret: SECRET,
      series: { backend: 'influx', influx: { url: influx.url, timeoutMs: 2000 } },
      admin: { backend: 'mysql', mysql: { url: viaProxy.toString() } },
      web: { adminPassword: ADMIN_PW }, ingest: { retryAfterSec: 7 },
    }, 'test');
    const log = pino({ level: 'info' }, { write: (l: string) => { lines.push(l); } });
    const registry = createRegistry();
    const admin = createAdminStore(cfg, log), faults = createFaultStore(cfg, log), series = createSeriesStore(cfg, log), outbox = createOutboxStore(cfg, log);
    await Promise.all([admin.init(), faults.init(), series.init(), outbox.init()]);
    const app = createHttpApp(log, registry, {});
    gw = mountGateway(app, cfg, log, registry, { series, admin });
    web = await mountWeb(app, { admin, faults, series, catalog: () => gw.state.current.catalog, config: cfg, log, registry, outbox, now: Date.now });
    finishApp(app, log, cfg.ingest.retryAfterSec);
    const server = await listen(app, 0, '127.0.0.1');
    url = `http://127.0.0.1:${server.port}`;
    close = async () => {
      web.close();
      await server.close();
      await gw.stop();
      await Promise.allSettled([admin.close(), faults.close(), series.close(), outbox.close()]);
      rmSync(dir, { recursive: true, force: true });
    };
  });
  after(async () => { await close?.(); await db?.close().catch(() => {}); await influx?.stop(); await stopMariadb(); });

  const host = () => [...gw.state.current.allowed.keys()][0]!;
  const postResults = (body: string) => fetch(`${url}/api/v1/results`, { method: 'POST', headers: { Authorization: `Bearer ${tokenFor(SECRET, host())}`, 'content-type': 'application/json' }, body });
  const records = () => JSON.stringify({ host: host(), results: batchFor({ gw } as never, host(), Date.parse(isoMinute(Math.floor(Date.now() / 60_000) * 60_000 - 120_000))) });

  it('a bad input is a 400 naming the field, without library text', async (t) => {
    if (!db) return t.skip(`skipped: ${missing({ commands: ['influxd'] }) ?? 'no MariaDB'}`);
    const s = await login(url, 'admin', ADMIN_PW);
    const bad = await fetch(`${url}/api/v1/whitelist`, { method: 'POST', headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ vip: 7, reason: '' }) });
    const body = (await bad.json()) as { error: string; fields: Array<{ field: string }> };
    assert.equal(bad.status, 400);
    assert.ok(body.fields.some((f) => f.field === 'vip') && body.fields.some((f) => f.field === 'reason'), JSON.stringify(body));
    const limit = await fetch(`${url}/api/v1/faults?limit=abc`);
    assert.equal(limit.status, 400);
    assert.match(((await limit.json()) as { error: string }).error, /^limit "abc"/);
    for (const res of [
      await fetch(`${url}/api/v1/whitelist`, { method: 'POST', headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf, 'content-type': 'application/json' }, body: '{"vip": 7,' }),
      await postResults('{"results": [1,'),
    ]) {
      const b = (await res.json()) as { error: string };
      assert.equal(res.status, 400);
      assert.match(b.error, /^body: not valid JSON/);
      assert.doesNotMatch(b.error, LIBRARY_TEXT, b.error);
    }
    assert.equal((await postResults(records())).status, 200, 'the stores answer before they are cut');
  });

  it('stores down: 503 + Retry-After in the gateway, the API and the pages, with a request id and no library text', async (t) => {
    if (!db) return t.skip(`skipped: ${missing({ commands: ['influxd'] }) ?? 'no MariaDB'}`);
    const s = await login(url, 'admin', ADMIN_PW);
    await cut();
    await influx.kill();
    const answers = [
      { what: 'gateway results', res: await postResults(records()) },
      { what: 'API whitelist', res: await fetch(`${url}/api/v1/whitelist`) },
      { what: 'API whitelist write', res: await fetch(`${url}/api/v1/whitelist`, { method: 'POST', headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ dc: 'x', reason: 'y' }) }) },
      { what: 'page /board', res: await fetch(`${url}/board`, { headers: { Cookie: s.cookie, Accept: 'text/html' }, redirect: 'manual' }) },
    ];
    for (const { what, res } of answers) {
      const text = await res.text();
      assert.equal(res.status, 503, `${what}: ${res.status} ${text}`);
      assert.equal(res.headers.get('retry-after'), '7', what);
      assert.doesNotMatch(text, LIBRARY_TEXT, `${what}: ${text}`);
    }
    const api = answers[1]!.res;
    const id = api.headers.get('x-request-id')!;
    assert.match(id, /^[\w-]{8,}$/);
    const logged = lines.map((l) => JSON.parse(l) as { requestId?: string; err?: unknown }).find((l) => l.requestId === id);
    assert.ok(logged && /ECONNREFUSED|PROTOCOL_CONNECTION_LOST|admin store/.test(JSON.stringify(logged.err)), `the cause is logged under ${id}`);
  });
});
