// Display helpers: times in UTC minutes, ages, numbers with units. Pure.

/**
 * "2026-11-23 14:05Z", with seconds when they are not zero ("14:05:06Z"): minutes shorter than 60 s (--speed) put
 * events seconds apart, and whole minutes stay short.
 */
export const fmtTime = (iso: string | null | undefined): string => {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return new Date(t).toISOString().replace('T', ' ').replace(/(:00)?\.\d+Z$/, 'Z');
};

const wallFormats = new Map<string, Intl.DateTimeFormat>();
/** The wall-clock time in `tz` ("22:05" or "22:05:06"), for showing local time beside UTC. */
export const fmtWall = (iso: string, tz: string): string => {
  let f = wallFormats.get(tz);
  if (!f) wallFormats.set(tz, (f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })));
  const p = Object.fromEntries(f.formatToParts(new Date(Date.parse(iso))).map((x) => [x.type, x.value]));
  return `${p.month}-${p.day} ${p.hour}:${p.minute}${p.second !== '00' ? `:${p.second}` : ''}`;
};

/** UTC, and the configured local zone beside it unless that is UTC: "2026-11-23 14:05Z (22:05 Asia/Shanghai)". */
export const fmtTimeTz = (iso: string | null | undefined, tz: string): string =>
  !iso ? '' : tz === 'UTC' || tz === 'Etc/UTC' ? fmtTime(iso) : `${fmtTime(iso)} (${fmtWall(iso, tz)} ${tz})`;

/** "2026-11-23 14:05:06Z": for messages, which a short demo minute can put seconds apart. */
export const fmtSeconds = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export const fmtDuration = (ms: number): string => {
  // under a minute (recent events, short demo minutes) seconds say more than "0 min"
  if (ms < 59_500) return `${Math.max(0, Math.round(ms / 1000))} s`;
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
};

export const fmtAgo = (iso: string, now: number): string => {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  return t > now ? `in ${fmtDuration(t - now)}` : `${fmtDuration(now - t)} ago`;
};

export const fmtMs = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
export const fmtPct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v < 10 && v > 0 ? v.toFixed(1) : Math.round(v)}%`);

/** Pinyin id -> "Guangdong" (the page font has no CJK glyphs everywhere; the Chinese name goes in a tooltip). */
export const titleCase = (id: string): string => id.charAt(0).toUpperCase() + id.slice(1);
