// Outbox on SQLite (better-sqlite3): one file under dataDir; WAL, so a killed process loses no committed row.
import Database from 'better-sqlite3';
import { openSqlite } from '../../../core/store/sqlite/open.js';
import type { PolicyState } from '../policy.js';
import type { Delivery, NewDelivery, OutboxStore } from './store.js';

interface Row {
  id: string; message_id: string; notifier: string; grp: string; ord: string; deliver_at: number; message: string;
  status: 'pending' | 'done'; attempts: number; next_attempt_at: number; last_error: string | null; delivered_at: number | null;
}

const toDelivery = (r: Row): Delivery => ({
  id: r.id, messageId: r.message_id, notifier: r.notifier, group: r.grp, order: r.ord, deliverAt: r.deliver_at,
  message: JSON.parse(r.message), status: r.status, attempts: r.attempts, nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error, deliveredAt: r.delivered_at,
});

export class SqliteOutboxStore implements OutboxStore {
  private db: Database.Database | null = null;

  constructor(private readonly file: string) {}

  private get conn(): Database.Database {
    if (!this.db) throw new Error(`outbox ${this.file}: init() was not called`);
    return this.db;
  }

  async init(): Promise<void> {
    this.db = openSqlite(this.file, `
      CREATE TABLE IF NOT EXISTS alert_state (k INTEGER PRIMARY KEY CHECK (k = 1), state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS alert_outbox (
        id TEXT PRIMARY KEY, message_id TEXT NOT NULL, notifier TEXT NOT NULL, grp TEXT NOT NULL, ord TEXT NOT NULL,
        deliver_at INTEGER NOT NULL, message TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL DEFAULT 0, last_error TEXT, delivered_at INTEGER);
      CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox (status, deliver_at, next_attempt_at);`, 'FULL');
  }

  async loadState(): Promise<PolicyState | null> {
    const r = this.conn.prepare('SELECT state FROM alert_state WHERE k = 1').get() as { state: string } | undefined;
    return r ? (JSON.parse(r.state) as PolicyState) : null;
  }

  async commit(state: PolicyState, deliveries: NewDelivery[]): Promise<void> {
    const insert = this.conn.prepare(`INSERT OR IGNORE INTO alert_outbox (id, message_id, notifier, grp, ord, deliver_at, message)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    const save = this.conn.prepare('INSERT INTO alert_state (k, state) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET state = excluded.state');
    this.conn.transaction(() => {
      for (const d of deliveries) insert.run(d.id, d.messageId, d.notifier, d.group, d.order, d.deliverAt, JSON.stringify(d.message));
      save.run(JSON.stringify(state));
    })();
  }

  async due(now: number, limit: number): Promise<Delivery[]> {
    const rows = this.conn.prepare(`SELECT * FROM alert_outbox WHERE status = 'pending' AND deliver_at <= ? AND next_attempt_at <= ?
      ORDER BY deliver_at, ord, id LIMIT ?`).all(now, now, limit) as Row[];
    return rows.map(toDelivery);
  }

  async markDone(ids: string[], at: number): Promise<void> {
    const st = this.conn.prepare("UPDATE alert_outbox SET status = 'done', delivered_at = ?, last_error = NULL WHERE id = ?");
    this.conn.transaction(() => { for (const id of ids) st.run(at, id); })();
  }

  async markRetry(ids: string[], attempts: number, nextAttemptAt: number, error: string): Promise<void> {
    const st = this.conn.prepare('UPDATE alert_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?');
    this.conn.transaction(() => { for (const id of ids) st.run(attempts, nextAttemptAt, error, id); })();
  }

  async list(status?: Delivery['status']): Promise<Delivery[]> {
    const rows = (status
      ? this.conn.prepare('SELECT * FROM alert_outbox WHERE status = ? ORDER BY deliver_at, ord, id').all(status)
      : this.conn.prepare('SELECT * FROM alert_outbox ORDER BY deliver_at, ord, id').all()) as Row[];
    return rows.map(toDelivery);
  }

  async pendingCount(): Promise<number> {
    return (this.conn.prepare("SELECT COUNT(*) AS n FROM alert_outbox WHERE status = 'pending'").get() as { n: number }).n;
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }
}
