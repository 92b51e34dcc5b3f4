// The replay's whitelist file: {"entries":[{"vip":"203.0.113.10"},{"dc":"bj-zw"},{"business":"search","until":"...","reason":"..."}]}
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError, readInputFile, show, type Problem } from '../core/errors.js';
import type { WhitelistEntry } from '../core/model.js';
import type { StoredWhitelistEntry } from '../core/store/admin.js';

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s), 'expected an ISO time such as 2026-11-23T15:00:00Z');
const entrySchema = z.object({
  vip: z.string().min(1).optional(),
  dc: z.string().min(1).optional(),
  business: z.string().min(1).optional(),
  until: isoTime.optional(),
  reason: z.string().optional(),
}).strict().refine((e) => [e.vip, e.dc, e.business].filter((x) => x !== undefined).length === 1, 'an entry names exactly one of vip, dc, business');
const fileSchema = z.object({ entries: z.array(z.unknown()) });

export function parseWhitelist(text: string, file: string): WhitelistEntry[] {
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ValidationError([{ file, message: `cannot parse: ${(e as Error).message}` }]);
  }
  const root = fileSchema.safeParse(data);
  if (!root.success) throw new ValidationError([{ file, field: 'entries', message: `expected {"entries":[...]}, got ${show(data)}` }]);
  const problems: Problem[] = [];
  const out: WhitelistEntry[] = [];
  root.data.entries.forEach((raw, i) => {
    const r = entrySchema.safeParse(raw);
    if (r.success) { out.push(r.data); return; }
    for (const issue of r.error.issues) {
      const field = issue.path.join('.') || '(entry)';
      const value = issue.path.length ? (raw as Record<string, unknown>)?.[String(issue.path[0])] : raw;
      problems.push({ file, entry: `entries[${i}]`, field, message: `${issue.message} (value ${show(value)})` });
    }
  });
  if (problems.length) throw new ValidationError(problems);
  return out;
}

export function loadWhitelist(file: string): WhitelistEntry[] {
  return parseWhitelist(readInputFile(file), file);
}

/** Admin-store entries in the engine's shape (nulls dropped). */
export const storedToEntries = (list: ReadonlyArray<Pick<StoredWhitelistEntry, 'vip' | 'dc' | 'business' | 'until' | 'reason'>>): WhitelistEntry[] =>
  list.map((e) => ({
    ...(e.vip ? { vip: e.vip } : {}), ...(e.dc ? { dc: e.dc } : {}), ...(e.business ? { business: e.business } : {}),
    ...(e.until ? { until: e.until } : {}), ...(e.reason ? { reason: e.reason } : {}),
  }));
