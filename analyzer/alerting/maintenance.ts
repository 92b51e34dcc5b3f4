// Maintenance windows: pure. A window active at a minute suppresses every message whose whole scope it covers,
// the way a whitelist entry suppresses a fault: no vip/dc/business on the window means everything.
import type { FaultEpisode } from '../../core/model.js';
import type { AlertingConfig } from '../../core/config.js';
import { parseDuration } from './duration.js';
import { dateOfDay, dayNumber, instantOf, wallAt, type Wall } from './zones.js';
import type { Route } from './types.js';

export type MaintenanceWindow = AlertingConfig['maintenance'][number];

const DAY_MS = 86_400_000;

/** The window's first start as a wall time in its zone (an explicit offset is converted to that zone). */
function firstStart(w: MaintenanceWindow): Wall {
  if (/(Z|[+-]\d{2}:\d{2})$/.test(w.start)) return wallAt(Date.parse(w.start), w.timeZone);
  const [date, time] = w.start.split('T') as [string, string];
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute, second = 0] = time.split(':').map(Number) as [number, number, number?];
  return { year, month, day, hour, minute, second };
}

/** True when the window is open at instant t (ms). */
export function isActive(w: MaintenanceWindow, t: number): boolean {
  const start = firstStart(w);
  const duration = parseDuration(w.duration);
  if (w.repeat === 'none') {
    const s = instantOf(start, w.timeZone);
    return t >= s && t < s + duration;
  }
  const step = w.repeat === 'daily' ? 1 : 7;
  const firstDay = dayNumber(start);
  const today = dayNumber(wallAt(t, w.timeZone));
  // occurrences that started on a local day from `today` back as far as the duration reaches
  const back = Math.ceil(duration / DAY_MS) + step;
  for (let d = today; d >= today - back && d >= firstDay; d--) {
    if ((d - firstDay) % step !== 0) continue;
    const s = instantOf({ ...dateOfDay(d), hour: start.hour, minute: start.minute, second: start.second }, w.timeZone);
    if (t >= s && t < s + duration) return true;
  }
  return false;
}

export const activeWindows = (windows: MaintenanceWindow[], t: number): MaintenanceWindow[] => windows.filter((w) => isActive(w, t));

const all = <T>(xs: T[], ok: (x: T) => boolean): boolean => xs.length > 0 && xs.every(ok);

/** Whether window w covers everything route r would tell about fault f. */
export function covers(w: MaintenanceWindow, r: Route, f: FaultEpisode): boolean {
  if (r.audience.kind === 'business') {
    if (w.business !== undefined && w.business !== r.audience.business) return false;
    if (w.vip !== undefined && !all(r.vips, (v) => v.ip === w.vip)) return false;
    if (w.dc !== undefined && !all(r.vips, (v) => v.dc === w.dc)) return false;
    return true;
  }
  if (w.business !== undefined && !all(f.businesses, (b) => b === w.business)) return false;
  if (w.vip !== undefined && !all(f.vips, (v) => v === w.vip)) return false;
  if (w.dc !== undefined && !all(f.dcs, (d) => d === w.dc)) return false;
  return true;
}

export const suppressedBy = (windows: MaintenanceWindow[], r: Route, f: FaultEpisode): boolean => windows.some((w) => covers(w, r, f));
