// What both AdminStore backends share: input checks (so a bad entry is refused alike everywhere, naming field and
// value), search patterns and time formats. Pure functions.
import { ValidationError, show, type Problem } from '../errors.js';
import type { WhitelistEntry } from '../model.js';
import type { Role, StoredWhitelistEntry, WhitelistInput } from './admin.js';

/** Column sizes of sql/001_init.sql: checked here so SQLite refuses what MySQL could not store. */
export const LIMITS = { vip: 64, dc: 128, business: 128, reason: 1000, author: 128, why: 1000 } as const;

const SCOPES = ['vip', 'dc', 'business'] as const;

/** Returns the entry normalised (unused scopes null, `until` as a full ISO time), or throws naming each bad field. */
export function checkWhitelistInput(input: WhitelistInput, actor: string, why: string): WhitelistInput {
  const problems: Problem[] = [];
  const bad = (field: string, value: unknown, message: string) =>
    problems.push({ file: 'whitelist entry', field, message: `${message} (value ${show(value)})` });
  const raw = (input ?? {}) as Partial<Record<string, unknown>>;
  const set = SCOPES.filter((k) => raw[k] !== null && raw[k] !== undefined && raw[k] !== '');
  if (set.length !== 1) bad(SCOPES.join('|'), Object.fromEntries(set.map((k) => [k, raw[k]])), 'exactly one of vip, dc, business must be set');
  for (const k of set) {
    if (typeof raw[k] !== 'string' || (raw[k] as string).trim() !== raw[k]) bad(k, raw[k], 'must be a string without surrounding spaces');
    else if ((raw[k] as string).length > LIMITS[k]) bad(k, raw[k], `longer than ${LIMITS[k]} characters`);
  }
  if (typeof raw.reason !== 'string' || !raw.reason.trim()) bad('reason', raw.reason, 'a reason is required');
  else if (raw.reason.length > LIMITS.reason) bad('reason', raw.reason, `longer than ${LIMITS.reason} characters`);
  let until: string | null = null;
  if (raw.until !== null && raw.until !== undefined && raw.until !== '') {
    const ms = typeof raw.until === 'string' ? Date.parse(raw.until) : NaN;
    if (!Number.isFinite(ms)) bad('until', raw.until, 'must be an ISO time or empty');
    else until = new Date(ms).toISOString();
  }
  problems.push(...actorProblems(actor, why));
  if (problems.length) throw new ValidationError(problems);
  const pick = (k: (typeof SCOPES)[number]) => (set[0] === k ? (raw[k] as string) : null);
  return { vip: pick('vip'), dc: pick('dc'), business: pick('business'), reason: raw.reason as string, until };
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
  if (role !== 'viewer' && role !== 'admin') throw new ValidationError([{ file: 'user', field: 'role', message: `must be viewer or admin (value ${show(role)})` }]);
  return role;
}

/** A LIKE pattern matching `search` anywhere, with `!` escaping the wildcards (the same SQL in SQLite and MySQL). */
export const likePattern = (search: string): string => `%${search.replace(/[!%_]/g, (c) => `!${c}`)}%`;

export const isoTime = (d: Date | string): string => new Date(d).toISOString();

/** The analyzer's view of the entries (core/model.ts WhitelistEntry): expired ones are its own to judge by `until`. */
export const asWhitelistEntries = (list: StoredWhitelistEntry[]): WhitelistEntry[] =>
  list.map((e) => ({
    ...(e.vip !== null ? { vip: e.vip } : e.dc !== null ? { dc: e.dc } : { business: e.business! }),
    ...(e.until !== null ? { until: e.until } : {}),
    reason: e.reason,
  }));
