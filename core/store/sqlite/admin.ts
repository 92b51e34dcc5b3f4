// The embedded admin store: one SQLite file under dataDir. Tables and columns mirror sql/001_init.sql (MySQL),
// times are ISO text (they sort as text); each whitelist change and its audit row are one transaction.
import Database from 'better-sqlite3';
import { SqliteHandle } from './open.js';
import { JOBS_DDL } from './jobs.js';
import type { Logger } from '../../log.js';
import type { Business } from '../../model.js';
import type {
  AdminStore, ApiToken, AuditRecord, Session, StoredWhitelistEntry, User, WhitelistInput,
} from '../admin.js';
import { checkActor, checkRole, checkWhitelistInput, isoTime, likePattern } from '../admin-common.js';

const DDL = `
CREATE TABLE IF NOT EXISTS whitelist (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  vip TEXT NULL, dc TEXT NULL, business TEXT NULL,
  reason TEXT NOT NULL, author TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NULL,
  CHECK ((vip IS NOT NULL) + (dc IS NOT NULL) + (business IS NOT NULL) = 1)
);
CREATE INDEX IF NOT EXISTS whitelist_expires ON whitelist (expires_at);
CREATE TABLE IF NOT EXISTS whitelist_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  entry_id INTEGER NOT NULL, before_json TEXT NULL, after_json TEXT NULL, why TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS whitelist_audit_entry ON whitelist_audit (entry_id, id);
CREATE TABLE IF NOT EXISTS businesses (name TEXT PRIMARY KEY, dept TEXT NULL, owners_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  password_hash TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user_name TEXT NOT NULL, csrf TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY, user_name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, label TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_tokens (host TEXT PRIMARY KEY, generation INTEGER NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_name);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_name);`;

/** sql/003_revocation.sql for files made before it: columns SQLite cannot add with IF NOT EXISTS. */
function addRevocationColumns(db: Database.Database): void {
  const cols = (db.prepare('SELECT name FROM pragma_table_info(?)').all('api_tokens') as Array<{ name: string }>).map((c) => c.name);
  if (!cols.includes('expires_at')) db.exec('ALTER TABLE api_tokens ADD COLUMN expires_at TEXT NULL');
}

export interface SqliteAdminStoreOptions {
  file: string;
  log: Logger;
  now?: () => Date;
}

interface WhitelistRow {
  id: number; vip: string | null; dc: string | null; business: string | null;
  reason: string; author: string; created_at: string; expires_at: string | null;
}
interface AuditRow { id: number; at: string; actor: string; action: AuditRecord['action']; entry_id: number; before_json: string | null; after_json: string | null; why: string }

const entryOf = (r: WhitelistRow): StoredWhitelistEntry => ({
  id: r.id, vip: r.vip, dc: r.dc, business: r.business, reason: r.reason, author: r.author, createdAt: r.created_at, until: r.expires_at,
});
const auditOf = (r: AuditRow): AuditRecord => ({
  id: r.id, at: r.at, actor: r.actor, action: r.action, entryId: r.entry_id,
  before: r.before_json === null ? null : (JSON.parse(r.before_json) as StoredWhitelistEntry),
  after: r.after_json === null ? null : (JSON.parse(r.after_json) as StoredWhitelistEntry),
  why: r.why,
});

export class SqliteAdminStore implements AdminStore {
  private readonly sqlite: SqliteHandle;
  private readonly now: () => Date;

  constructor(opts: SqliteAdminStoreOptions) {
    this.sqlite = new SqliteHandle('admin store', opts.file, opts.log);
    this.now = opts.now ?? (() => new Date());
  }

  async init(): Promise<void> {
    // the on-demand job tables (core/store/sqlite/jobs.ts) live in this file too, as in the MySQL schema
    this.sqlite.open(DDL + JOBS_DDL, 'FULL', (db) => {
      allowOperatorRole(db);
      addRevocationColumns(db);
    });
  }

  private get conn(): Database.Database {
    return this.sqlite.conn;
  }

  private entry(id: number): StoredWhitelistEntry | null {
    const row = this.conn.prepare('SELECT * FROM whitelist WHERE id = ?').get(id) as WhitelistRow | undefined;
    return row ? entryOf(row) : null;
  }

  private writeAudit(at: string, actor: string, action: AuditRecord['action'], before: StoredWhitelistEntry | null, after: StoredWhitelistEntry | null, why: string): void {
    this.conn.prepare(`INSERT INTO whitelist_audit (at, actor, action, entry_id, before_json, after_json, why)
      VALUES (?, ?, ?, ?, ?, ?, ?)`).run(at, actor, action, (after ?? before)!.id, before && JSON.stringify(before), after && JSON.stringify(after), why);
  }

