// The outbox store keeps a versioned layout: a file written by the first layout (no subject column, no version) is
// brought up to date by init() without losing a row, init() twice is harmless, and a file from a newer vipwatch is
// refused rather than misread.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { createLogger } from '../../core/log.js';
import { OUTBOX_SCHEMA_VERSION } from '../../core/store/outbox.js';
import { SqliteOutboxStore } from '../../core/store/sqlite/outbox.js';

const dir = mkdtempSync(join(tmpdir(), 'vipwatch-outbox-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger('silent');
const message = { id: 'm1', uid: 'dc:bj@2026-11-23T14:00:00Z', kind: 'open', severity: 'critical', at: 1, to: ['a@example.com'] };

test('a first-layout outbox file is upgraded in place, rows kept; init is idempotent', async () => {
  const file = join(dir, 'v1.sqlite');
  const old = new Database(file);
  old.exec(`CREATE TABLE alert_state (k INTEGER PRIMARY KEY CHECK (k = 1), state TEXT NOT NULL);
    CREATE TABLE alert_outbox (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, notifier TEXT NOT NULL, grp TEXT NOT NULL, ord TEXT NOT NULL,
      deliver_at INTEGER NOT NULL, message TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL DEFAULT 0, last_error TEXT, delivered_at INTEGER);`);
  old.prepare('INSERT INTO alert_outbox (id, message_id, notifier, grp, ord, deliver_at, message) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run('m1>email', 'm1', 'email', 'm1>email', '1', 1, JSON.stringify(message));
  old.prepare('INSERT INTO alert_state (k, state) VALUES (1, ?)').run(JSON.stringify({ version: 1, lastMinute: 1, faults: {} }));
  old.close();

  const store = new SqliteOutboxStore({ file, log });
  await store.init();
  await store.init();
  try {
    const [d] = await store.list();
    assert.deepEqual({ id: d!.id, subject: d!.subject, message: d!.message }, { id: 'm1>email', subject: '', message });
    assert.deepEqual(await store.loadState(), { version: 1, lastMinute: 1, faults: {} });
    await store.commit({ version: 1, lastMinute: 2, faults: {} }, [{ id: 'm2>email', messageId: 'm2', notifier: 'email', group: 'm2>email', order: '2', deliverAt: 2, subject: '[vipwatch critical] OPEN: DC fault bj', message: { ...message, id: 'm2' } }]);
    assert.deepEqual((await store.list()).map((x) => x.subject), ['', '[vipwatch critical] OPEN: DC fault bj']);
    // the upgrade filled the episode uid column from the old row's message: the fault page finds both
    assert.deepEqual((await store.forEpisodes([message.uid])).map((x) => x.id), ['m1>email', 'm2>email']);
  } finally {
    await store.close();
  }
  const check = new Database(file, { readonly: true });
  assert.equal(check.pragma('user_version', { simple: true }), OUTBOX_SCHEMA_VERSION);
  check.close();
});

test('queries the web reads: one by id, the newest first, an episode\'s messages, counts by status', async () => {
  const store = new SqliteOutboxStore({ file: join(dir, 'queries.sqlite'), log });
  await store.init();
  try {
    const delivery = (n: number, uid: string) => ({
      id: `m${n}>email`, messageId: `m${n}`, notifier: 'email', group: `m${n}>email`, order: String(n).padStart(3, '0'), deliverAt: n * 1000,
      subject: `s${n}`, message: { ...message, id: `m${n}`, uid },
    });
    // 30 messages about three episodes, in an order unlike their times
    const all = Array.from({ length: 30 }, (_, i) => delivery(((i * 7) % 30) + 1, `vip:198.19.0.${i % 3}@2026-11-23T14:00:00Z`));
    await store.commit({}, all);
    await store.markDone(['m5>email', 'm6>email'], 9);
    assert.equal((await store.get('m17>email'))?.subject, 's17');
    assert.equal(await store.get('nope'), null);
    assert.deepEqual((await store.recent(3)).map((d) => d.id), ['m30>email', 'm29>email', 'm28>email']);
    const want = all.filter((d) => d.message.uid.startsWith('vip:198.19.0.1@')).map((d) => d.deliverAt).sort((a, b) => a - b);
    assert.deepEqual((await store.forEpisodes(['vip:198.19.0.1@2026-11-23T14:00:00Z'])).map((d) => d.deliverAt), want);
    assert.equal(want.length, 10);
    assert.deepEqual(await store.forEpisodes([]), []);
    assert.deepEqual(await store.counts(), { pending: 28, done: 2 });
  } finally {
    await store.close();
  }
});

test('a file from a newer layout is refused with a message naming it', async () => {
  const file = join(dir, 'future.sqlite');
  const db = new Database(file);
  db.pragma(`user_version = ${OUTBOX_SCHEMA_VERSION + 1}`);
  db.close();
  await assert.rejects(new SqliteOutboxStore({ file, log }).init(), new RegExp(`future\\.sqlite: layout version ${OUTBOX_SCHEMA_VERSION + 1} is newer`));
});
