// The MySQL / MariaDB admin store (mysql2/promise, one pool). Schema: sql/*.sql, applied at init(). Each whitelist
// change and its audit row are one transaction; the changed row is locked (FOR UPDATE) while its "before" is read.
import mysql, { type Pool, type PoolConnection, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../../log.js';
import type { Business } from '../../model.js';
import type {
  AdminStore, ApiToken, AuditRecord, Session, StoredWhitelistEntry, User, WhitelistInput,
} from '../admin.js';
import { checkActor, checkRole, checkWhitelistInput, isoTime, likePattern } from '../admin-common.js';
import { StoreUnavailableError } from '../series.js';
import { loadMigrations, migrate, type Migration } from './migrate.js';

export interface MysqlAdminStoreOptions {
  /** mysql://user:password@host:port/database[?connectionLimit=10&...] */
  url: string;
  log: Logger;
  now?: () => Date;
  migrations?: Migration[];
}

/** DATETIME(3) text in UTC; dateStrings keeps mysql2 from converting through the local time zone. */
const toSql = (t: Date | string): string => isoTime(t).replace('T', ' ').replace('Z', '');
const fromSql = (s: string): string => `${s.replace(' ', 'T')}Z`;
const fromSqlOrNull = (s: string | null): string | null => (s === null ? null : fromSql(s));

const entryOf = (r: RowDataPacket): StoredWhitelistEntry => ({
  id: Number(r.id), vip: r.vip, dc: r.dc, business: r.business, reason: r.reason, author: r.author,
  createdAt: fromSql(r.created_at), until: fromSqlOrNull(r.expires_at),
});
const auditOf = (r: RowDataPacket): AuditRecord => ({
  id: Number(r.id), at: fromSql(r.at), actor: r.actor, action: r.action, entryId: Number(r.entry_id),
  before: r.before_json === null ? null : (JSON.parse(r.before_json) as StoredWhitelistEntry),
  after: r.after_json === null ? null : (JSON.parse(r.after_json) as StoredWhitelistEntry),
  why: r.why,
});
const userOf = (r: RowDataPacket): User => ({ name: r.name, role: r.role, passwordHash: r.password_hash, createdAt: fromSql(r.created_at) });

const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR']);

export class MysqlAdminStore implements AdminStore {
  private pool: Pool | null = null;
  private readonly now: () => Date;

  constructor(private readonly opts: MysqlAdminStoreOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  async init(): Promise<void> {
    if (this.pool) return;
    const migrations = this.opts.migrations ?? loadMigrations();
    await this.guard('init', async () => {
      try {
        await migrate(this.opts.url, migrations, this.opts.log);
      } catch (e) {
        if ((e as { code?: string }).code !== 'ER_BAD_DB_ERROR') throw e;
        await this.createDatabase();
        await migrate(this.opts.url, migrations, this.opts.log);
      }
    });
    this.pool = mysql.createPool({ uri: this.opts.url, dateStrings: true, waitForConnections: true });
    this.opts.log.debug({ url: redact(this.opts.url) }, 'admin store (mysql) ready');
  }

  /** A first start against an empty server: create the database the URL names. */
  private async createDatabase(): Promise<void> {
    const u = new URL(this.opts.url);
    const name = decodeURIComponent(u.pathname.slice(1));
    u.pathname = '/';
    const conn = await mysql.createConnection({ uri: u.toString() });
    try {
      await conn.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      this.opts.log.info({ database: name }, 'admin store (mysql): database created');
    } finally {
      await conn.end();
    }
  }

  private get conn(): Pool {
    if (!this.pool) throw new Error('admin store (mysql): init() was not called');
    return this.pool;
  }

  /** Connection failures become StoreUnavailableError (the web answers 503); anything else passes through. */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code && UNAVAILABLE.has(code)) throw new StoreUnavailableError(`admin store (mysql): ${what} failed: ${code} ${(e as Error).message}`, e);
      throw e;
    }
  }

  private async rows(sql: string, params: unknown[] = []): Promise<RowDataPacket[]> {
    return this.guard('query', async () => (await this.conn.query<RowDataPacket[]>(sql, params))[0]);
  }

  private async tx<T>(fn: (c: PoolConnection) => Promise<T>): Promise<T> {
    return this.guard('transaction', async () => {
      const c = await this.conn.getConnection();
      try {
        await c.beginTransaction();
        const out = await fn(c);
        await c.commit();
        return out;
      } catch (e) {
        await c.rollback().catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    });
  }

  private async entry(c: PoolConnection, id: number, lock = false): Promise<StoredWhitelistEntry | null> {
    const [rows] = await c.query<RowDataPacket[]>(`SELECT * FROM whitelist WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? entryOf(rows[0]) : null;
  }

  private async writeAudit(c: PoolConnection, actor: string, action: AuditRecord['action'], before: StoredWhitelistEntry | null, after: StoredWhitelistEntry | null, why: string): Promise<void> {
    await c.query(`INSERT INTO whitelist_audit (at, actor, action, entry_id, before_json, after_json, why) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [toSql(this.now()), actor, action, (after ?? before)!.id, before && JSON.stringify(before), after && JSON.stringify(after), why]);
  }

  async listWhitelist(opts: { search?: string; includeExpired?: boolean; now?: string } = {}): Promise<StoredWhitelistEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (!opts.includeExpired) {
      where.push('(expires_at IS NULL OR expires_at > ?)');
      params.push(toSql(opts.now ?? this.now()));
    }
    if (opts.search) {
      where.push(`(${['vip', 'dc', 'business', 'reason', 'author'].map((c) => `${c} LIKE ? ESCAPE '!'`).join(' OR ')})`);
      params.push(...Array<string>(5).fill(likePattern(opts.search)));
    }
    const rows = await this.rows(`SELECT * FROM whitelist ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`, params);
    return rows.map(entryOf);
  }

  async addWhitelist(input: WhitelistInput, actor: string, why: string): Promise<StoredWhitelistEntry> {
    const e = checkWhitelistInput(input, actor, why);
    return this.tx(async (c) => {
      const [res] = await c.query<ResultSetHeader>(`INSERT INTO whitelist (vip, dc, business, reason, author, created_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)`, [e.vip, e.dc, e.business, e.reason, actor, toSql(this.now()), e.until && toSql(e.until)]);
      const after = (await this.entry(c, res.insertId))!;
      await this.writeAudit(c, actor, 'create', null, after, why);
      return after;
    });
  }

  async updateWhitelist(id: number, input: WhitelistInput, actor: string, why: string): Promise<StoredWhitelistEntry | null> {
    const e = checkWhitelistInput(input, actor, why);
    return this.tx(async (c) => {
      const before = await this.entry(c, id, true);
      if (!before) return null;
      // the author stays who created the entry; who changed it is in the audit
      await c.query('UPDATE whitelist SET vip = ?, dc = ?, business = ?, reason = ?, expires_at = ? WHERE id = ?',
        [e.vip, e.dc, e.business, e.reason, e.until && toSql(e.until), id]);
      const after = (await this.entry(c, id))!;
      await this.writeAudit(c, actor, 'update', before, after, why);
      return after;
    });
  }

  async deleteWhitelist(id: number, actor: string, why: string): Promise<boolean> {
    checkActor(actor, why);
    return this.tx(async (c) => {
      const before = await this.entry(c, id, true);
      if (!before) return false;
      await c.query('DELETE FROM whitelist WHERE id = ?', [id]);
      await this.writeAudit(c, actor, 'delete', before, null, why);
      return true;
    });
  }

  async audit(opts: { entryId?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    const rows = await this.rows(`SELECT * FROM whitelist_audit ${opts.entryId !== undefined ? 'WHERE entry_id = ?' : ''} ORDER BY id DESC
      ${opts.limit !== undefined ? 'LIMIT ?' : ''}`, [...(opts.entryId !== undefined ? [opts.entryId] : []), ...(opts.limit !== undefined ? [opts.limit] : [])]);
    return rows.map(auditOf);
  }

  async replaceBusinesses(list: Business[]): Promise<void> {
    await this.tx(async (c) => {
      if (list.length) {
        await c.query(`INSERT INTO businesses (name, dept, owners_json) VALUES ?
          ON DUPLICATE KEY UPDATE dept = VALUES(dept), owners_json = VALUES(owners_json)`,
        [list.map((b) => [b.name, b.dept ?? null, JSON.stringify(b.owners)])]);
      }
      // `NOT IN ()` is not SQL: with no business left, all go
      await c.query(list.length ? 'DELETE FROM businesses WHERE name NOT IN (?)' : 'DELETE FROM businesses', [list.map((b) => b.name)]);
    });
  }

  async businesses(): Promise<Business[]> {
    const rows = await this.rows('SELECT name, dept, owners_json FROM businesses ORDER BY name');
    return rows.map((r) => ({ name: r.name, ...(r.dept !== null ? { dept: r.dept } : {}), owners: JSON.parse(r.owners_json) as string[] }));
  }

  async putUser(user: User): Promise<void> {
    await this.rows(`INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)
      ON DUPLICATE KEY UPDATE role = VALUES(role), password_hash = VALUES(password_hash)`,
    [user.name, checkRole(user.role), user.passwordHash, toSql(user.createdAt)]);
  }

  async getUser(name: string): Promise<User | null> {
    const [r] = await this.rows('SELECT * FROM users WHERE name = ?', [name]);
    return r ? userOf(r) : null;
  }

  async listUsers(): Promise<User[]> {
    return (await this.rows('SELECT * FROM users ORDER BY name')).map(userOf);
  }

  async createSession(s: Session): Promise<void> {
    const now = toSql(this.now());
    await this.tx(async (c) => {
      // expired sessions go as new ones come, so the table stays the size of the live ones
      await c.query('DELETE FROM sessions WHERE expires_at <= ?', [now]);
      await c.query('INSERT INTO sessions (id, user_name, csrf, expires_at) VALUES (?, ?, ?, ?)', [s.id, s.user, s.csrf, toSql(s.expiresAt)]);
    });
  }

  /** null when unknown or expired */
  async getSession(id: string): Promise<Session | null> {
    const [r] = await this.rows('SELECT * FROM sessions WHERE id = ? AND expires_at > ?', [id, toSql(this.now())]);
    return r ? { id: r.id, user: r.user_name, csrf: r.csrf, expiresAt: fromSql(r.expires_at) } : null;
  }

  async deleteSession(id: string): Promise<void> {
    await this.rows('DELETE FROM sessions WHERE id = ?', [id]);
  }

  async createApiToken(t: ApiToken): Promise<void> {
    await this.rows('INSERT INTO api_tokens (id, user_name, token_hash, created_at, label, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      [t.id, t.user, t.tokenHash, toSql(t.createdAt), t.label, t.expiresAt === undefined ? null : toSql(t.expiresAt)]);
  }

  async findApiToken(tokenHash: string): Promise<ApiToken | null> {
    const [r] = await this.rows('SELECT * FROM api_tokens WHERE token_hash = ? AND (expires_at IS NULL OR expires_at > ?)', [tokenHash, toSql(this.now())]);
    return r ? {
      id: r.id, user: r.user_name, tokenHash: r.token_hash, createdAt: fromSql(r.created_at), label: r.label,
      ...(r.expires_at !== null ? { expiresAt: fromSql(r.expires_at) } : {}),
    } : null;
  }

  async deleteUser(name: string): Promise<boolean> {
    return this.tx(async (c) => {
      await c.query('DELETE FROM sessions WHERE user_name = ?', [name]);
      await c.query('DELETE FROM api_tokens WHERE user_name = ?', [name]);
      const [res] = await c.query<ResultSetHeader>('DELETE FROM users WHERE name = ?', [name]);
      return res.affectedRows > 0;
    });
  }

  async deleteSessionsOf(user: string): Promise<number> {
    return this.guard('query', async () => (await this.conn.query<ResultSetHeader>('DELETE FROM sessions WHERE user_name = ?', [user]))[0].affectedRows);
  }

  async deleteApiTokensOf(user: string): Promise<number> {
    return this.guard('query', async () => (await this.conn.query<ResultSetHeader>('DELETE FROM api_tokens WHERE user_name = ?', [user]))[0].affectedRows);
  }

  async agentTokenGenerations(): Promise<Map<string, number>> {
    const rows = await this.rows('SELECT host, generation FROM agent_tokens');
    return new Map(rows.map((r) => [r.host as string, Number(r.generation)]));
  }

  async bumpAgentTokenGeneration(host: string): Promise<number> {
    return this.tx(async (c) => {
      await c.query(`INSERT INTO agent_tokens (host, generation, updated_at) VALUES (?, 1, ?)
        ON DUPLICATE KEY UPDATE generation = generation + 1, updated_at = VALUES(updated_at)`, [host, toSql(this.now())]);
      const [[r]] = await c.query<RowDataPacket[]>('SELECT generation FROM agent_tokens WHERE host = ?', [host]);
      return Number(r!.generation);
    });
  }

  async ping(): Promise<boolean> {
    try {
      await this.conn.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool?.end();
    this.pool = null;
  }
}

/** The URL without its password, for logs. */
export const redact = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
};
