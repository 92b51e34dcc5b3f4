// One VIP's figures by (province, isp) over a window: min/avg/max latency and mean/max loss. Pure.
import type { VipPoint } from '../core/store/series.js';

export interface VipRow {
  province: string;
  isp: string;
  rttMin: number | null;
  rttAvg: number | null;
  rttMax: number | null;
  lossAvg: number;
  lossMax: number;
  minutes: number;
}

export function vipRows(points: VipPoint[]): VipRow[] {
  const groups = new Map<string, VipPoint[]>();
  for (const p of points) {
    const k = `${p.province}/${p.isp}`;
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  const rows = [...groups.values()].map((ps): VipRow => {
    const nums = (f: (p: VipPoint) => number | null) => ps.map(f).filter((v): v is number => v !== null);
    const mins = nums((p) => p.rttMin), avgs = nums((p) => p.rttAvg), maxs = nums((p) => p.rttMax);
    return {
      province: ps[0]!.province,
      isp: ps[0]!.isp,
      rttMin: mins.length ? Math.min(...mins) : null,
      rttAvg: avgs.length ? avgs.reduce((s, v) => s + v, 0) / avgs.length : null,
      rttMax: maxs.length ? Math.max(...maxs) : null,
      lossAvg: ps.reduce((s, p) => s + p.lossPct, 0) / ps.length,
      lossMax: Math.max(...ps.map((p) => p.lossPct)),
      minutes: new Set(ps.map((p) => p.minute)).size,
    };
  });
  // Worst first: that is what someone opening a VIP page during an incident looks for.
  return rows.sort((a, b) => b.lossAvg - a.lossAvg || (b.rttAvg ?? -1) - (a.rttAvg ?? -1) || a.province.localeCompare(b.province) || a.isp.localeCompare(b.isp));
}