  async listWhitelist(opts: { search?: string; includeExpired?: boolean; now?: string } = {}): Promise<StoredWhitelistEntry[]> {
    const where: string[] = [];
    const params: Record<string, string> = {};
    if (!opts.includeExpired) {
      where.push('(expires_at IS NULL OR expires_at > @now)');
      params.now = isoTime(opts.now ?? this.now());
    }
    if (opts.search) {
      where.push("(vip LIKE @q ESCAPE '!' OR dc LIKE @q ESCAPE '!' OR business LIKE @q ESCAPE '!' OR reason LIKE @q ESCAPE '!' OR author LIKE @q ESCAPE '!')");
      params.q = likePattern(opts.search);
    }
    const sql = `SELECT * FROM whitelist ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`;
    return (this.conn.prepare(sql).all(params) as WhitelistRow[]).map(entryOf);
  }

  async addWhitelist(input: WhitelistInput, actor: string, why: string): Promise<StoredWhitelistEntry> {
    const e = checkWhitelistInput(input, actor, why);
    return this.conn.transaction(() => {
      const at = this.now().toISOString();
      const { lastInsertRowid } = this.conn.prepare(`INSERT INTO whitelist (vip, dc, business, reason, author, created_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)`).run(e.vip, e.dc, e.business, e.reason, actor, at, e.until);
      const after = this.entry(Number(lastInsertRowid))!;
      this.writeAudit(at, actor, 'create', null, after, why);
      return after;
    })();
  }

  async updateWhitelist(id: number, input: WhitelistInput, actor: string, why: string): Promise<StoredWhitelistEntry | null> {
    const e = checkWhitelistInput(input, actor, why);
    return this.conn.transaction(() => {
      const before = this.entry(id);
      if (!before) return null;
      // the author stays who created the entry; who changed it is in the audit
      this.conn.prepare('UPDATE whitelist SET vip = ?, dc = ?, business = ?, reason = ?, expires_at = ? WHERE id = ?')
        .run(e.vip, e.dc, e.business, e.reason, e.until, id);
      const after = this.entry(id)!;
      this.writeAudit(this.now().toISOString(), actor, 'update', before, after, why);
      return after;
    })();
  }

  async deleteWhitelist(id: number, actor: string, why: string): Promise<boolean> {
    checkActor(actor, why);
    return this.conn.transaction(() => {
      const before = this.entry(id);
      if (!before) return false;
      this.conn.prepare('DELETE FROM whitelist WHERE id = ?').run(id);
      this.writeAudit(this.now().toISOString(), actor, 'delete', before, null, why);
      return true;
    })();
  }

  async audit(opts: { entryId?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    const rows = this.conn.prepare(`SELECT * FROM whitelist_audit ${opts.entryId !== undefined ? 'WHERE entry_id = @entryId' : ''}
      ORDER BY id DESC LIMIT @limit`).all({ limit: opts.limit ?? -1, ...(opts.entryId !== undefined ? { entryId: opts.entryId } : {}) }) as AuditRow[];
    return rows.map(auditOf);
  }

  async replaceBusinesses(list: Business[]): Promise<void> {
    const put = this.conn.prepare(`INSERT INTO businesses (name, dept, owners_json) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET dept = excluded.dept, owners_json = excluded.owners_json`);
    const drop = this.conn.prepare('DELETE FROM businesses WHERE name NOT IN (SELECT value FROM json_each(?))');
    this.conn.transaction(() => {
      for (const b of list) put.run(b.name, b.dept ?? null, JSON.stringify(b.owners));
      drop.run(JSON.stringify(list.map((b) => b.name)));
    })();
  }

  async businesses(): Promise<Business[]> {
    const rows = this.conn.prepare('SELECT name, dept, owners_json FROM businesses ORDER BY name').all() as Array<{ name: string; dept: string | null; owners_json: string }>;
    return rows.map((r) => ({ name: r.name, ...(r.dept !== null ? { dept: r.dept } : {}), owners: JSON.parse(r.owners_json) as string[] }));
  }

  async putUser(user: User): Promise<void> {
    this.conn.prepare(`INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash`)
      .run(user.name, checkRole(user.role), user.passwordHash, isoTime(user.createdAt));
  }

  async getUser(name: string): Promise<User | null> {
    const r = this.conn.prepare('SELECT * FROM users WHERE name = ?').get(name) as { name: string; role: User['role']; password_hash: string; created_at: string } | undefined;
    return r ? { name: r.name, role: r.role, passwordHash: r.password_hash, createdAt: r.created_at } : null;
  }

  async listUsers(): Promise<User[]> {
    const rows = this.conn.prepare('SELECT * FROM users ORDER BY name').all() as Array<{ name: string; role: User['role']; password_hash: string; created_at: string }>;
    return rows.map((r) => ({ name: r.name, role: r.role, passwordHash: r.password_hash, createdAt: r.created_at }));
  }

  async createSession(s: Session): Promise<void> {
    const now = this.now().toISOString();
    this.conn.transaction(() => {
      // expired sessions go as new ones come, so the table stays the size of the live ones
      this.conn.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now);
      this.conn.prepare('INSERT INTO sessions (id, user_name, csrf, expires_at) VALUES (?, ?, ?, ?)').run(s.id, s.user, s.csrf, isoTime(s.expiresAt));
    })();
  }

