// The result-record contract (agent -> gateway, and replay input): one zod schema, the type from it, and the one
// hand-written fast check that the ingest path and the replay parser use. The fast check only says yes or no; every
// message comes from the schema (recordIssues), so the two can differ in speed but never in wording.
// test/core/records.test.ts holds isValidRecord to recordSchema with generated records: change them together.
import { z } from 'zod';
import { show } from './errors.js';

export const METHODS = ['icmp', 'tcp', 'http'] as const;
export type Method = (typeof METHODS)[number];

const MAX_MS = 600_000;
const MAX_COUNT = 100_000;
const MAX_NAME = 253;
/** certificate days left: a notAfter in the year 9999 is ~2.9 million days away */
const MAX_DAYS = 10_000_000;
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const ms = z.number().finite().min(0).max(MAX_MS);

export const recordSchema = z.object({
  ts: z.string().regex(TS, 'expected an ISO UTC time like 2026-11-23T14:05:00Z'),
  host: z.string().min(1).max(MAX_NAME),
  vip: z.string().min(1).max(MAX_NAME),
  method: z.enum(METHODS).default('icmp'),
  sent: z.number().int().min(1).max(MAX_COUNT),
  recv: z.number().int().min(0).max(MAX_COUNT),
  rttMin: ms.optional(),
  rttAvg: ms.optional(),
  rttMax: ms.optional(),
  // http checks (optional; agent/probes/http.ts): the minute's last status; mean phase times over its responses in ms
  // from the start of a probe, as curl's time_namelookup, time_connect, time_appconnect (https), time_starttransfer
  // and time_total; responses whose body missed the VIP's bodyPattern; the fewest days left on the certificate (https)
  httpStatus: z.number().int().min(100).max(999).optional(),
  httpDnsMs: ms.optional(),
  httpConnectMs: ms.optional(),
  httpTlsMs: ms.optional(),
  httpFirstByteMs: ms.optional(),
  httpTotalMs: ms.optional(),
  httpBodyMismatch: z.number().int().min(1).max(MAX_COUNT).optional(),
  certDaysLeft: z.number().finite().min(-MAX_DAYS).max(MAX_DAYS).optional(),
}).strict().superRefine((r, ctx) => {
  if (r.recv > r.sent) ctx.addIssue({ code: 'custom', path: ['recv'], message: `recv ${r.recv} exceeds sent ${r.sent}` });
  const rtts = [r.rttMin, r.rttAvg, r.rttMax];
  if (r.recv > 0 && rtts.some((x) => x === undefined)) ctx.addIssue({ code: 'custom', path: ['rttAvg'], message: 'rttMin, rttAvg and rttMax are required when recv > 0' });
  if (r.recv === 0 && rtts.some((x) => x !== undefined)) ctx.addIssue({ code: 'custom', path: ['rttAvg'], message: 'rtt fields must be absent when recv is 0' });
  if (r.recv > 0 && !(r.rttMin! <= r.rttAvg! && r.rttAvg! <= r.rttMax!)) ctx.addIssue({ code: 'custom', path: ['rttAvg'], message: 'expected rttMin <= rttAvg <= rttMax' });
});

/** One (host, VIP, method, minute) summary; rtt fields are ms and absent when recv is 0. */
export type ResultRecord = z.infer<typeof recordSchema>;

/** The most records one POST /api/v1/results may carry by the schema; the gateway's ingest.maxRecordsPerPost is lower. */
export const MAX_BODY_RECORDS = 200_000;

export const resultsBodySchema = z.object({
  host: z.string().min(1).max(MAX_NAME),
  results: z.array(recordSchema).max(MAX_BODY_RECORDS),
}).strict();

export type ResultsBody = z.infer<typeof resultsBodySchema>;

/** Loss in percent, as the contract defines it. */
export function lossPct(r: Pick<ResultRecord, 'sent' | 'recv'>): number {
  return r.sent > 0 ? (100 * (r.sent - r.recv)) / r.sent : 100;
}

const isName = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= MAX_NAME;
const isCount = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_COUNT;
const isMs = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= MAX_MS; // NaN fails both comparisons

/**
 * The fast path of recordSchema: true exactly when recordSchema accepts `o`. Like the schema it fills in the default
 * method (in place: the caller's object becomes the parsed record). Hand-written because zod costs ~1.5 µs a record.
 */
export function isValidRecord(o: unknown): o is ResultRecord {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return false;
  const r = o as Record<string, unknown>;
  for (const k in r) if (!RECORD_KEYS.has(k)) return false;
  if (!validFields(r.ts, r.host, r.vip, r.method, r.sent, r.recv, r.rttMin, r.rttAvg, r.rttMax) || !httpFieldsValid(r)) return false;
  if (r.method === undefined) r.method = 'icmp';
  return true;
}

/**
 * The same check over a record's core fields (undefined = absent), for a parser that has them without building an
 * object (the replay's line scanner): true exactly when recordSchema accepts a record with these fields and no others.
 */
