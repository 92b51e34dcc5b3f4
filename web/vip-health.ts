// A VIP's health in one word (ok / lossy / slow / in fault / no data) from its latest minute and the open faults. Pure.
import { isCertWarning } from '../core/episode.js';
import type { StoredEpisode } from '../core/store/faults.js';
import type { BucketPoint } from '../core/store/series.js';
import type { Thresholds } from './board-view.js';

export type VipStatus = 'in fault' | 'lossy' | 'slow' | 'ok' | 'no data';

export interface VipHealth { status: VipStatus; lossPct: number | null; rttAvg: number | null; faults: StoredEpisode[] }

/** Open episodes that name the VIP (as its key or in their scope); a certificate warning is not a fault of its health. */
export const openFaultsOf = (ip: string, open: StoredEpisode[]): StoredEpisode[] =>
  open.filter((e) => e.end === null && !isCertWarning(e) && (e.key === ip || e.vips.includes(ip)));

export function vipHealth(latest: BucketPoint | undefined, faults: StoredEpisode[], t: Thresholds): VipHealth {
  const lossPct = latest?.lossPct ?? null, rttAvg = latest?.rttAvg ?? null;
  const status: VipStatus = faults.some((f) => !f.suppressed) ? 'in fault'
    : !latest ? 'no data'
    : latest.lossPct >= t.lossWarnPct ? 'lossy'
    : rttAvg !== null && rttAvg >= t.rttWarnMs ? 'slow'
    : 'ok';
  return { status, lossPct, rttAvg, faults };
}

/** The newest bucket per VIP among `points` (grouped by vip). */
export function latestByVip(points: BucketPoint[]): Map<string, BucketPoint> {
  const out = new Map<string, BucketPoint>();
  for (const p of points) {
    const have = out.get(p.vip!);
    if (!have || have.minute < p.minute) out.set(p.vip!, p);
  }
  return out;
}
