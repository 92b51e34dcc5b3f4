// The whitelist-entry contract: one zod schema, the type from it, and the one validator every writer uses (the
// replay's whitelist file, the web form and API, the admin stores), so an entry is refused alike everywhere, each
// problem naming its field and value. Inventory membership and "not already past" depend on context and stay with
// the caller (web/whitelist-input.ts).
import { z } from 'zod';
import { show } from './errors.js';

export const WHITELIST_SCOPES = ['vip', 'dc', 'business'] as const;
export type WhitelistScope = (typeof WHITELIST_SCOPES)[number];

/** Column sizes of sql/001_init.sql: checked for every writer, so a file entry is refused like a stored one. */
export const WHITELIST_LIMITS = { vip: 64, dc: 128, business: 128, reason: 1000 } as const;

/** The field a "not exactly one scope" problem names. */
export const SCOPE_FIELD = WHITELIST_SCOPES.join('|');

const UNTIL = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)?)?$/;
const UNTIL_HELP = 'expected an ISO time like 2026-11-23T18:00:00Z (a time without zone is UTC)';

/** ms since epoch of an `until` text, NaN when it is not one; "2026-11-23T14:05" (a datetime-local field) is UTC. */
export function parseUntil(v: string): number {
  if (!UNTIL.test(v)) return NaN;
  return Date.parse(/T[^Z+-]*$/.test(v) ? `${v}Z` : v);
}

const scopeField = (k: WhitelistScope) =>
  z.string({ error: `${k} must be a string` }).trim()
    .min(1, `${k} is empty`)
    .max(WHITELIST_LIMITS[k], `${k} is longer than ${WHITELIST_LIMITS[k]} characters`);

const untilField = z.string({ error: `until must be a string: ${UNTIL_HELP}` }).trim().transform((s, ctx) => {
  const t = parseUntil(s);
  if (Number.isFinite(t)) return new Date(t).toISOString();
  ctx.addIssue({ code: 'custom', message: `until: ${UNTIL_HELP}` });
  return z.NEVER;
});

const scopesOf = (o: unknown): WhitelistScope[] =>
  o !== null && typeof o === 'object' ? WHITELIST_SCOPES.filter((k) => (o as Record<string, unknown>)[k] !== undefined) : [];

/** One whitelist entry: exactly one scope, an optional expiry (normalised to a full ISO time) and a reason. */
export const whitelistEntrySchema = z.object({
  vip: scopeField('vip').optional(),
  dc: scopeField('dc').optional(),
  business: scopeField('business').optional(),
  until: untilField.optional(),
  reason: z.string({ error: 'reason must be a string' }).trim()
    .max(WHITELIST_LIMITS.reason, `reason is longer than ${WHITELIST_LIMITS.reason} characters`).optional(),
}).strict().refine((o) => scopesOf(o).length === 1, {
  message: 'exactly one of vip, dc, business must be set', path: [SCOPE_FIELD],
  // also when another field is bad, so every problem is reported at once
  when: () => true,
});

export type WhitelistEntry = z.infer<typeof whitelistEntrySchema>;

export interface EntryProblem { field: string; message: string; value: unknown }
export type EntryCheck = { ok: true; entry: WhitelistEntry } | { ok: false; problems: EntryProblem[] };

const RANK: Record<string, number> = { [SCOPE_FIELD]: 0, vip: 1, dc: 2, business: 3, reason: 4, until: 5 };

/**
 * The one validator of a whitelist entry. `requireReason`: writes through the web and the admin stores are audited
 * and need a reason; a replay file's entries need none. Problems come in field order (scope, reason, until).
 */
export function checkWhitelistEntry(raw: unknown, opts: { requireReason?: boolean } = {}): EntryCheck {
  const r = whitelistEntrySchema.safeParse(raw);
  const problems: EntryProblem[] = [];
  const o = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  if (!r.success) {
    for (const issue of r.error.issues) {
      const field = String(issue.path[0] ?? '(entry)');
      const value = field === SCOPE_FIELD ? Object.fromEntries(scopesOf(raw).map((k) => [k, o[k]]))
        : issue.code === 'unrecognized_keys' ? issue.keys : issue.path.length ? o[field] : raw;
      problems.push({ field: issue.code === 'unrecognized_keys' ? '(entry)' : field, message: issue.message, value });
    }
  }
  const reasonGiven = typeof o.reason === 'string' && o.reason.trim() !== '';
  if (opts.requireReason && !reasonGiven && !problems.some((p) => p.field === 'reason')) {
    problems.push({ field: 'reason', message: 'reason is required: say why faults here should not alert', value: o.reason });
  }
  if (problems.length || !r.success) {
    return { ok: false, problems: problems.sort((a, b) => (RANK[a.field] ?? 9) - (RANK[b.field] ?? 9)) };
  }
  return { ok: true, entry: r.data };
}

/** "field: message (value ...)". */
export const describeEntryProblem = (p: EntryProblem): string =>
  `${p.message}${p.value !== undefined ? ` (value ${show(p.value)})` : ''}`;

/** The scope an entry names. */
export function scopeOf(e: Partial<Record<WhitelistScope, string | null | undefined>>): [WhitelistScope, string] {
  for (const k of WHITELIST_SCOPES) if (e[k] !== null && e[k] !== undefined) return [k, e[k]];
  return ['business', ''];
}

/** A stored entry (nulls where unset) in the contract's shape, as the engine takes it. */
export const toWhitelistEntry = (e: { vip: string | null; dc: string | null; business: string | null; until: string | null; reason: string }): WhitelistEntry => {
  const [scope, value] = scopeOf(e);
  return { [scope]: value, ...(e.until !== null ? { until: e.until } : {}), reason: e.reason };
};