  /** null when unknown or expired */
  async getSession(id: string): Promise<Session | null> {
    const r = this.conn.prepare('SELECT * FROM sessions WHERE id = ? AND expires_at > ?').get(id, this.now().toISOString()) as
      { id: string; user_name: string; csrf: string; expires_at: string } | undefined;
    return r ? { id: r.id, user: r.user_name, csrf: r.csrf, expiresAt: r.expires_at } : null;
  }

  async deleteSession(id: string): Promise<void> {
    this.conn.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }

  async createApiToken(t: ApiToken): Promise<void> {
    this.conn.prepare('INSERT INTO api_tokens (id, user_name, token_hash, created_at, label, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(t.id, t.user, t.tokenHash, isoTime(t.createdAt), t.label, t.expiresAt === undefined ? null : isoTime(t.expiresAt));
  }

  async findApiToken(tokenHash: string): Promise<ApiToken | null> {
    const r = this.conn.prepare('SELECT * FROM api_tokens WHERE token_hash = ? AND (expires_at IS NULL OR expires_at > ?)').get(tokenHash, this.now().toISOString()) as
      { id: string; user_name: string; token_hash: string; created_at: string; label: string; expires_at: string | null } | undefined;
    return r ? { id: r.id, user: r.user_name, tokenHash: r.token_hash, createdAt: r.created_at, label: r.label, ...(r.expires_at !== null ? { expiresAt: r.expires_at } : {}) } : null;
  }

  async deleteUser(name: string): Promise<boolean> {
    return this.conn.transaction(() => {
      this.conn.prepare('DELETE FROM sessions WHERE user_name = ?').run(name);
      this.conn.prepare('DELETE FROM api_tokens WHERE user_name = ?').run(name);
      return this.conn.prepare('DELETE FROM users WHERE name = ?').run(name).changes > 0;
    })();
  }

  async deleteSessionsOf(user: string): Promise<number> {
    return this.conn.prepare('DELETE FROM sessions WHERE user_name = ?').run(user).changes;
  }

  async deleteApiTokensOf(user: string): Promise<number> {
    return this.conn.prepare('DELETE FROM api_tokens WHERE user_name = ?').run(user).changes;
  }

  async agentTokenGenerations(): Promise<Map<string, number>> {
    const rows = this.conn.prepare('SELECT host, generation FROM agent_tokens').all() as Array<{ host: string; generation: number }>;
    return new Map(rows.map((r) => [r.host, r.generation]));
  }

  async bumpAgentTokenGeneration(host: string): Promise<number> {
    const r = this.conn.prepare(`INSERT INTO agent_tokens (host, generation, updated_at) VALUES (?, 1, ?)
      ON CONFLICT (host) DO UPDATE SET generation = generation + 1, updated_at = excluded.updated_at RETURNING generation`)
      .get(host, this.now().toISOString()) as { generation: number };
    return r.generation;
  }

  async ping(): Promise<boolean> {
    return this.sqlite.ping();
  }

  async close(): Promise<void> {
    this.sqlite.close();
  }
}

/** A users table made before the operator role refuses it (SQLite cannot change a CHECK): rebuild it once. */
function allowOperatorRole(db: Database.Database): void {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").get() as { sql: string } | undefined;
  if (!row || row.sql.includes("'operator'")) return;
  db.transaction(() => {
    db.exec(`CREATE TABLE users_new (
      name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
      password_hash TEXT NOT NULL, created_at TEXT NOT NULL
    );
    INSERT INTO users_new SELECT name, role, password_hash, created_at FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;`);
  })();
}
