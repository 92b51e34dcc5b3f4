// The outbox on SQLite (better-sqlite3): one file under dataDir; WAL and FULL sync, so a killed process loses no
// committed row. The layout's version is the file's user_version; init() upgrades an older file in place.
import Database from 'better-sqlite3';
import type { Logger } from '../../log.js';
import { OUTBOX_SCHEMA_VERSION, type Delivery, type NewDelivery, type OutboxMessage, type OutboxStore } from '../outbox.js';
import { openSqlite } from './open.js';

const DDL = `
CREATE TABLE IF NOT EXISTS alert_state (k INTEGER PRIMARY KEY CHECK (k = 1), state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert_outbox (
  id TEXT PRIMARY KEY, message_id TEXT NOT NULL, notifier TEXT NOT NULL, grp TEXT NOT NULL, ord TEXT NOT NULL,
  deliver_at INTEGER NOT NULL, message TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL DEFAULT 0, last_error TEXT, delivered_at INTEGER,
  subject TEXT NOT NULL DEFAULT '', uid TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox (status, deliver_at, next_attempt_at);`;

/** Indexes on columns an older file gains only in its upgrade: made after the upgrades. */
const INDEXES = `
CREATE INDEX IF NOT EXISTS alert_outbox_uid ON alert_outbox (uid);
CREATE INDEX IF NOT EXISTS alert_outbox_newest ON alert_outbox (deliver_at);`;

/** Upgrades from each older version (a file made before versions were kept reads 0). */
const UPGRADES: Record<number, (db: Database.Database) => void> = {
  // version 1 had no subject column
  1: (db) => {
    const cols = db.prepare('PRAGMA table_info(alert_outbox)').all() as Array<{ name: string }>;
    if (!cols.some((c) => c.name === 'subject')) db.exec("ALTER TABLE alert_outbox ADD COLUMN subject TEXT NOT NULL DEFAULT ''");
  },
  // version 2 kept the episode's uid only inside the message: the fault pages read a fault's messages by it
  2: (db) => {
    const cols = db.prepare('PRAGMA table_info(alert_outbox)').all() as Array<{ name: string }>;
    if (!cols.some((c) => c.name === 'uid')) db.exec("ALTER TABLE alert_outbox ADD COLUMN uid TEXT NOT NULL DEFAULT ''");
    db.exec("UPDATE alert_outbox SET uid = COALESCE(json_extract(message, '$.uid'), '') WHERE uid = ''");
  },
};

interface Row {
  id: string; message_id: string; notifier: string; grp: string; ord: string; deliver_at: number; message: string; subject: string;
  status: 'pending' | 'done'; attempts: number; next_attempt_at: number; last_error: string | null; delivered_at: number | null;
}

export interface SqliteOutboxStoreOptions {
  /** a file path, or ':memory:' */
  file: string;
  log: Logger;
}

export class SqliteOutboxStore<M extends OutboxMessage = OutboxMessage, S = unknown> implements OutboxStore<M, S> {
  private db: Database.Database | null = null;

  constructor(private readonly opts: SqliteOutboxStoreOptions) {}

  private get conn(): Database.Database {
    if (!this.db) throw new Error(`outbox ${this.opts.file}: init() was not called`);
    return this.db;
  }

  async init(): Promise<void> {
    if (this.db) return;
    const db = openSqlite(this.opts.file, DDL, 'FULL');
    const from = Math.max(1, db.pragma('user_version', { simple: true }) as number);
    if (from > OUTBOX_SCHEMA_VERSION) {
      db.close();
      throw new Error(`outbox ${this.opts.file}: layout version ${from} is newer than this vipwatch knows (${OUTBOX_SCHEMA_VERSION})`);
    }
    db.transaction(() => {
      for (let v = from; v < OUTBOX_SCHEMA_VERSION; v++) UPGRADES[v]!(db);
      db.exec(INDEXES);
      db.pragma(`user_version = ${OUTBOX_SCHEMA_VERSION}`);
    })();
    this.db = db;
    this.opts.log.debug({ file: this.opts.file, version: OUTBOX_SCHEMA_VERSION }, 'outbox store (sqlite) ready');
  }

