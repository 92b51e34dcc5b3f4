// The admin store: whitelist (with audit), business owners, web users, sessions and API tokens.
// Backends: core/store/sqlite (embedded default) and core/store/mysql (MySQL / MariaDB; schema in sql/).
import type { Business } from '../model.js';

export interface StoredWhitelistEntry {
  id: number;
  /** exactly one of vip, dc, business is set */
  vip: string | null;
  dc: string | null;
  business: string | null;
  reason: string;
  author: string;
  createdAt: string;
  /** ISO time after which the entry no longer applies; null = no expiry */
  until: string | null;
}

export type WhitelistInput = Pick<StoredWhitelistEntry, 'vip' | 'dc' | 'business' | 'reason' | 'until'>;

export interface AuditRecord {
  id: number;
  at: string;
  actor: string;
  action: 'create' | 'update' | 'delete';
  entryId: number;
  /** the entry before and after the change (null where it did not exist) */
  before: StoredWhitelistEntry | null;
  after: StoredWhitelistEntry | null;
  why: string;
}

/** operator: may also start on-demand probe jobs; admin: may change everything */
export type Role = 'viewer' | 'operator' | 'admin';
export interface User { name: string; role: Role; passwordHash: string; createdAt: string }
export interface Session { id: string; user: string; csrf: string; expiresAt: string }
export interface ApiToken {
  id: string; user: string; tokenHash: string; createdAt: string; label: string;
  /** after this ISO time the token no longer counts; absent = never expires (tokens made before expiry existed) */
  expiresAt?: string;
}

export interface AdminStore {
  init(): Promise<void>;
  // whitelist: every change is written to the audit log in the same transaction
  /**
   * newest first; without includeExpired, entries whose `until` is at or before `now` (default: the store's clock)
   * are left out; `search` matches vip, dc, business, reason and author as a case-insensitive substring
   */
  listWhitelist(opts?: { search?: string; includeExpired?: boolean; now?: string }): Promise<StoredWhitelistEntry[]>;
  /** invalid input (not exactly one scope, no reason, bad until, no actor) throws ValidationError naming field and value */
  addWhitelist(entry: WhitelistInput, actor: string, why: string): Promise<StoredWhitelistEntry>;
  /** null (and no audit) when the id is unknown; `author` stays the creator, the changer is in the audit */
  updateWhitelist(id: number, entry: WhitelistInput, actor: string, why: string): Promise<StoredWhitelistEntry | null>;
  deleteWhitelist(id: number, actor: string, why: string): Promise<boolean>;
  /** newest first */
  audit(opts?: { entryId?: number; limit?: number }): Promise<AuditRecord[]>;
  // business owners (synchronised from the inventory; alert routing reads them)
  /** makes the stored businesses exactly `list`: new ones added, changed ones updated, the rest (no longer in the inventory) deleted */
  replaceBusinesses(list: Business[]): Promise<void>;
  businesses(): Promise<Business[]>;
  // users, sessions, API tokens (for the web UI)
  /** inserts, or updates role and passwordHash of an existing name (createdAt kept); names are case-sensitive */
  putUser(user: User): Promise<void>;
  getUser(name: string): Promise<User | null>;
  listUsers(): Promise<User[]>;
  createSession(s: Session): Promise<void>;
  /** null when unknown or expired (expiresAt at or before the store's clock); createSession sweeps expired ones */
  getSession(id: string): Promise<Session | null>;
  deleteSession(id: string): Promise<void>;
  createApiToken(t: ApiToken): Promise<void>;
  /** null when unknown or expired (expiresAt at or before the store's clock) */
  findApiToken(tokenHash: string): Promise<ApiToken | null>;
  // revocation (finding 4)
  /** removes the user with every session and API token of theirs; false when there was no such user */
  deleteUser(name: string): Promise<boolean>;
  /** ends every session of the user (a password change); returns how many there were */
  deleteSessionsOf(user: string): Promise<number>;
  /** revokes every API token of the user; returns how many there were */
  deleteApiTokensOf(user: string): Promise<number>;
  /** agent token generation per host; hosts never rotated are absent (generation 0) */
  agentTokenGenerations(): Promise<Map<string, number>>;
  /** moves the host to its next token generation (its current token stops counting) and returns it */
  bumpAgentTokenGeneration(host: string): Promise<number>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
