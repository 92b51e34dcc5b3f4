// The reference the gateway's hand-written validator is held to: the shared zod schema (core/records.ts), its issues
// named "results[3].rttAvg: message (value ...)".
import { show } from '../../core/errors.js';
import { resultsBodySchema } from '../../core/records.js';
import type { BodyValidator } from '../../gateway/results-check.js';

/** "results[3].rttAvg" from ["results", 3, "rttAvg"]; "(body)" for the root. */
export const fieldPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '') || '(body)';

const valueAt = (raw: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), raw);

export const schemaValidator: BodyValidator = (raw) => {
  const r = resultsBodySchema.safeParse(raw);
  if (r.success) return { ok: true, body: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((issue) => {
      // no value for unknown keys (it would be the whole object) nor for an over-long array
      const v = issue.code === 'unrecognized_keys' || issue.code === 'too_big' && issue.origin === 'array' ? undefined : valueAt(raw, issue.path);
      return `${fieldPath(issue.path)}: ${issue.message}${v !== undefined ? ` (value ${show(v)})` : ''}`;
    }),
  };
};
