// Who is asking: users with hashed passwords, cookie sessions (stored hashed), admin API tokens for scripts.
import type { Request } from 'express';
import type { AdminStore, Role, Session, User } from '../../core/store/admin.js';
import { parseCookies } from './cookies.js';
import { hashPassword, MIN_PASSWORD, verifyPassword } from './password.js';
import { API_TOKEN_PREFIX, newApiToken, randomToken, sha256 } from './tokens.js';

export const SESSION_COOKIE = 'vipwatch_session';
/** Default lifetime of an API token (`vipwatch user token NAME --days N`). */
export const API_TOKEN_DAYS = 90;
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
export const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

export interface Principal {
  user: string;
  role: Role;
  via: 'session' | 'token';
  /** the session (for its CSRF token) when the request came with the session cookie */
  session: Session | null;
}

export class Access {
  #decoy: Promise<string> | null = null;

  constructor(
    private readonly store: AdminStore,
    private readonly sessionTtlSec: number,
    private readonly now: () => number,
  ) {}

  /** Creates or replaces a user; the password is hashed here and never stored in clear. */
  async putUser(name: string, role: Role, password: string): Promise<User> {
    if (!USER_NAME.test(name)) throw new Error(`user name ${JSON.stringify(name)}: use 1-64 letters, digits, . _ @ -`);
    if (!ROLES.includes(role)) throw new Error(`role ${JSON.stringify(role)}: expected ${ROLES.join(', ')}`);
    if (password.length < MIN_PASSWORD) throw new Error(`password for ${name}: at least ${MIN_PASSWORD} characters`);
    const existing = await this.store.getUser(name);
    const user: User = { name, role, passwordHash: await hashPassword(password), createdAt: existing?.createdAt ?? new Date(this.now()).toISOString() };
    await this.store.putUser(user);
    // a new password ends every session made with the old one (whoever knew it is logged out)
    if (existing) await this.store.deleteSessionsOf(name);
    return user;
  }

  /** The user when name and password match; unknown names cost the same scrypt work as known ones. */
  async checkPassword(name: string, password: string): Promise<User | null> {
    const user = USER_NAME.test(name) ? await this.store.getUser(name) : null;
    const ok = await verifyPassword(password, user?.passwordHash ?? (await this.#decoyHash()));
    return ok && user ? user : null;
  }

  /** Returns the cookie value (the only place the raw session id exists) and the stored session. */
  async startSession(user: string): Promise<{ cookie: string; session: Session }> {
    const cookie = randomToken(32);
    const session: Session = { id: sha256(cookie), user, csrf: randomToken(24), expiresAt: new Date(this.now() + this.sessionTtlSec * 1000).toISOString() };
    await this.store.createSession(session);
    return { cookie, session };
  }

  async endSession(cookie: string): Promise<void> { await this.store.deleteSession(sha256(cookie)); }

  /** A new API token for USER, valid for ttlDays; only its hash is stored. */
  async issueApiToken(user: string, label: string, ttlDays = API_TOKEN_DAYS): Promise<string> {
    const u = await this.store.getUser(user);
    if (!u) throw new Error(`no user ${JSON.stringify(user)}`);
    if (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays > 3650) throw new Error(`token lifetime ${JSON.stringify(ttlDays)}: expected whole days 1..3650`);
    const token = newApiToken();
    const expiresAt = new Date(this.now() + ttlDays * 86_400_000).toISOString();
    await this.store.createApiToken({ id: randomToken(6), user, tokenHash: sha256(token), createdAt: new Date(this.now()).toISOString(), label, expiresAt });
    return token;
  }

  /** Bearer tokens count only where allowBearer (the JSON API); pages accept the session cookie alone. */
  async identify(req: Request, allowBearer: boolean): Promise<Principal | null> {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('Authorization') ?? '');
    if (m && allowBearer && m[1]!.startsWith(API_TOKEN_PREFIX)) {
      const t = await this.store.findApiToken(sha256(m[1]!));
      const user = t ? await this.store.getUser(t.user) : null;
      return user ? { user: user.name, role: user.role, via: 'token', session: null } : null;
    }
    const cookie = parseCookies(req.get('Cookie')).get(SESSION_COOKIE);
    if (!cookie) return null;
    const session = await this.store.getSession(sha256(cookie));
    if (!session) return null;
    if (Date.parse(session.expiresAt) <= this.now()) {
      await this.store.deleteSession(session.id);
      return null;
    }
    // The role is read from the user each time, so a demotion or removal takes effect at once.
    const user = await this.store.getUser(session.user);
    return user ? { user: user.name, role: user.role, via: 'session', session } : null;
  }

  #decoyHash(): Promise<string> { return (this.#decoy ??= hashPassword(randomToken(12))); }
}
