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
  thresholds: Thresholds;
  slow?: SlowInput;
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

/** One cell from its per-minute figures: the strip over the window and the latest minute with data. */
export function cellOf(key: string, label: string, points: Map<number, Pick<GroupAggregate, 'minute' | 'rttAvg' | 'lossPct'> & { records?: number }> | undefined,
  minutes: number[], t: Thresholds, slowIn?: SlowInput, baselineKey = key): BoardCell {
  const strip = minutes.map((m) => {
    const a = points?.get(m);
    return a ? levelOf(a.rttAvg, a.lossPct, t) : 'none';
  });
  // The board's newest minute is complete as a whole, yet one group's hosts may still be posting theirs: a cell whose
  // newest minute holds fewer records than the minute before it shows the minute before (one minute behind at most,
  // also when a host has stopped), so a partial minute never paints it.
  const newest = minutes.at(-1), prev = minutes.at(-2);
  const n = newest === undefined ? undefined : points?.get(newest)?.records;
  const p = prev === undefined ? undefined : points?.get(prev)?.records;
  const heldBack = n !== undefined && p !== undefined && n < p;
  if (heldBack) strip[strip.length - 1] = 'none';
  const latestMinute = [...minutes].reverse().find((m) => points?.has(m) && !(heldBack && m === newest)) ?? null;
  const a = latestMinute === null ? undefined : points!.get(latestMinute);
  const level = a ? levelOf(a.rttAvg, a.lossPct, t) : 'none';
  const base = slowIn?.baselines.get(baselineKey);
  const slow = !!a && !!slowIn && isSlow(a.rttAvg, base, slowIn.rules);
  const title = (a
    ? `${label}: ${fmtMs(a.rttAvg)} avg, ${fmtPct(a.lossPct)} loss${a.records !== undefined ? ` over ${a.records} records` : ''} in the minute of ${new Date(a.minute).toISOString().slice(11, 19).replace(/:00$/, '')}Z`
    : `${label}: no data in the last ${minutes.length} minutes`)
    + (base !== undefined ? `; baseline ${fmtMs(base)}${slow ? ' (slow: above its own baseline)' : ''}` : '');
  return {
    key, minute: latestMinute, rtt: a ? fmtMs(a.rttAvg) : '–', loss: a ? fmtPct(a.lossPct) : '–', level, strip, title,
    lossLevel: a ? levelOf(null, a.lossPct, t) : 'none', rttLevel: a ? levelOf(a.rttAvg, 0, t) : 'none',
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
      const c = cellOf(key, `${titleCase(p.id)} ${p.name} / ${isp.name}`, cells.get(key), minutes, thresholds, input.slow);
      counts[c.level]++;
      return c;
    }),
  }));
  return { minutes, isps: [...input.isps], rows, counts };
}
