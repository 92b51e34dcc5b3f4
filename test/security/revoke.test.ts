// Finding 4: everything that grants access can be taken back. Agent tokens by generation (shared by every gateway
// replica through the admin store), users, API tokens (revoked or expired), and sessions when the password changes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { stringify } from 'yaml';
import { tokenCommand } from '../../bin/commands/token.js';
import { userCommand } from '../../bin/commands/user.js';
import { parseConfig } from '../../core/config.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import type { AdminStore } from '../../core/store/admin.js';
import { MysqlAdminStore } from '../../core/store/mysql/admin.js';
import { SqliteAdminStore } from '../../core/store/sqlite/admin.js';
import { mountGateway } from '../../gateway/compose.js';
import { parseToken, tokenFor } from '../../gateway/tokens.js';
import { mariadbDatabase, stopMariadb } from '../support/mariadb.js';
import { ADMIN, login, startWeb, VIEWER } from '../web/harness.js';

const log = createLogger('silent');
after(() => stopMariadb());

/** Runs a CLI command in this process and returns its exit code and what it printed on stdout. */
async function cli(t: TestContext, run: () => Promise<number>): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const logMock = t.mock.method(console, 'log', (m: string) => { out.push(m); });
  const errMock = t.mock.method(console, 'error', () => {});
  try {
    return { code: await run(), out };
  } finally {
    logMock.mock.restore();
    errMock.mock.restore();
  }
}

async function until(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('revocation in the admin store', () => {
  const contract = (open: (t: TestContext) => Promise<{ store: AdminStore; setNow(d: Date): void; close(): Promise<void> } | null>) => {
    test('agent token generations start at 0 and go up by one per bump, per host', async (t) => {
      const h = await open(t);
      if (!h) return;
      t.after(() => h.close());
      assert.deepEqual([...(await h.store.agentTokenGenerations())], []);
      assert.equal(await h.store.bumpAgentTokenGeneration('cdn.gz1.001'), 1);
      assert.equal(await h.store.bumpAgentTokenGeneration('cdn.gz1.001'), 2);
      assert.equal(await h.store.bumpAgentTokenGeneration('cdn-bj-2'), 1);
      assert.deepEqual([...(await h.store.agentTokenGenerations())].sort(), [['cdn-bj-2', 1], ['cdn.gz1.001', 2]]);
    });

    test('deleting a user ends their sessions and tokens; API tokens expire; tokens revoke per user', async (t) => {
      const h = await open(t);
      if (!h) return;
      t.after(() => h.close());
      const s = h.store;
      h.setNow(new Date('2026-11-23T14:00:00Z'));
      for (const name of ['alice', 'bob']) await s.putUser({ name, role: 'admin', passwordHash: 'scrypt$x', createdAt: '2026-11-23T14:00:00Z' });
      await s.createSession({ id: 'sa', user: 'alice', csrf: 'c', expiresAt: '2026-11-23T18:00:00Z' });
      await s.createSession({ id: 'sb', user: 'bob', csrf: 'c', expiresAt: '2026-11-23T18:00:00Z' });
      const tok = (id: string, user: string, expiresAt?: string) => ({ id, user, tokenHash: id.repeat(64).slice(0, 64), createdAt: '2026-11-23T14:00:00Z', label: 'x', ...(expiresAt ? { expiresAt } : {}) });
      await s.createApiToken(tok('a', 'alice'));
      await s.createApiToken(tok('b', 'bob', '2026-11-23T15:00:00Z'));
      await s.createApiToken(tok('c', 'bob'));
      assert.equal((await s.findApiToken(tok('b', 'bob').tokenHash))?.expiresAt, '2026-11-23T15:00:00.000Z');
      h.setNow(new Date('2026-11-23T15:00:00Z'));
      assert.equal(await s.findApiToken(tok('b', 'bob').tokenHash), null, 'expired at expiresAt');
      assert.equal(await s.deleteApiTokensOf('bob'), 2);
      assert.equal(await s.findApiToken(tok('c', 'bob').tokenHash), null);
      assert.equal(await s.deleteSessionsOf('bob'), 1);
      assert.equal(await s.getSession('sb'), null);
      assert.equal(await s.deleteUser('alice'), true);
      assert.equal(await s.deleteUser('alice'), false);
      assert.equal(await s.getUser('alice'), null);
      assert.equal(await s.getSession('sa'), null);
      assert.equal(await s.findApiToken(tok('a', 'alice').tokenHash), null);
      assert.ok(await s.getUser('bob'));
    });
  };

  describe('sqlite', () => contract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vipwatch-revoke-'));
    let now = new Date();
    const store = new SqliteAdminStore({ file: join(dir, 'admin.db'), log, now: () => now });
    await store.init();
    return { store, setNow: (d) => { now = d; }, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
  }));

  describe('mariadb', () => contract(async (t) => {
    const db = await mariadbDatabase(t);
    if (!db) return null;
    let now = new Date();
    const store = new MysqlAdminStore({ url: db.url, log, now: () => now });
    await store.init();
    return { store, setNow: (d) => { now = d; }, close: async () => { await store.close(); await db.close(); } };
  }));
});

