// The replay's whitelist file: {"entries":[{"vip":"203.0.113.10"},{"dc":"bj-zw"},{"business":"search","until":"...","reason":"..."}]}
// Each entry is checked by the whitelist contract's one validator (core/whitelist.ts), like a web or store write.
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError, readInputFile, show, type Problem } from '../core/errors.js';
import { checkWhitelistEntry, describeEntryProblem, type WhitelistEntry } from '../core/whitelist.js';

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
    const r = checkWhitelistEntry(raw);
    if (r.ok) out.push(r.entry);
    else for (const p of r.problems) problems.push({ file, entry: `entries[${i}]`, field: p.field, message: describeEntryProblem(p) });
  });
  if (problems.length) throw new ValidationError(problems);
  return out;
}

export function loadWhitelist(file: string): WhitelistEntry[] {
  return parseWhitelist(readInputFile(file), file);
}