export function validFields(
  ts: unknown, host: unknown, vip: unknown, method: unknown, sent: unknown, recv: unknown, rttMin: unknown, rttAvg: unknown, rttMax: unknown,
): boolean {
  if (typeof ts !== 'string' || !isName(host) || !isName(vip)) return false;
  // a file or a batch repeats one minute's ts on every line: the regular expression runs once per distinct text
  if (ts !== lastTsOk) {
    if (!TS.test(ts)) return false;
    lastTsOk = ts;
  }
  if (method !== undefined && method !== 'icmp' && method !== 'tcp' && method !== 'http') return false;
  if (!isCount(sent, 1) || !isCount(recv, 0) || recv > sent) return false;
  if (recv === 0) return rttMin === undefined && rttAvg === undefined && rttMax === undefined;
  return isMs(rttMin) && isMs(rttAvg) && isMs(rttMax) && rttMin <= rttAvg && rttAvg <= rttMax;
}

const RECORD_KEYS: ReadonlySet<string> = new Set(Object.keys(recordSchema.shape));
/** the last ts that passed TS (a memo: the check is pure) */
let lastTsOk = '';
const HTTP_MS = ['httpDnsMs', 'httpConnectMs', 'httpTlsMs', 'httpFirstByteMs', 'httpTotalMs'] as const;
const isInt = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** The optional http fields, as recordSchema checks them (absent is fine). */
function httpFieldsValid(r: Record<string, unknown>): boolean {
  if (r.httpStatus !== undefined && !isInt(r.httpStatus, 100, 999)) return false;
  for (const k of HTTP_MS) if (r[k] !== undefined && !isMs(r[k])) return false;
  if (r.httpBodyMismatch !== undefined && !isInt(r.httpBodyMismatch, 1, MAX_COUNT)) return false;
  const d = r.certDaysLeft;
  return d === undefined || (typeof d === 'number' && d >= -MAX_DAYS && d <= MAX_DAYS);
}

/** A field's path as problems name it: "results[3].rttAvg". */
export const fieldPath = (path: readonly PropertyKey[], prefix = ''): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), prefix) || '(body)';

const valueAt = (raw: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), raw);

export interface FieldProblem { field: string; message: string }

/** zod's issues, each naming its field ("results[3].rttAvg") and value; no value for unknown keys or an over-long array. */
export function issueProblems(issues: readonly z.core.$ZodIssue[], raw: unknown, prefix = ''): FieldProblem[] {
  return issues.map((issue) => {
    const v = issue.code === 'unrecognized_keys' || (issue.code === 'too_big' && issue.origin === 'array') ? undefined : valueAt(raw, issue.path);
    return { field: fieldPath(issue.path, prefix), message: `${issue.message}${v !== undefined ? ` (value ${show(v)})` : ''}` };
  });
}

/** zod's issues as "path: message (value ...)" lines. */
export const issueLines = (issues: readonly z.core.$ZodIssue[], raw: unknown, prefix = ''): string[] =>
  issueProblems(issues, raw, prefix).map((p) => `${p.field}: ${p.message}`);

/** What the schema says about one record that isValidRecord refused, each field named `prefix`.field. */
export function recordProblems(raw: unknown, prefix = ''): FieldProblem[] {
  const r = recordSchema.safeParse(raw);
  return r.success ? [] : issueProblems(r.error.issues, raw, prefix);
}

/** recordProblems as "path: message (value ...)" lines. */
export const recordIssues = (raw: unknown, prefix: string): string[] => recordProblems(raw, prefix).map((p) => `${p.field}: ${p.message}`);

/** A results body's verdict: the body (records with their default method filled in), or "path: message" problems. */
export type BodyCheck = { ok: true; body: ResultsBody } | { ok: false; problems: string[] };

/** The body's own fields, with the records left to checkResultsBody's loop. */
const bodyShape = resultsBodySchema.extend({ results: z.array(z.unknown()).max(MAX_BODY_RECORDS) });

/**
 * resultsBodySchema's verdict on a POST /api/v1/results body, fast: the records go through isValidRecord (held to the
 * schema by a property test), and only a refused one is handed to the schema, for its words. It stops after
 * `maxProblems` problems, so a body of bad records costs no more than the problems it reports (finding 3 of issue 12:
 * 200,000 `{}` records cost 1.3 s of CPU). The gateway checks what it receives with it, the agent what it spools and
 * sends (zod over a minute's 2,500 records was most of the agent's JavaScript time: ~150 ms a minute in lite mode).
 */
export function checkResultsBody(raw: unknown, maxProblems: number): BodyCheck {
  const shape = bodyShape.safeParse(raw);
  const problems = shape.success ? [] : issueLines(shape.error.issues, raw);
  const results = (raw as { results?: unknown } | null)?.results;
  if (Array.isArray(results) && results.length <= MAX_BODY_RECORDS) {
    for (let i = 0; i < results.length && problems.length < maxProblems; i++) {
      if (!isValidRecord(results[i])) problems.push(...recordIssues(results[i], `results[${i}]`));
    }
  }
  if (problems.length) return { ok: false, problems: problems.slice(0, maxProblems) };
  return { ok: true, body: raw as ResultsBody };
}
