// UTC minute arithmetic. A minute is identified by its start, in ms since the epoch.
export const MINUTE_MS = 60_000;

export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** "2026-11-23T14:05:00Z": the contract's minute format (no milliseconds). */
export const isoMinute = (ms: number): string => new Date(minuteOf(ms)).toISOString().replace('.000Z', 'Z');

/** Parses an ISO time; NaN when it is not one. */
export const parseTime = (s: string): number => (typeof s === 'string' ? Date.parse(s) : NaN);

export const isMinuteStart = (ms: number): boolean => Number.isFinite(ms) && ms % MINUTE_MS === 0;
