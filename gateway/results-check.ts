// What POST /api/v1/results decides, as a pure function of the body, the caller, the plan and the clock: 400 (bad
// fields), 403 (another host's data, (VIP, method) pairs outside the host's task list), or the records enriched with their
// inventory tags. All or nothing: one bad record refuses the whole batch, so the agent keeps it whole.
import { offersMethod } from '../core/catalog.js';
import type { StoredRecord } from '../core/store/series.js';
import type { BodyCheck } from '../core/records.js';
import type { PlanSnapshot } from './tasks.js';

export interface IngestLimits {
  /** length of a "minute" (cfg.minuteSec): a record's ts must start one */
  minuteSec: number;
  /** oldest acceptable ts, seconds before now (the agent spool's maximum age) */
  maxAgeSec: number;
  /** latest acceptable ts, seconds after now (clock skew) */
  maxFutureSec: number;
}

/** A field-naming validator of the POST body: the parsed body, or one "path: message" per bad field. */
export type BodyValidator = (raw: unknown) => BodyCheck;

export type Verdict =
  | { status: 200; records: StoredRecord[] }
  | { status: 400 | 403; problems: string[]; records: number };

/** Validation stops after this many problems; they are all the answer lists. */
export const MAX_PROBLEMS = 20;

export function checkResults(
  raw: unknown, tokenHost: string, snap: PlanSnapshot, limits: IngestLimits, nowMs: number, validate: BodyValidator,
): Verdict {
  const parsed = validate(raw);
  const count = Array.isArray((raw as { results?: unknown })?.results) ? (raw as { results: unknown[] }).results.length : 0;
  if (!parsed.ok) return { status: 400, problems: parsed.problems, records: count };
  const { host, results } = parsed.body;
  if (host !== tokenHost) return { status: 403, problems: [`host: the token is for host ${tokenHost}, not ${host}`], records: count };
  const h = snap.catalog.hosts.get(host);
  const allowed = snap.allowed.get(host);
  if (!h || !allowed) return { status: 403, problems: [`host: ${host} has no task list (unknown or probe: false)`], records: count };

  const forbidden: string[] = [];
  for (let i = 0; i < results.length && forbidden.length < MAX_PROBLEMS; i++) {
    const r = results[i]!;
    if (r.host !== host) forbidden.push(`results[${i}].host: ${r.host} is not the body's host ${host}`);
    else if (!allowed.has(r.vip)) forbidden.push(`results[${i}].vip: ${r.vip} is not in host ${host}'s task list`);
    else if (!offersMethod(snap.catalog.vips.get(r.vip)!, r.method)) forbidden.push(`results[${i}].method: ${r.method} to ${r.vip} is not in host ${host}'s task list`);
  }
  if (forbidden.length) return { status: 403, problems: forbidden, records: count };

  const minuteMs = limits.minuteSec * 1000;
  const oldest = nowMs - limits.maxAgeSec * 1000;
  const latest = nowMs + limits.maxFutureSec * 1000;
  const tsOf = new Map<string, number>();
  const bad: string[] = [];
  for (let i = 0; i < results.length && bad.length < MAX_PROBLEMS; i++) {
    const ts = results[i]!.ts;
    let ms = tsOf.get(ts);
    if (ms === undefined) tsOf.set(ts, (ms = Date.parse(ts)));
    if (!Number.isFinite(ms)) bad.push(`results[${i}].ts: ${ts} is not a valid time`);
    else if (ms % minuteMs !== 0) bad.push(`results[${i}].ts: ${ts} is not the start of a minute (${limits.minuteSec} s)`);
    else if (ms < oldest) bad.push(`results[${i}].ts: ${ts} is older than ingest.maxAgeSec (${limits.maxAgeSec} s)`);
    else if (ms > latest) bad.push(`results[${i}].ts: ${ts} is more than ingest.maxFutureSec (${limits.maxFutureSec} s) in the future`);
  }
  if (bad.length) return { status: 400, problems: bad, records: count };

  const dc = snap.catalog.dcs.get(h.dc)!;
  const records: StoredRecord[] = new Array(results.length);
  for (let i = 0; i < results.length; i++) {
    const r = results[i]! as StoredRecord;
    const vip = snap.catalog.vips.get(r.vip)!;
    // The validated record is a fresh object: tag it in place rather than copy it (this runs for every record).
    r.dc = h.dc;
    r.province = dc.province;
    r.isp = dc.isp;
    r.vipDc = vip.dc;
    r.business = vip.business;
    records[i] = r;
  }
  return { status: 200, records };
}

/** The 400/403 answer's message: the problems, capped. */
export function describeProblems(problems: string[]): string {
  const shown = problems.slice(0, MAX_PROBLEMS);
  const more = problems.length >= MAX_PROBLEMS ? `; checking stopped after the first ${MAX_PROBLEMS} problems` : '';
  return shown.join('; ') + more;
}
