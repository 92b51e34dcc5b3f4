// The admin store contract against every backend: SQLite and the real MariaDB (a fresh database per test).
// Plus what only the MySQL backend has: numbered migrations, a schema kept in step with SQLite's.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { pino } from 'pino';
import { ValidationError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { MysqlAdminStore } from '../../core/store/mysql/admin.js';
import { loadMigrations, parseMigrations } from '../../core/store/mysql/migrate.js';
import { SqliteAdminStore } from '../../core/store/sqlite/admin.js';
import { StoreUnavailableError } from '../../core/store/series.js';
import { mariadbDatabase, stopMariadb } from '../support/mariadb.js';
import { freePort } from '../support/ports.js';
import { adminStoreContract, type AdminHarness } from './admin-contract.js';

const log = createLogger('silent');
after(() => stopMariadb());

describe('admin store: sqlite', () => {
  adminStoreContract(async (): Promise<AdminHarness> => {
    const dir = mkdtempSync(join(tmpdir(), 'vipwatch-admin-'));
    const file = join(dir, 'admin.db');
    let now = new Date();
    const store = new SqliteAdminStore({ file, log, now: () => now });
    await store.init();
    return {
      store,
      setNow: (d) => { now = d; },
      reopen: async () => { const s = new SqliteAdminStore({ file, log, now: () => now }); await s.init(); return s; },
      close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); },
    };
  });
});

describe('admin store: mariadb', () => {
  adminStoreContract(async (t): Promise<AdminHarness | null> => {
    const db = await mariadbDatabase(t);
    if (!db) return null;
    let now = new Date();
    const store = new MysqlAdminStore({ url: db.url, log, now: () => now });
    await store.init();
    return {
      store,
      setNow: (d) => { now = d; },
      reopen: async () => { const s = new MysqlAdminStore({ url: db.url, log, now: () => now }); await s.init(); return s; },
      close: async () => { await store.close(); await db.close(); },
    };
  });

  test('migrations: applied once at init, recorded in schema_migrations; a second init applies none', async (t) => {
    const db = await mariadbDatabase(t);
    if (!db) return;
    t.after(() => db.close());
    const lines: string[] = [];
    const spy = pino({ level: 'info' }, { write: (line: string) => { lines.push(line); } });
    for (let i = 0; i < 2; i++) {
      const s = new MysqlAdminStore({ url: db.url, log: spy });
      await s.init();
      await s.close();
    }
    const applied = lines.map((l) => JSON.parse(l) as { migration?: string }).filter((l) => l.migration).map((l) => l.migration);
    assert.deepEqual(applied, loadMigrations().map((m) => m.name), 'each file applied exactly once');
    const conn = await mysql.createConnection({ uri: db.url });
    try {
      const [rows] = await conn.query<RowDataPacket[]>('SELECT version, name FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => [r.version, r.name]), loadMigrations().map((m) => [m.version, m.name]));
      assert.equal(rows[0]!.name, '001_init.sql');
    } finally {
      await conn.end();
    }
  });

  test('the SQLite DDL is in step with sql/: same tables, same columns', async (t) => {
    const db = await mariadbDatabase(t);
    if (!db) return;
    const dir = mkdtempSync(join(tmpdir(), 'vipwatch-admin-'));
    const my = new MysqlAdminStore({ url: db.url, log });
    const lite = new SqliteAdminStore({ file: join(dir, 'admin.db'), log });
    t.after(async () => { await my.close(); await lite.close(); await db.close(); rmSync(dir, { recursive: true, force: true }); });
    await my.init();
    await lite.init();
    const conn = await mysql.createConnection({ uri: db.url });
    let mysqlColumns: string[];
    try {
      const [rows] = await conn.query<RowDataPacket[]>(`SELECT table_name AS t, column_name AS c FROM information_schema.columns
        WHERE table_schema = ? AND table_name <> 'schema_migrations'`, [db.database]);
      mysqlColumns = rows.map((r) => `${r.t}.${r.c}`).sort();
    } finally {
      await conn.end();
    }
    const sq = new Database(join(dir, 'admin.db'), { readonly: true });
    const sqliteColumns = (sq.prepare(`SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p
      WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`).all() as Array<{ t: string; c: string }>).map((r) => `${r.t}.${r.c}`).sort();
    sq.close();
    assert.deepEqual(sqliteColumns, mysqlColumns);
    assert.ok(mysqlColumns.includes('whitelist_audit.why'));
  });

  test('a database named in the URL that does not exist yet is created at init', async (t) => {
    const db = await mariadbDatabase(t);
    if (!db) return;
    await db.close();
    const store = new MysqlAdminStore({ url: db.url, log });
    t.after(async () => { await store.close(); await db.close(); });
    await store.init();
    assert.equal(await store.ping(), true);
    assert.deepEqual(await store.listWhitelist(), []);
  });
});

test('migration files: ordered by number; a name without one or a number used twice is an error naming the file', () => {
  const ms = parseMigrations([{ file: '010_more.sql', sql: 'b' }, { file: '002_x.sql', sql: 'a' }]);
  assert.deepEqual(ms.map((m) => m.version), [2, 10]);
  assert.throws(() => parseMigrations([{ file: 'init.sql', sql: '' }]), (e: unknown) => e instanceof ValidationError && /sql\/init\.sql/.test(e.message));
  assert.throws(() => parseMigrations([{ file: '001_a.sql', sql: '' }, { file: '001_b.sql', sql: '' }]),
    (e: unknown) => e instanceof ValidationError && /001_b\.sql: version 1 is also used by 001_a\.sql/.test(e.message));
  assert.equal(loadMigrations()[0]!.name, '001_init.sql');
});

test('no MySQL answering: init fails with StoreUnavailableError', async () => {
  const port = await freePort();
  const store = new MysqlAdminStore({ url: `mysql://root@127.0.0.1:${port}/vipwatch`, log });
  await assert.rejects(store.init(), (e: unknown) => e instanceof StoreUnavailableError && /ECONNREFUSED/.test(e.message));
});
