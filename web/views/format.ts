// Display helpers: times in UTC minutes, ages, numbers with units. Pure.

/** "2026-11-23 14:05Z" */
export const fmtTime = (iso: string | null | undefined): string => {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return new Date(t).toISOString().replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z');
};

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
