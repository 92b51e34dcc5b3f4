// Whitelist entries from a form or a JSON body: one scope (vip, dc or business) known to the inventory, a reason,
// an optional expiry. Pure: returns every problem at once, each naming its field and value.
import type { Catalog } from '../core/catalog.js';
import type { StoredWhitelistEntry, WhitelistInput } from '../core/store/admin.js';
import { show } from '../core/errors.js';

export const SCOPES = ['vip', 'dc', 'business'] as const;
export type Scope = (typeof SCOPES)[number];

export interface FieldError { field: string; message: string }
export type Parsed = { ok: true; input: WhitelistInput } | { ok: false; errors: FieldError[] };

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/** "2026-11-23T14:05" from a datetime-local field is taken as UTC, like every time in vipwatch. */
export function parseUntil(v: string): number {
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(v)) return Date.parse(`${v}Z`);
  return /^\d{4}-\d\d-\d\d/.test(v) ? Date.parse(v) : NaN;
}

/**
 * Accepts the API shape {vip|dc|business, reason, until} or the form shape {scope, value, reason, until}.
 * `requireFuture` refuses an expiry already past (for new entries).
 */
export function parseWhitelistInput(body: unknown, catalog: Catalog, now: number, requireFuture: boolean): Parsed {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  const scoped: Array<[Scope, string]> = [];
  const formScope = str(b.scope);
  if (formScope) {
    if (!(SCOPES as readonly string[]).includes(formScope)) errors.push({ field: 'scope', message: `scope ${show(formScope)}: expected vip, dc or business` });
    else scoped.push([formScope as Scope, str(b.value)]);
  } else {
    for (const s of SCOPES) if (b[s] !== undefined && b[s] !== null && b[s] !== '') scoped.push([s, str(b[s])]);
  }
  if (!errors.length && scoped.length !== 1) errors.push({ field: 'scope', message: `give exactly one of vip, dc or business (got ${scoped.length})` });
  const [scope, value] = scoped[0] ?? ['vip', ''];
  if (scoped.length === 1) {
    const known = scope === 'vip' ? catalog.vips.has(value) : scope === 'dc' ? catalog.dcs.has(value) : catalog.businesses.has(value);
    if (!value) errors.push({ field: scope, message: `${scope} is empty` });
    else if (!known) errors.push({ field: scope, message: `${scope} ${show(value)} is not in the inventory` });
  }
  const reason = str(b.reason);
  if (!reason) errors.push({ field: 'reason', message: 'reason is required: say why faults here should not alert' });
  else if (reason.length > 500) errors.push({ field: 'reason', message: `reason is ${reason.length} characters; at most 500` });
  const untilRaw = str(b.until);
  let until: string | null = null;
  if (untilRaw) {
    const t = parseUntil(untilRaw);
    if (!Number.isFinite(t)) errors.push({ field: 'until', message: `until ${show(untilRaw)}: expected an ISO time like 2026-11-23T18:00Z` });
    else if (requireFuture && t <= now) errors.push({ field: 'until', message: `until ${show(untilRaw)} is already past` });
    else until = new Date(t).toISOString();
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    input: { vip: scope === 'vip' ? value : null, dc: scope === 'dc' ? value : null, business: scope === 'business' ? value : null, reason, until },
  };
}

export const scopeOf = (e: Pick<StoredWhitelistEntry, 'vip' | 'dc' | 'business'>): [Scope, string] =>
  e.vip !== null ? ['vip', e.vip] : e.dc !== null ? ['dc', e.dc] : ['business', e.business ?? ''];

export const isExpired = (e: Pick<StoredWhitelistEntry, 'until'>, now: number): boolean => e.until !== null && Date.parse(e.until) <= now;

/** The API shape: a valid entry of the analyzer's whitelist file, plus id, author, times and whether it has expired. */
export function entryJson(e: StoredWhitelistEntry, now: number): Record<string, unknown> {
  const [scope, value] = scopeOf(e);
  return {
    id: e.id, [scope]: value, reason: e.reason, ...(e.until ? { until: e.until } : {}),
    author: e.author, createdAt: e.createdAt, expired: isExpired(e, now),
  };
}
