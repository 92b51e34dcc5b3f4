// Time as the agent sees it, passed in so tests can drive short minutes and fake ages.
export interface Clock {
  /** wall-clock ms since the epoch */
  now(): number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = { now: () => Date.now() };

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Start of the period of length periodMs that holds ms (a "minute" is cfg.minuteSec seconds). */
export const periodOf = (ms: number, periodMs: number): number => Math.floor(ms / periodMs) * periodMs;

/** The contract's time format: ISO UTC without milliseconds, e.g. 2026-11-23T14:05:00Z. */
export const isoSeconds = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
