// The board's view model: a province x ISP matrix of the latest latency and loss, with a strip of recent minutes.
// Pure: the same model renders the first page on the server and updates it in the browser over server-sent events.
import type { Province } from '../core/geo.js';
import type { IspInfo } from '../core/model.js';
import type { GroupAggregate } from '../core/store/series.js';
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
}

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
}

/** The last minute the window shows: the newest with data, else the last complete one. */
export const windowEnd = (aggs: GroupAggregate[], stepMs: number, now: number): number =>
  aggs.reduce((m, a) => Math.max(m, a.minute), Math.floor(now / stepMs) * stepMs - stepMs);

export function boardView(aggs: GroupAggregate[], input: BoardInput): BoardView {
  const { slots, stepMs, thresholds } = input;
  const end = Math.min(windowEnd(aggs, stepMs, input.now), Math.floor(input.now / stepMs) * stepMs);
  const minutes = Array.from({ length: slots }, (_, i) => end - (slots - 1 - i) * stepMs);
  const byCell = new Map<string, Map<number, GroupAggregate>>();
  for (const a of aggs) {
    const k = `${a.province}/${a.isp}`;
    let m = byCell.get(k);
    if (!m) byCell.set(k, (m = new Map()));
    m.set(a.minute, a);
  }
  const counts: Record<Level, number> = { ok: 0, warn: 0, bad: 0, none: 0 };
  const rows = input.provinces.map((p) => ({
    province: p.id,
    name: titleCase(p.id),
    zh: p.name,
    cells: input.isps.map((isp) => {
      const key = `${p.id}/${isp.id}`;
      const points = byCell.get(key);
      const strip = minutes.map((m) => {
        const a = points?.get(m);
        return a ? levelOf(a.rttAvg, a.lossPct, thresholds) : 'none';
      });
      const latestMinute = [...minutes].reverse().find((m) => points?.has(m)) ?? null;
      const a = latestMinute === null ? undefined : points!.get(latestMinute);
      const level = a ? levelOf(a.rttAvg, a.lossPct, thresholds) : 'none';
      counts[level]++;
      const title = a
        ? `${titleCase(p.id)} ${p.name} / ${isp.name}: ${fmtMs(a.rttAvg)} avg, ${fmtPct(a.lossPct)} loss over ${a.records} records at ${new Date(a.minute).toISOString().slice(11, 16)}Z`
        : `${titleCase(p.id)} ${p.name} / ${isp.name}: no data in the last ${slots} minutes`;
      return { key, minute: latestMinute, rtt: a ? fmtMs(a.rttAvg) : '–', loss: a ? fmtPct(a.lossPct) : '–', level, strip, title };
    }),
  }));
  return { minutes, isps: [...input.isps], rows, counts };
}
