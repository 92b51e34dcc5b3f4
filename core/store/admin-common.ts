// What both AdminStore backends share: input checks (so a bad entry is refused alike everywhere, naming field and
// value), search patterns and time formats. Pure functions.
import { ValidationError, show, type Problem } from '../errors.js';
import { WHITELIST_LIMITS, checkWhitelistEntry, describeEntryProblem, toWhitelistEntry, type WhitelistEntry } from '../whitelist.js';
import type { Role, StoredWhitelistEntry, WhitelistInput } from './admin.js';

/** Column sizes of sql/001_init.sql: the entry's own limits are the whitelist contract's (core/whitelist.ts). */
export const LIMITS = { ...WHITELIST_LIMITS, author: 128, why: 1000 } as const;

/** Returns the entry normalised (unused scopes null, `until` as a full ISO time), or throws naming each bad field. */
export function checkWhitelistInput(input: WhitelistInput, actor: string, why: string): WhitelistInput {
  const raw = (input ?? {}) as Partial<Record<string, unknown>>;
  // the stores' shape marks an unset field with null (or ''); the contract leaves it out
  const entry = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null && v !== undefined && v !== ''));
  const checked = checkWhitelistEntry(entry, { requireReason: true });
  const problems: Problem[] = checked.ok ? [] : checked.problems.map((p) => ({ file: 'whitelist entry', field: p.field, message: describeEntryProblem(p) }));
  problems.push(...actorProblems(actor, why));
  if (!checked.ok || problems.length) throw new ValidationError(problems);
  const e = checked.entry;
  return { vip: e.vip ?? null, dc: e.dc ?? null, business: e.business ?? null, reason: e.reason ?? '', until: e.until ?? null };
}

function actorProblems(actor: string, why: string): Problem[] {
  const out: Problem[] = [];
  if (typeof actor !== 'string' || !actor.trim() || actor.length > LIMITS.author) {
    out.push({ file: 'whitelist change', field: 'author', message: `must be a non-empty name of at most ${LIMITS.author} characters (value ${show(actor)})` });
  }
  if (typeof why !== 'string' || why.length > LIMITS.why) {
    out.push({ file: 'whitelist change', field: 'why', message: `must be a string of at most ${LIMITS.why} characters (value ${show(why)})` });
  }
  return out;
}

/** Who and why of a change that carries no entry (a delete). */
export function checkActor(actor: string, why: string): void {
  const problems = actorProblems(actor, why);
  if (problems.length) throw new ValidationError(problems);
}

export function checkRole(role: unknown): Role {
  if (role !== 'viewer' && role !== 'operator' && role !== 'admin') throw new ValidationError([{ file: 'user', field: 'role', message: `must be viewer, operator or admin (value ${show(role)})` }]);
  return role;
}

/** A LIKE pattern matching `search` anywhere, with `!` escaping the wildcards (the same SQL in SQLite and MySQL). */
export const likePattern = (search: string): string => `%${search.replace(/[!%_]/g, (c) => `!${c}`)}%`;

export const isoTime = (d: Date | string): string => new Date(d).toISOString();

/** The analyzer's view of the entries (the contract's shape): expired ones are its own to judge by `until`. */
export const asWhitelistEntries = (list: StoredWhitelistEntry[]): WhitelistEntry[] => list.map(toWhitelistEntry);
