// The board's view model: a province x ISP matrix of the latest latency and loss, with a strip of recent minutes.
// Pure: the same model renders the first page on the server and updates it in the browser over server-sent events.
import type { Province } from '../core/geo.js';
import type { IspInfo } from '../core/model.js';
import type { GroupAggregate } from '../core/store/series.js';
import { isSlow, type BaselineRules } from '../core/latency-baseline.js';
import { fmtMs, fmtPct, titleCase } from './views/format.js';

export interface Thresholds { lossWarnPct: number; lossBadPct: number; rttWarnMs: number; rttBadMs: number }
export type Level = 'ok' | 'warn' | 'bad' | 'none';

export interface BoardCell {
  key: string;
  /** latest minute of this cell with data (ms), null when none in the window */
  minute: number | null;
  rtt: string;
  loss: string;
  level: Level;
  /** one level per minute of the window, oldest first */
  strip: Level[];
  title: string;
  /** the latest minute's level by loss alone and by latency alone (the map colours by one of them) */
  lossLevel: Level;
  rttLevel: Level;
  /** the latest minute's latency is above the cell's own baseline (the analyzer's slow rule), not a fixed number */
  slow: boolean;
  /** the cell's baseline latency, '–' when it has too little history */
  baseline: string;
  /** drawn from a minute still short of records after the grace: hatched, without a level */
  partial: boolean;
}

/** Baselines per cell key and the slow rule, for marking slow cells. */
export interface SlowInput { baselines: Map<string, number>; rules: BaselineRules }

export interface BoardView {
  /** the window's minutes (ms), oldest first */
  minutes: number[];
  isps: IspInfo[];
  rows: Array<{ province: string; name: string; zh: string; cells: BoardCell[] }>;
  counts: Record<Level, number>;
}

export function levelOf(rttAvg: number | null, lossPct: number | null, t: Thresholds): Level {
  if (lossPct === null) return 'none';
  if (lossPct >= t.lossBadPct || (rttAvg !== null && rttAvg >= t.rttBadMs)) return 'bad';
  if (lossPct >= t.lossWarnPct || (rttAvg !== null && rttAvg >= t.rttWarnMs)) return 'warn';
  return 'ok';
}

export interface BoardInput {
  provinces: readonly Province[];
  isps: readonly IspInfo[];
  /** how many minutes the window shows */
  slots: number;
  /** length of one minute in ms (cfg.minuteSec * 1000) */
  stepMs: number;
  now: number;
  /** the analyzer's grace for late records (ms): a cell's newest minute still filling is held back this long */
  graceMs: number;
  thresholds: Thresholds;
  slow?: SlowInput;
  /** records a complete minute holds per "province/isp" by the plan */
  planned?: Map<string, number>;
}

/**
 * The last minute the board shows: the newest minute that has ended and is complete. Agents post a minute's records
 * just after it ends, so for a moment only part of them are stored and the minute would show a partial (often
 * alarming) picture: a minute counts as complete once it holds at least `share` of the records of the minute before
 * it, or once `settleMs` (the analyzer's grace for late records) has passed since it ended.
 */
export function completeEnd(aggs: Array<Pick<GroupAggregate, 'minute' | 'records'>>, stepMs: number, now: number, settleMs: number, share = 0.95): number {
  const totals = new Map<number, number>();
  for (const a of aggs) totals.set(a.minute, (totals.get(a.minute) ?? 0) + a.records);
  const lastEnded = Math.floor(now / stepMs) * stepMs - stepMs;
  if (now >= lastEnded + stepMs + settleMs) return lastEnded;
  const have = totals.get(lastEnded) ?? 0, before = totals.get(lastEnded - stepMs) ?? 0;
  return have > 0 && have >= share * before ? lastEnded : lastEnded - stepMs;
}

/** The window's minutes (ms), oldest first, ending at `end`. */
export const windowMinutes = (end: number, slots: number, stepMs: number): number[] =>
  Array.from({ length: slots }, (_, i) => end - (slots - 1 - i) * stepMs);

/** When a cell's newest minute may still be filling: now, the minute's length and the analyzer's grace for late records. */
export interface CellTiming { now: number; stepMs: number; graceMs: number }

export interface CellOptions {
  slow?: SlowInput;
  baselineKey?: string;
  timing?: CellTiming;
  /** records a complete minute of this cell holds by the plan (core/expected-records.ts) */
  planned?: number;
}

type CellPoint = Pick<GroupAggregate, 'minute' | 'rttAvg' | 'lossPct'> & { records?: number };

/** How many minutes a cell must stay below its planned count before that lower count is taken as whole. */
const EXPECT_FROM = 3;

/**
 * A minute still short of records: fewer than the plan's count for the cell; once all of the 3 minutes before were
 * short too (a host stopped, or its task list still predates the plan), fewer than the most of those held. Against
 * the minute before alone, a host two minutes late (under load) or a fleet still starting looked complete.
 */
