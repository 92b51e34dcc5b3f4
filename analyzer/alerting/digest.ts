// When informational messages go out: the next daily digest time at or after a minute. Pure.
import { dateOfDay, dayNumber, instantOf, wallAt } from './zones.js';

export interface DigestConfig { at: string; timeZone: string }

export function nextDigestAt(t: number, cfg: DigestConfig): number {
  const [hour, minute] = cfg.at.split(':').map(Number) as [number, number];
  const today = dayNumber(wallAt(t, cfg.timeZone));
  for (let d = today - 1; d <= today + 2; d++) {
    const s = instantOf({ ...dateOfDay(d), hour, minute, second: 0 }, cfg.timeZone);
    if (s >= t) return s;
  }
  throw new Error(`no digest time found after ${new Date(t).toISOString()} for ${cfg.at} ${cfg.timeZone}`);
}