  private toDelivery = (r: Row): Delivery<M> => ({
    id: r.id, messageId: r.message_id, notifier: r.notifier, group: r.grp, order: r.ord, deliverAt: r.deliver_at,
    subject: r.subject, message: JSON.parse(r.message) as M, status: r.status, attempts: r.attempts, nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error, deliveredAt: r.delivered_at,
  });

  async loadState(): Promise<S | null> {
    const r = this.conn.prepare('SELECT state FROM alert_state WHERE k = 1').get() as { state: string } | undefined;
    return r ? (JSON.parse(r.state) as S) : null;
  }

  async commit(state: S, deliveries: NewDelivery<M>[]): Promise<void> {
    const insert = this.conn.prepare(`INSERT OR IGNORE INTO alert_outbox (id, message_id, notifier, grp, ord, deliver_at, message, subject, uid)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const save = this.conn.prepare('INSERT INTO alert_state (k, state) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET state = excluded.state');
    this.conn.transaction(() => {
      for (const d of deliveries) insert.run(d.id, d.messageId, d.notifier, d.group, d.order, d.deliverAt, JSON.stringify(d.message), d.subject, d.message.uid);
      save.run(JSON.stringify(state));
    })();
  }

  async due(now: number, limit: number): Promise<Delivery<M>[]> {
    const rows = this.conn.prepare(`SELECT * FROM alert_outbox WHERE status = 'pending' AND deliver_at <= ? AND next_attempt_at <= ?
      ORDER BY deliver_at, ord, id LIMIT ?`).all(now, now, limit) as Row[];
    return rows.map(this.toDelivery);
  }

  async markDone(ids: string[], at: number): Promise<void> {
    const st = this.conn.prepare("UPDATE alert_outbox SET status = 'done', delivered_at = ?, last_error = NULL WHERE id = ?");
    this.conn.transaction(() => { for (const id of ids) st.run(at, id); })();
  }

  async markRetry(ids: string[], attempts: number, nextAttemptAt: number, error: string): Promise<void> {
    const st = this.conn.prepare('UPDATE alert_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?');
    this.conn.transaction(() => { for (const id of ids) st.run(attempts, nextAttemptAt, error, id); })();
  }

  async list(status?: Delivery['status']): Promise<Delivery<M>[]> {
    const rows = (status
      ? this.conn.prepare('SELECT * FROM alert_outbox WHERE status = ? ORDER BY deliver_at, ord, id').all(status)
      : this.conn.prepare('SELECT * FROM alert_outbox ORDER BY deliver_at, ord, id').all()) as Row[];
    return rows.map(this.toDelivery);
  }

  async get(id: string): Promise<Delivery<M> | null> {
    const r = this.conn.prepare('SELECT * FROM alert_outbox WHERE id = ?').get(id) as Row | undefined;
    return r ? this.toDelivery(r) : null;
  }

  async recent(limit: number): Promise<Delivery<M>[]> {
    const rows = this.conn.prepare('SELECT * FROM alert_outbox ORDER BY deliver_at DESC, ord DESC, id DESC LIMIT ?').all(limit) as Row[];
    return rows.map(this.toDelivery);
  }

  async forEpisodes(uids: readonly string[]): Promise<Delivery<M>[]> {
    if (!uids.length) return [];
    const rows = this.conn.prepare('SELECT * FROM alert_outbox WHERE uid IN (SELECT value FROM json_each(?)) ORDER BY deliver_at, ord, id')
      .all(JSON.stringify(uids)) as Row[];
    return rows.map(this.toDelivery);
  }

  async counts(): Promise<Record<Delivery['status'], number>> {
    const rows = this.conn.prepare('SELECT status, COUNT(*) AS n FROM alert_outbox GROUP BY status').all() as Array<{ status: Delivery['status']; n: number }>;
    return { pending: 0, done: 0, ...Object.fromEntries(rows.map((r) => [r.status, r.n])) };
  }

  async pendingCount(): Promise<number> {
    return (this.conn.prepare("SELECT COUNT(*) AS n FROM alert_outbox WHERE status = 'pending'").get() as { n: number }).n;
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }
}
