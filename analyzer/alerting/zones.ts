// Wall-clock time in an IANA time zone, with no clock of its own: maintenance windows and digest times are
// written in local time ("02:00 Asia/Shanghai"), the analyzer counts in UTC ms.
const DAY_MS = 86_400_000;

export interface Wall { year: number; month: number; day: number; hour: number; minute: number; second: number }

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatter = (tz: string): Intl.DateTimeFormat => {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
};

/** The wall clock in `tz` at instant `ms`. */
export function wallAt(ms: number, tz: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

const wallAsUtc = (w: Wall): number => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);

/** The instant at which `tz` shows wall time `w` (the earlier one when a DST change repeats it). */
export function instantOf(w: Wall, tz: string): number {
  const guess = wallAsUtc(w);
  const off1 = wallAsUtc(wallAt(guess, tz)) - guess;
  const t = guess - off1;
  const off2 = wallAsUtc(wallAt(t, tz)) - t;
  return off1 === off2 ? t : guess - off2;
}

/** Days since the epoch of a wall date, for calendar arithmetic independent of zone. */
export const dayNumber = (w: Pick<Wall, 'year' | 'month' | 'day'>): number => Math.floor(Date.UTC(w.year, w.month - 1, w.day) / DAY_MS);

export function dateOfDay(n: number): Pick<Wall, 'year' | 'month' | 'day'> {
  const d = new Date(n * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** "2026-11-23 22:05" in tz. */
export function formatWall(ms: number, tz: string): string {
  const w = wallAt(ms, tz);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}`;
}
