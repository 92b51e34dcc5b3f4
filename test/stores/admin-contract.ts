// The AdminStore contract: one suite every backend must pass. Each test gets a fresh, empty store from `open`.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ValidationError } from '../../core/errors.js';
import type { AdminStore, WhitelistInput } from '../../core/store/admin.js';
import { asWhitelistEntries } from '../../core/store/admin-common.js';

export interface AdminHarness {
  store: AdminStore;
  setNow(d: Date): void;
  reopen(): Promise<AdminStore>;
  close(): Promise<void>;
}

const T0 = new Date('2026-11-23T14:00:00.000Z');
const entry = (o: Partial<WhitelistInput>): WhitelistInput => ({ vip: null, dc: null, business: null, reason: 'maintenance', until: null, ...o });

/** `open` returns null when the backend cannot run here (after calling t.skip with the reason). */
export function adminStoreContract(open: (t: TestContext) => Promise<AdminHarness | null>): void {
  const withStore = (name: string, fn: (h: AdminHarness) => Promise<void>) =>
    test(name, async (t) => {
      const h = await open(t);
      if (!h) return;
      t.after(() => h.close());
      h.setNow(T0);
      await fn(h);
    });

  withStore('whitelist: add, update, delete, each with its audit record (who, when, what, why)', async (h) => {
    const { store } = h;
    const a = await store.addWhitelist(entry({ vip: '203.0.113.10', until: '2026-11-24T00:00:00Z' }), 'alice', 'planned cut-over');
    assert.deepEqual(a, {
      id: a.id, vip: '203.0.113.10', dc: null, business: null, reason: 'maintenance', author: 'alice',
      createdAt: '2026-11-23T14:00:00.000Z', until: '2026-11-24T00:00:00.000Z',
    });
    h.setNow(new Date('2026-11-23T14:05:00.000Z'));
    const b = await store.updateWhitelist(a.id, entry({ dc: 'bj-zw', reason: 'DC move', until: null }), 'bob', 'the whole DC moves');
    assert.deepEqual(b, { ...a, vip: null, dc: 'bj-zw', reason: 'DC move', until: null });
    h.setNow(new Date('2026-11-23T14:10:00.000Z'));
    assert.equal(await store.deleteWhitelist(a.id, 'carol', 'move finished'), true);
    assert.deepEqual(await store.listWhitelist({ includeExpired: true }), []);

    const audit = await store.audit();
    assert.deepEqual(audit.map((r) => [r.action, r.actor, r.at, r.why, r.entryId]), [
      ['delete', 'carol', '2026-11-23T14:10:00.000Z', 'move finished', a.id],
      ['update', 'bob', '2026-11-23T14:05:00.000Z', 'the whole DC moves', a.id],
      ['create', 'alice', '2026-11-23T14:00:00.000Z', 'planned cut-over', a.id],
    ]);
    assert.deepEqual([audit[2]!.before, audit[2]!.after], [null, a]);
    assert.deepEqual([audit[1]!.before, audit[1]!.after], [a, b]);
    assert.deepEqual([audit[0]!.before, audit[0]!.after], [b, null]);
    assert.deepEqual((await store.audit({ limit: 1 })).map((r) => r.action), ['delete']);
  });

  withStore('whitelist: unknown ids change nothing and write no audit', async ({ store }) => {
    assert.equal(await store.updateWhitelist(999, entry({ vip: '203.0.113.10' }), 'alice', 'x'), null);
    assert.equal(await store.deleteWhitelist(999, 'alice', 'x'), false);
    assert.deepEqual(await store.audit(), []);
  });

  withStore('whitelist: bad input is refused naming field and value; nothing is written', async ({ store }) => {
    const refused = async (input: WhitelistInput, field: RegExp, value: RegExp, actor = 'alice') =>
      assert.rejects(store.addWhitelist(input, actor, 'why'), (e: unknown) => e instanceof ValidationError && field.test(e.message) && value.test(e.message));
    await refused(entry({ vip: '203.0.113.10', dc: 'bj-zw' }), /vip\|dc\|business/, /"bj-zw"/);
    await refused(entry({}), /exactly one of vip, dc, business/, /value \{\}/);
    await refused(entry({ dc: 'bj-zw', until: 'next tuesday' }), /until/, /"next tuesday"/);
    await refused(entry({ dc: 'bj-zw', reason: '  ' }), /reason/, /"  "/);
    await refused(entry({ business: 'x'.repeat(129) }), /business/, /longer than 128/);
    await refused(entry({ dc: 'bj-zw' }), /author/, /""/, '');
    const a = await store.addWhitelist(entry({ dc: 'bj-zw' }), 'alice', 'ok');
    await assert.rejects(store.updateWhitelist(a.id, entry({ dc: 'bj-zw', until: 'soon' }), 'bob', 'x'), /until/);
    await assert.rejects(store.deleteWhitelist(a.id, '', 'x'), /author/);
    assert.equal((await store.listWhitelist()).length, 1);
    assert.equal((await store.audit()).length, 1);
  });

  withStore('whitelist: expired entries are left out unless asked for; newest first', async (h) => {
    const { store } = h;
    const keep = await store.addWhitelist(entry({ business: 'search' }), 'alice', 'no expiry');
    const soon = await store.addWhitelist(entry({ dc: 'bj-zw', until: '2026-11-23T15:00:00Z' }), 'alice', 'one hour');
    const gone = await store.addWhitelist(entry({ vip: '203.0.113.10', until: '2026-11-23T13:00:00Z' }), 'alice', 'already over');
    const ids = async (o: Parameters<AdminStore['listWhitelist']>[0]) => (await store.listWhitelist(o)).map((e) => e.id);
    assert.deepEqual(await ids({}), [soon.id, keep.id], 'by the store clock (14:00)');
    assert.deepEqual(await ids({ includeExpired: true }), [gone.id, soon.id, keep.id]);
    assert.deepEqual(await ids({ now: '2026-11-23T15:00:00Z' }), [keep.id], 'until is exclusive');
    assert.deepEqual(await ids({ now: '2026-11-23T12:00:00Z' }), [gone.id, soon.id, keep.id]);
    h.setNow(new Date('2026-11-23T16:00:00.000Z'));
    assert.deepEqual(await ids(undefined), [keep.id]);
    assert.deepEqual(asWhitelistEntries(await store.listWhitelist({ includeExpired: true })), [
      { vip: '203.0.113.10', until: '2026-11-23T13:00:00.000Z', reason: 'maintenance' },
      { dc: 'bj-zw', until: '2026-11-23T15:00:00.000Z', reason: 'maintenance' },
      { business: 'search', reason: 'maintenance' },
    ]);
  });

  withStore('whitelist: search matches vip, dc, business, reason and author, case-insensitively; wildcards are literal', async ({ store }) => {
    const v = await store.addWhitelist(entry({ vip: '203.0.113.10', reason: 'Load test 100%' }), 'alice', 'x');
    const d = await store.addWhitelist(entry({ dc: 'gd-ct-gz1', reason: 'fibre cut' }), 'bob_ops', 'x');
    const b = await store.addWhitelist(entry({ business: 'search', reason: 'release' }), 'carol', 'x');
    const ids = async (search: string) => (await store.listWhitelist({ search })).map((e) => e.id);
    assert.deepEqual(await ids('113.10'), [v.id]);
    assert.deepEqual(await ids('GZ1'), [d.id]);
    assert.deepEqual(await ids('sear'), [b.id]);
    assert.deepEqual(await ids('FIBRE'), [d.id]);
    assert.deepEqual(await ids('carol'), [b.id]);
    assert.deepEqual(await ids('100%'), [v.id]);
    assert.deepEqual(await ids('%'), [v.id], '% matches only a literal percent sign');
    assert.deepEqual(await ids('b_o'), [d.id], '_ matches only a literal underscore');
    assert.deepEqual(await ids('!'), []);
    assert.deepEqual(await ids('nothing-like-this'), []);
  });

  withStore('whitelist and audit survive a restart', async (h) => {
    const a = await h.store.addWhitelist(entry({ dc: 'bj-zw' }), 'alice', 'kept');
    const again = await h.reopen();
    try {
      assert.deepEqual(await again.listWhitelist(), [a]);
      assert.equal((await again.audit({ entryId: a.id }))[0]!.why, 'kept');
      assert.deepEqual(await again.audit({ entryId: a.id + 1 }), []);
    } finally {
      await again.close();
    }
  });

  withStore('business owners: replace adds, updates and deletes what the inventory no longer has; listed by name', async ({ store }) => {
    const maps = { name: 'maps', owners: ['maps@example.com', 'maps-lead@example.com'] };
    await store.replaceBusinesses([{ name: 'search', dept: '1001', owners: ['oncall-search@example.com'] }, maps]);
    assert.deepEqual((await store.businesses()).map((b) => b.name), ['maps', 'search']);
    await store.replaceBusinesses([{ name: 'search', dept: '1002', owners: ['search-new@example.com'] }, maps, { name: 'video', owners: ['v@example.com'] }]);
    assert.deepEqual(await store.businesses(), [maps, { name: 'search', dept: '1002', owners: ['search-new@example.com'] }, { name: 'video', owners: ['v@example.com'] }]);
    await store.replaceBusinesses([{ name: 'video', owners: ['v2@example.com'] }]);
    assert.deepEqual(await store.businesses(), [{ name: 'video', owners: ['v2@example.com'] }], 'maps and search left the inventory');
    await store.replaceBusinesses([]);
    assert.deepEqual(await store.businesses(), []);
  });

  withStore('users: put inserts or updates role and hash (keeping createdAt); a bad role is refused', async ({ store }) => {
    await store.putUser({ name: 'alice', role: 'admin', passwordHash: 'scrypt$a', createdAt: '2026-11-23T14:00:00Z' });
    await store.putUser({ name: 'bob', role: 'viewer', passwordHash: 'scrypt$b', createdAt: '2026-11-23T14:01:00Z' });
    await store.putUser({ name: 'alice', role: 'viewer', passwordHash: 'scrypt$a2', createdAt: '2026-11-23T15:00:00Z' });
    assert.deepEqual(await store.getUser('alice'), { name: 'alice', role: 'viewer', passwordHash: 'scrypt$a2', createdAt: '2026-11-23T14:00:00.000Z' });
    assert.equal(await store.getUser('Alice'), null, 'names are case-sensitive');
    assert.equal(await store.getUser('nobody'), null);
    assert.deepEqual((await store.listUsers()).map((u) => u.name), ['alice', 'bob']);
    await assert.rejects(store.putUser({ name: 'eve', role: 'root' as 'admin', passwordHash: 'x', createdAt: '2026-11-23T14:00:00Z' }),
      (e: unknown) => e instanceof ValidationError && /role/.test(e.message) && /"root"/.test(e.message));
  });

  withStore('sessions: found until they expire, deleted on logout, swept as new ones come', async (h) => {
    const { store } = h;
    await store.createSession({ id: 'sess-A', user: 'alice', csrf: 'csrf-1', expiresAt: '2026-11-23T15:00:00Z' });
    await store.createSession({ id: 'sess-B', user: 'bob', csrf: 'csrf-2', expiresAt: '2026-11-23T18:00:00Z' });
    assert.deepEqual(await store.getSession('sess-A'), { id: 'sess-A', user: 'alice', csrf: 'csrf-1', expiresAt: '2026-11-23T15:00:00.000Z' });
    assert.equal(await store.getSession('SESS-A'), null, 'ids are case-sensitive');
    await store.deleteSession('sess-B');
    assert.equal(await store.getSession('sess-B'), null);
    h.setNow(new Date('2026-11-23T15:00:00.000Z'));
    assert.equal(await store.getSession('sess-A'), null, 'expired at expiresAt');
    await store.createSession({ id: 'sess-C', user: 'alice', csrf: 'csrf-3', expiresAt: '2026-11-23T16:00:00Z' });
    h.setNow(new Date('2026-11-23T14:30:00.000Z'));
    assert.equal(await store.getSession('sess-A'), null, 'swept when sess-C was created');
    assert.equal((await store.getSession('sess-C'))?.user, 'alice');
  });

  withStore('API tokens: found by hash only; a hash is unique', async ({ store }) => {
    const t = { id: 'tok1', user: 'alice', tokenHash: 'a'.repeat(64), createdAt: '2026-11-23T14:00:00Z', label: 'deploy script' };
    await store.createApiToken(t);
    assert.deepEqual(await store.findApiToken(t.tokenHash), { ...t, createdAt: '2026-11-23T14:00:00.000Z' });
    assert.equal(await store.findApiToken('A'.repeat(64)), null, 'hashes are compared exactly');
    assert.equal(await store.findApiToken('b'.repeat(64)), null);
    await assert.rejects(store.createApiToken({ ...t, id: 'tok2' }));
  });

  withStore('ping answers', async ({ store }) => {
    assert.equal(await store.ping(), true);
  });
}
