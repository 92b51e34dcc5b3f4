// Whitelist entries from a form or a JSON body. The entry itself is checked by the whitelist contract's one validator
// (core/whitelist.ts), exactly as the admin store and the replay file check it; this adds what depends on the web's
// context: the form's shape, the scope being known to the inventory, and an expiry not already past.
import type { Catalog } from '../core/catalog.js';
import { show } from '../core/errors.js';
import type { StoredWhitelistEntry, WhitelistInput } from '../core/store/admin.js';
import { SCOPE_FIELD, WHITELIST_SCOPES, checkWhitelistEntry, describeEntryProblem, parseUntil, scopeOf, type WhitelistScope } from '../core/whitelist.js';

export { scopeOf };
export const SCOPES = WHITELIST_SCOPES;
export type Scope = WhitelistScope;

export interface FieldError { field: string; message: string }
export type Parsed = { ok: true; input: WhitelistInput } | { ok: false; errors: FieldError[] };

const isSet = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/**
 * The contract's fields of a body: the API shape {vip|dc|business, reason, until} as given (unset fields left out),
 * or the form shape {scope, value, reason, until} turned into it. Other fields (_csrf, why) are not the entry's.
 */
function entryFields(b: Record<string, unknown>): { entry: Record<string, unknown>; errors: FieldError[] } {
  const entry: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  if (isSet(b.scope)) {
    if (typeof b.scope !== 'string' || !(SCOPES as readonly unknown[]).includes(b.scope)) {
      errors.push({ field: 'scope', message: `scope ${show(b.scope)}: expected vip, dc or business` });
    } else entry[b.scope] = b.value ?? '';
  } else {
    for (const s of SCOPES) if (isSet(b[s])) entry[s] = b[s];
  }
  for (const k of ['reason', 'until'] as const) if (isSet(b[k])) entry[k] = b[k];
  return { entry, errors };
}

/**
 * Accepts the API shape or the form shape. `requireFuture` refuses an expiry already past (for new entries).
 * Every problem at once, each naming its field ("scope" for the choice of vip, dc or business) and value.
 */
export function parseWhitelistInput(body: unknown, catalog: Catalog, now: number, requireFuture: boolean): Parsed {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const { entry, errors } = entryFields(b);
  const checked = checkWhitelistEntry(entry, { requireReason: true });
  const bad = new Set(checked.ok ? [] : checked.problems.map((p) => p.field));
  if (!checked.ok) {
    for (const p of checked.problems) errors.push({ field: p.field === SCOPE_FIELD ? 'scope' : p.field, message: describeEntryProblem(p) });
  }
  // what needs the inventory and the clock, for every field that is well-formed (all problems at once)
  const scopes = SCOPES.filter((k) => entry[k] !== undefined);
  const scope = scopes[0];
  if (scopes.length === 1 && scope && !bad.has(scope) && typeof entry[scope] === 'string') {
    const value = (entry[scope] as string).trim();
    const known = scope === 'vip' ? catalog.vips.has(value) : scope === 'dc' ? catalog.dcs.has(value) : catalog.businesses.has(value);
    if (!known) errors.push({ field: scope, message: `${scope} ${show(value)} is not in the inventory` });
  }
  if (requireFuture && typeof entry.until === 'string' && !bad.has('until') && parseUntil(entry.until.trim()) <= now) {
    errors.push({ field: 'until', message: `until ${show(b.until)} is already past` });
  }
  if (errors.length || !checked.ok) return { ok: false, errors };
  const e = checked.entry;
  return { ok: true, input: { vip: e.vip ?? null, dc: e.dc ?? null, business: e.business ?? null, reason: e.reason ?? '', until: e.until ?? null } };
}

export const isExpired = (e: Pick<StoredWhitelistEntry, 'until'>, now: number): boolean => e.until !== null && Date.parse(e.until) <= now;

/** The API shape: a valid entry of the analyzer's whitelist file, plus id, author, times and whether it has expired. */
export function entryJson(e: StoredWhitelistEntry, now: number): Record<string, unknown> {
  const [scope, value] = scopeOf(e);
  return {
    id: e.id, [scope]: value, reason: e.reason, ...(e.until ? { until: e.until } : {}),
    author: e.author, createdAt: e.createdAt, expired: isExpired(e, now),
  };
}