test('agent tokens: HOST.gN.MAC names its generation; hosts with dots parse either way', () => {
  const s = 'secret-aaaaaaaaaaaaaaaa';
  assert.deepEqual(parseToken(s, tokenFor(s, 'cdn.gz1.001')), { host: 'cdn.gz1.001', generation: 0 });
  assert.deepEqual(parseToken(s, tokenFor(s, 'cdn.gz1.001', 3)), { host: 'cdn.gz1.001', generation: 3 });
  assert.deepEqual(parseToken(s, tokenFor(s, 'a.g2', 0)), { host: 'a.g2', generation: 0 });
  assert.equal(parseToken(s, tokenFor(s, 'h', 2).replace('.g2.', '.g3.')), null, 'the generation is under the MAC');
});

test('agent tokens: `vipwatch token HOST --rotate` ends the old token on every gateway replica', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-revoke-gw-'));
  const settings = { secret: 'revoke-test-secret-0123456789', logLevel: 'silent', dataDir: dir, agentTokens: { refreshSec: 0.2 } };
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(settings));
  const cfg = parseConfig(settings, 'test');
  const replicas = await Promise.all([0, 1].map(async () => {
    const registry = createRegistry();
    const app = createHttpApp(log, registry, {});
    const gw = mountGateway(app, cfg, log, registry);
    finishApp(app, log);
    const server = await listen(app, 0, '127.0.0.1');
    return { gw, url: `http://127.0.0.1:${server.port}`, close: async () => { await server.close(); await gw.stop(); } };
  }));
  t.after(async () => { for (const r of replicas) await r.close(); rmSync(dir, { recursive: true, force: true }); });
  const host = [...replicas[0]!.gw.state.current.allowed.keys()][0]!;
  const status = async (url: string, token: string) => (await fetch(`${url}/api/v1/tasks`, { headers: { Authorization: `Bearer ${token}` } })).status;

  const first = await cli(t, () => tokenCommand.run({ config: file }, [host]));
  assert.equal(first.code, 0);
  const old = first.out[0]!;
  assert.equal(old, tokenFor(cfg.secret!, host), 'generation 0 is the token as before');
  for (const r of replicas) assert.equal(await status(r.url, old), 200);

  const rotated = await cli(t, () => tokenCommand.run({ config: file, rotate: true }, [host]));
  assert.equal(rotated.code, 0);
  const fresh = rotated.out[0]!;
  assert.notEqual(fresh, old);
  for (const r of replicas) {
    await until(`replica ${r.url} refuses the old token`, async () => (await status(r.url, old)) === 401);
    assert.equal(await status(r.url, fresh), 200);
  }
  assert.deepEqual((await cli(t, () => tokenCommand.run({ config: file }, [host]))).out, [fresh], '`vipwatch token HOST` prints the current one');

  const revoked = await cli(t, () => tokenCommand.run({ config: file, revoke: true }, [host]));
  assert.deepEqual([revoked.code, revoked.out], [0, []]);
  for (const r of replicas) await until(`replica ${r.url} refuses the revoked token`, async () => (await status(r.url, fresh)) === 401);
  // other hosts are untouched
  const other = [...replicas[0]!.gw.state.current.allowed.keys()][1]!;
  assert.equal(await status(replicas[1]!.url, tokenFor(cfg.secret!, other)), 200);
});

