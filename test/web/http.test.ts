// The web part over plain HTTP with the real SQLite stores: who may write, CSRF, API tokens, the faults API.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FaultEpisode } from '../../core/model.js';
import { ADMIN, cookiesOf, login, startWeb, VIEWER, type TestWeb } from './harness.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

describe('web over HTTP', () => {
  let w: TestWeb;
  let vip: string;
  before(async () => {
    w = await startWeb({ loginBurst: 3, loginRefillSec: 60 });
    vip = [...w.catalog.vips.keys()][0]!;
  });
  after(() => w.stop());

  it('sets the session cookie httpOnly and SameSite=Strict, and stores passwords hashed', async () => {
    const page = await fetch(`${w.url}/login`);
    const loginCookie = cookiesOf(page).get('vipwatch_login')!;
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const res = await fetch(`${w.url}/login`, {
      method: 'POST', redirect: 'manual', headers: { 'Content-Type': FORM, Cookie: `vipwatch_login=${loginCookie}` },
      body: form({ _csrf: token, user: ADMIN.user, password: ADMIN.password }),
    });
    assert.equal(res.status, 303);
    const set = res.headers.getSetCookie().find((c) => c.startsWith('vipwatch_session='))!;
    assert.match(set, /; HttpOnly/);
    assert.match(set, /; SameSite=Strict/);
    const user = (await w.admin.getUser(ADMIN.user))!;
    assert.match(user.passwordHash, /^scrypt\$/);
    assert.ok(!user.passwordHash.includes(ADMIN.password));
  });

  it('refuses a login form posted without its CSRF token, and a wrong password', async () => {
    const noToken = await fetch(`${w.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': FORM }, body: form({ user: ADMIN.user, password: ADMIN.password }) });
    assert.equal(noToken.status, 403);
    assert.equal(noToken.headers.getSetCookie().some((c) => c.startsWith('vipwatch_session=')), false);
    await assert.rejects(login(w.url, ADMIN.user, 'wrong-password'), /HTTP 401/);
  });

  it('rate-limits login attempts per IP and user', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await login(w.url, 'mallory', 'guess-guess').then(() => 303, (e: Error) => Number(/HTTP (\d+)/.exec(e.message)![1])));
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    // Another user name from the same IP still has its own bucket.
    await login(w.url, VIEWER.user, VIEWER.password);
  });

  it('refuses unauthenticated writes with 401', async () => {
    const api = await fetch(`${w.url}/api/v1/whitelist`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ vip, reason: 'x' }) });
    assert.equal(api.status, 401);
    assert.equal((await fetch(`${w.url}/api/v1/whitelist/1`, { method: 'DELETE' })).status, 401);
    const page = await fetch(`${w.url}/whitelist`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': FORM }, body: form({ scope: 'vip', value: vip, reason: 'x' }) });
    assert.equal(page.status, 401);
    const bad = await fetch(`${w.url}/api/v1/whitelist`, { method: 'POST', headers: { Authorization: 'Bearer vwt_not-a-token', 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(bad.status, 401);
    assert.equal((await w.admin.listWhitelist({ includeExpired: true })).length, 0);
  });

  it('refuses writes by a viewer with 403 (session with CSRF token, and viewer API token)', async () => {
    const s = await login(w.url, VIEWER.user, VIEWER.password);
    const page = await fetch(`${w.url}/whitelist`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': FORM, Cookie: s.cookie }, body: form({ _csrf: s.csrf, scope: 'vip', value: vip, reason: 'x' }) });
    assert.equal(page.status, 403);
    const api = await fetch(`${w.url}/api/v1/whitelist`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: s.cookie, 'X-CSRF-Token': s.csrf }, body: JSON.stringify({ vip, reason: 'x' }) });
    assert.equal(api.status, 403);
    const token = await w.web.router.access.issueApiToken(VIEWER.user, 'test');
    const viaToken = await fetch(`${w.url}/api/v1/whitelist`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ vip, reason: 'x' }) });
    assert.equal(viaToken.status, 403);
    assert.equal((await w.admin.listWhitelist({ includeExpired: true })).length, 0);
  });

  it('refuses an admin form post and a cookie API write without the CSRF token; accepts them with it', async () => {
    const s = await login(w.url, ADMIN.user, ADMIN.password);
    const noCsrf = await fetch(`${w.url}/whitelist`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': FORM, Cookie: s.cookie }, body: form({ scope: 'vip', value: vip, reason: 'maintenance' }) });
    assert.equal(noCsrf.status, 403);
    const wrongCsrf = await fetch(`${w.url}/whitelist`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': FORM, Cookie: s.cookie }, body: form({ _csrf: 'x'.repeat(32), scope: 'vip', value: vip, reason: 'maintenance' }) });
    assert.equal(wrongCsrf.status, 403);
    const apiNoCsrf = await fetch(`${w.url}/api/v1/whitelist`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: s.cookie }, body: JSON.stringify({ vip, reason: 'maintenance' }) });
    assert.equal(apiNoCsrf.status, 403);
    assert.equal((await w.admin.listWhitelist({ includeExpired: true })).length, 0);

    const ok = await fetch(`${w.url}/whitelist`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': FORM, Cookie: s.cookie }, body: form({ _csrf: s.csrf, scope: 'vip', value: vip, reason: 'maintenance' }) });
    assert.equal(ok.status, 303);
    const [entry] = await w.admin.listWhitelist({ includeExpired: true });
    assert.equal(entry!.vip, vip);
    assert.equal(entry!.author, ADMIN.user);
    const viaApi = await fetch(`${w.url}/api/v1/whitelist/${entry!.id}`, { method: 'DELETE', headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf } });
    assert.equal(viaApi.status, 204);
  });

  it('lets a script add, list and delete entries with an admin API token, audited with who and why', async () => {
    const token = await w.web.router.access.issueApiToken(ADMIN.user, 'ci script');
    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const created = await fetch(`${w.url}/api/v1/whitelist`, { method: 'POST', headers: auth, body: JSON.stringify({ dc: 'idc-beijing-ct', reason: 'planned move', until }) });
    assert.equal(created.status, 201);
    const entry = await created.json() as Record<string, unknown>;
    assert.equal(entry.dc, 'idc-beijing-ct');
    assert.equal(entry.until, until);
    assert.equal(entry.expired, false);
    const bad = await fetch(`${w.url}/api/v1/whitelist`, { method: 'POST', headers: auth, body: JSON.stringify({ dc: 'no-such-dc', reason: '' }) });
    assert.equal(bad.status, 400);
    const msg = (await bad.json() as { error: string }).error;
    assert.match(msg, /dc "no-such-dc" is not in the inventory/);
    assert.match(msg, /reason is required/);

    const list = await (await fetch(`${w.url}/api/v1/whitelist`)).json() as { entries: Array<Record<string, unknown>> };
    assert.deepEqual(list.entries.map((e) => e.id), [entry.id]);
    const del = await fetch(`${w.url}/api/v1/whitelist/${entry.id}?reason=${encodeURIComponent('move done')}`, { method: 'DELETE', headers: auth });
    assert.equal(del.status, 204);
    assert.equal((await fetch(`${w.url}/api/v1/whitelist/${entry.id}`, { method: 'DELETE', headers: auth })).status, 404);
    const audit = await w.admin.audit({ entryId: entry.id as number });
    assert.deepEqual(audit.map((a) => [a.action, a.actor, a.why]).sort(), [['create', 'admin', 'planned move'], ['delete', 'admin', 'move done']]);
    // Only the token's hash is at rest: the raw token appears nowhere in the admin database files.
    const files = ['admin.db', 'admin.db-wal'].map((f) => { try { return readFileSync(join(w.dir, f)); } catch { return Buffer.alloc(0); } });
    assert.ok(files.every((b) => !b.includes(token)));
  });

  it('serves GET /api/v1/faults?status=open|all newest first, in the contract shape', async () => {
    const ep = (key: string, start: string, end: string | null): FaultEpisode => ({
      id: `vip:${key}`, type: 'vip', key, start, detectedAt: start, end, isps: ['ct'], provinces: ['guangdong', 'hunan'],
      dcs: ['idc-beijing-ct'], vips: [key], businesses: ['search'], parent: null, suppressed: false,
    });
    const a = ep('198.19.0.1', '2026-11-23T10:00:00Z', '2026-11-23T10:30:00Z');
    const b = ep('198.19.0.2', '2026-11-23T11:00:00Z', null);
    const c = ep('198.19.0.3', '2026-11-23T12:00:00Z', null);
    await w.faults.upsert([a, b, c].map((episode) => ({ episode, events: [{ at: episode.start, kind: 'open' as const }] })));
    const open = await (await fetch(`${w.url}/api/v1/faults?status=open`)).json() as FaultEpisode[];
    assert.deepEqual(open, [c, b]);
    const all = await (await fetch(`${w.url}/api/v1/faults?status=all`)).json() as FaultEpisode[];
    assert.deepEqual(all, [c, b, a]);
    assert.deepEqual(Object.keys(all[0]!), ['id', 'type', 'key', 'start', 'detectedAt', 'end', 'isps', 'provinces', 'dcs', 'vips', 'businesses', 'parent', 'suppressed']);
    assert.equal((await fetch(`${w.url}/api/v1/faults?status=closed`)).status, 400);
    // a certificate warning (informational, not a contract fault) is listed only when asked for
    const cert: FaultEpisode = { ...ep('198.19.0.4', '2026-11-23T13:00:00Z', null), id: 'vip:198.19.0.4:cert', signal: 'cert' };
    await w.faults.upsert([{ episode: cert, events: [{ at: cert.start, kind: 'open' }] }]);
    assert.deepEqual(await (await fetch(`${w.url}/api/v1/faults?status=open`)).json(), [c, b]);
    assert.deepEqual((await (await fetch(`${w.url}/api/v1/faults?status=open&signal=cert`)).json() as FaultEpisode[]).map((e) => e.id), ['vip:198.19.0.4:cert']);
    assert.equal((await fetch(`${w.url}/api/v1/faults?signal=slow`)).status, 400);
  });

  it('sends anonymous page visits to the login page and keeps gateway paths alone', async () => {
    const res = await fetch(`${w.url}/faults`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/login?next=%2Ffaults');
    // an over-long query (a fuzz run sent 9,000 x's and more) is dropped: the Location header stays small
    const long = await fetch(`${w.url}/board?province=${'x'.repeat(9000)}&isp=${'%25'.repeat(1500)}`, { redirect: 'manual' });
    assert.equal(long.status, 303);
    assert.equal(long.headers.get('location'), '/login?next=%2Fboard');
    assert.equal((await fetch(`${w.url}/api/v1/tasks`)).status, 404);
    const { cookie } = await login(w.url, VIEWER.user, VIEWER.password);
    const page = await fetch(`${w.url}/faults`, { headers: { Cookie: cookie } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  });
});
