// A hand-written twin of core/records.ts resultsBodySchema for the ingest hot path: zod costs ~1.5 µs a record, this
// a fraction of that (see the README's ingest section). Same verdicts, same field paths and the same messages as the
// schema, including zod's rule that a record's cross-field checks run only when no field had the wrong type;
// test/ingest/validate.test.ts holds it to the schema with generated bodies. Change the two together.
import { show } from '../core/errors.js';
import { METHODS } from '../core/model.js';
import type { ResultsBody } from '../core/records.js';
import type { BodyValidator } from './results-check.js';

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const RECORD_KEYS = new Set(['ts', 'host', 'vip', 'method', 'sent', 'recv', 'rttMin', 'rttAvg', 'rttMax']);
const BODY_KEYS = new Set(['host', 'results']);
const MAX_RESULTS = 200_000;
const METHOD_SET = new Set<string>(METHODS);
const METHOD_LIST = METHODS.map((m) => `"${m}"`).join('|');

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

class Problems {
  list: string[] = [];
  /** a type problem in the current record: its cross-field checks are skipped, as zod does */
  typed = false;
  add(path: string, message: string, value?: unknown): void {
    this.list.push(`${path}: ${message}${value !== undefined ? ` (value ${show(value)})` : ''}`);
  }
  type(path: string, expected: string, value: unknown): void {
    this.typed = true;
    this.add(path, `Invalid input: expected ${expected}, received ${typeName(value)}`, value);
  }
}

function str(p: Problems, path: string, v: unknown, max: number): void {
  if (typeof v !== 'string') return p.type(path, 'string', v);
  if (v.length < 1) p.add(path, 'Too small: expected string to have >=1 characters', v);
  else if (v.length > max) p.add(path, `Too big: expected string to have <=${max} characters`, v);
}

function int(p: Problems, path: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) return p.type(path, 'number', v);
  if (!Number.isInteger(v)) return p.type(path, 'int', v);
  if (v < min) p.add(path, `Too small: expected number to be >=${min}`, v);
  else if (v > max) p.add(path, `Too big: expected number to be <=${max}`, v);
}

function rtt(p: Problems, path: string, v: unknown): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) return p.type(path, 'number', v);
  if (v < 0) p.add(path, 'Too small: expected number to be >=0', v);
  else if (v > 600_000) p.add(path, 'Too big: expected number to be <=600000', v);
}

function unknownKeys(p: Problems, path: string, o: Record<string, unknown>, known: Set<string>): void {
  const extra = Object.keys(o).filter((k) => !known.has(k));
  if (extra.length) p.add(path, `Unrecognized key${extra.length > 1 ? 's' : ''}: ${extra.map((k) => `"${k}"`).join(', ')}`);
}

function checkRecord(p: Problems, i: number, r: unknown): void {
  const at = `results[${i}]`;
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return p.type(at, 'object', r);
  const o = r as Record<string, unknown>;
  p.typed = false;
  const { ts, method, sent, recv, rttMin, rttAvg, rttMax } = o;
  if (typeof ts !== 'string') p.type(`${at}.ts`, 'string', ts);
  else if (!TS.test(ts)) p.add(`${at}.ts`, 'expected an ISO UTC time like 2026-11-23T14:05:00Z', ts);
  str(p, `${at}.host`, o.host, 253);
  str(p, `${at}.vip`, o.vip, 253);
  if (method === undefined) o.method = 'icmp';
  else if (typeof method !== 'string' || !METHOD_SET.has(method)) {
    p.typed = true;
    p.add(`${at}.method`, `Invalid option: expected one of ${METHOD_LIST}`, method);
  }
  int(p, `${at}.sent`, sent, 1, 100_000);
  int(p, `${at}.recv`, recv, 0, 100_000);
  rtt(p, `${at}.rttMin`, rttMin);
  rtt(p, `${at}.rttAvg`, rttAvg);
  rtt(p, `${at}.rttMax`, rttMax);
  for (const k in o) {
    if (!RECORD_KEYS.has(k)) {
      unknownKeys(p, at, o, RECORD_KEYS);
      break;
    }
  }
  if (p.typed) return;
  const s = sent as number;
  const n = recv as number;
  // the schema's superRefine, in its order; like the zod path, each message shows the value at its field
  if (n > s) p.add(`${at}.recv`, `recv ${n} exceeds sent ${s}`, n);
  const absent = rttMin === undefined || rttAvg === undefined || rttMax === undefined;
  if (n > 0 && absent) p.add(`${at}.rttAvg`, 'rttMin, rttAvg and rttMax are required when recv > 0', rttAvg);
  if (n === 0 && (rttMin !== undefined || rttAvg !== undefined || rttMax !== undefined)) p.add(`${at}.rttAvg`, 'rtt fields must be absent when recv is 0', rttAvg);
  if (n > 0 && !((rttMin as number) <= (rttAvg as number) && (rttAvg as number) <= (rttMax as number))) p.add(`${at}.rttAvg`, 'expected rttMin <= rttAvg <= rttMax', rttAvg);
}

export const fastValidator: BodyValidator = (raw) => {
  const p = new Problems();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    p.type('(body)', 'object', raw);
    return { ok: false, problems: p.list };
  }
  const body = raw as Record<string, unknown>;
  str(p, 'host', body.host, 253);
  const results = body.results;
  if (!Array.isArray(results)) p.type('results', 'array', results);
  else if (results.length > MAX_RESULTS) p.add('results', `Too big: expected array to have <=${MAX_RESULTS} items`);
  else for (let i = 0; i < results.length; i++) checkRecord(p, i, results[i]);
  unknownKeys(p, '(body)', body, BODY_KEYS);
  return p.list.length ? { ok: false, problems: p.list } : { ok: true, body: body as unknown as ResultsBody };
};