function partialAt(points: Map<number, CellPoint> | undefined, m: number, stepMs: number, planned: number | undefined): { n: number; expected: number } | null {
  const n = points?.get(m)?.records;
  if (n === undefined) return null;
  const prior = Array.from({ length: EXPECT_FROM }, (_, k) => points!.get(m - (k + 1) * stepMs)?.records);
  const priorMax = Math.max(0, ...prior.map((r) => r ?? 0));
  const expected = planned === undefined ? priorMax
    : prior.every((r) => r !== undefined && r < planned) ? priorMax : planned;
  return n < expected ? { n, expected } : null;
}

/**
 * One cell from its per-minute figures: the strip over the window and the latest minute with data. A newest minute
 * still filling is not drawn: within the analyzer's grace the cell shows the minute before; past it, the cell is drawn
 * as partial (hatched, no level colour: its few records often show the lossy VIPs only), never red or green.
 */
export function cellOf(key: string, label: string, points: Map<number, CellPoint> | undefined, minutes: number[], t: Thresholds, o: CellOptions = {}): BoardCell {
  const stepMs = o.timing?.stepMs ?? (minutes.length > 1 ? minutes[1]! - minutes[0]! : 60_000);
  const settled = (m: number) => !o.timing || o.timing.now >= m + stepMs + o.timing.graceMs;
  const part = new Map(minutes.map((m) => [m, partialAt(points, m, stepMs, o.planned)]));
  const strip = minutes.map((m) => {
    const a = points?.get(m);
    return a && !part.get(m) ? levelOf(a.rttAvg, a.lossPct, t) : 'none';
  });
  const newest = minutes.at(-1);
  // still filling and within the grace: one minute behind, like the rest of the board a moment ago
  const held = newest !== undefined && !!part.get(newest) && !settled(newest);
  const latestMinute = [...minutes].reverse().find((m) => points?.has(m) && !(held && m === newest)) ?? null;
  const a = latestMinute === null ? undefined : points!.get(latestMinute);
  const partial = latestMinute === null ? null : part.get(latestMinute) ?? null;
  const level = a && !partial ? levelOf(a.rttAvg, a.lossPct, t) : 'none';
  const base = o.slow?.baselines.get(o.baselineKey ?? key);
  const slow = !!a && !partial && !!o.slow && isSlow(a.rttAvg, base, o.slow.rules);
  const title = (a
    ? `${label}: ${partial ? `partial minute (${partial.n} of ${partial.expected} records so far): ` : ''}${fmtMs(a.rttAvg)} avg, ${fmtPct(a.lossPct)} loss${a.records !== undefined && !partial ? ` over ${a.records} records` : ''} in the minute of ${new Date(a.minute).toISOString().slice(11, 19).replace(/:00$/, '')}Z`
    : `${label}: no data in the last ${minutes.length} minutes`)
    + (base !== undefined ? `; baseline ${fmtMs(base)}${slow ? ' (slow: above its own baseline)' : ''}` : '');
  return {
    key, minute: latestMinute, rtt: a ? fmtMs(a.rttAvg) : '–', loss: a ? fmtPct(a.lossPct) : '–', level, strip, title, partial: !!partial,
    lossLevel: a && !partial ? levelOf(null, a.lossPct, t) : 'none', rttLevel: a && !partial ? levelOf(a.rttAvg, 0, t) : 'none',
    slow, baseline: base !== undefined ? fmtMs(base) : '–',
  };
}

/** Points keyed by cell, then by minute. */
export function byCell<P extends { minute: number }>(points: P[], keyOf: (p: P) => string): Map<string, Map<number, P>> {
  const out = new Map<string, Map<number, P>>();
  for (const p of points) {
    const k = keyOf(p);
    let m = out.get(k);
    if (!m) out.set(k, (m = new Map()));
    m.set(p.minute, p);
  }
  return out;
}

export function boardView(aggs: GroupAggregate[], input: BoardInput, end: number): BoardView {
  const { slots, stepMs, thresholds } = input;
  const minutes = windowMinutes(end, slots, stepMs);
  const cells = byCell(aggs.filter((a) => a.minute <= end), (a) => `${a.province}/${a.isp}`);
  const counts: Record<Level, number> = { ok: 0, warn: 0, bad: 0, none: 0 };
  const rows = input.provinces.map((p) => ({
    province: p.id,
    name: titleCase(p.id),
    zh: p.name,
    cells: input.isps.map((isp) => {
      const key = `${p.id}/${isp.id}`;
      const c = cellOf(key, `${titleCase(p.id)} ${p.name} / ${isp.name}`, cells.get(key), minutes, thresholds,
        { slow: input.slow, timing: { now: input.now, stepMs, graceMs: input.graceMs }, planned: input.planned?.get(key) });
      counts[c.level]++;
      return c;
    }),
  }));
  return { minutes, isps: [...input.isps], rows, counts };
}