test('users: delete, token revoke and token expiry take effect at the next request; a new password ends sessions', async (t) => {
  const w = await startWeb({ apiReadAuth: true });
  t.after(() => w.stop());
  const file = join(w.dir, 'config.yaml');
  writeFileSync(file, stringify({ dataDir: w.dir, logLevel: 'silent' }));
  const api = (headers: Record<string, string>) => fetch(`${w.url}/api/v1/whitelist`, { headers }).then((r) => r.status);

  // API token: works, then `user token revoke` ends it
  const issued = await cli(t, () => userCommand.run({ config: file, days: '30' }, ['token', ADMIN.user]));
  assert.equal(issued.code, 0);
  const token = issued.out[0]!;
  assert.equal(await api({ Authorization: `Bearer ${token}` }), 200);
  assert.equal((await cli(t, () => userCommand.run({ config: file }, ['token', 'revoke', ADMIN.user]))).code, 0);
  assert.equal(await api({ Authorization: `Bearer ${token}` }), 401);

  // expiry: a token is stored with its expiry; one past it no longer counts
  const later = await cli(t, () => userCommand.run({ config: file, days: '1' }, ['token', ADMIN.user]));
  const expiring = later.out[0]!;
  const { createHash } = await import('node:crypto');
  const stored = await w.admin.findApiToken(createHash('sha256').update(expiring).digest('hex'));
  const left = Date.parse(stored!.expiresAt!) - Date.now();
  assert.ok(left > 86_400_000 - 60_000 && left <= 86_400_000, `expires in ${left} ms`);
  await w.admin.createApiToken({ ...stored!, id: 'old1', tokenHash: createHash('sha256').update('vwt_expired').digest('hex'), expiresAt: new Date(Date.now() - 1000).toISOString() });
  assert.equal(await api({ Authorization: 'Bearer vwt_expired' }), 401);
  assert.equal((await cli(t, () => userCommand.run({ config: file, days: '0' }, ['token', ADMIN.user]))).code, 2, 'a lifetime of 0 days is refused');

  // a new password ends the user's sessions
  const vera = await login(w.url, VIEWER.user, VIEWER.password);
  assert.equal(await api({ Cookie: vera.cookie }), 200);
  await w.web.router.access.putUser(VIEWER.user, 'viewer', 'viewer-new-pass-789');
  assert.equal(await api({ Cookie: vera.cookie }), 401);

  // delete: session and tokens of the user end with it
  const again = await login(w.url, VIEWER.user, 'viewer-new-pass-789');
  const veraToken = (await cli(t, () => userCommand.run({ config: file }, ['token', VIEWER.user]))).out[0]!;
  assert.equal(await api({ Authorization: `Bearer ${veraToken}` }), 200);
  assert.equal((await cli(t, () => userCommand.run({ config: file }, ['delete', VIEWER.user]))).code, 0);
  assert.equal(await api({ Cookie: again.cookie }), 401);
  assert.equal(await api({ Authorization: `Bearer ${veraToken}` }), 401);
  assert.equal(await w.admin.getUser(VIEWER.user), null);
  assert.equal((await cli(t, () => userCommand.run({ config: file }, ['delete', VIEWER.user]))).code, 1, 'an unknown user is an error');
});
