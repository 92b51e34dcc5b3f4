// Which traceroutes a root fault gets (pure): up to `vips` of its VIPs, from up to `inside` hosts in its scope (its
// isps and provinces) and `outside` hosts beyond it (other isps; when the fault covers every isp, other provinces),
// each set spread over DCs the way on-demand jobs pick sources.
import type { Catalog } from '../../core/catalog.js';
import { selectSources } from '../../core/job-plan.js';
import type { FaultEpisode } from '../../core/model.js';

export interface CapturePlan { vips: string[]; inside: string[]; outside: string[] }
export interface CaptureSizes { vips: number; inside: number; outside: number }

export function planCapture(e: FaultEpisode, c: Catalog, n: CaptureSizes): CapturePlan | null {
  const vips = [...e.vips].sort().slice(0, n.vips);
  if (!vips.length) return null;
  const isps = new Set(e.isps), provinces = new Set(e.provinces);
  const eligible = c.inventory.hosts.filter((h) => h.probe !== false).map((h) => ({ id: h.id, dc: c.dcs.get(h.dc)! }));
  const inScope = (d: { isp: string; province: string }) => (!isps.size || isps.has(d.isp)) && (!provinces.size || provinces.has(d.province));
  const allIsps = new Set(eligible.map((h) => h.dc.isp));
  const coversEveryIsp = [...allIsps].every((i) => isps.has(i)) || !isps.size;
  const outsideOf = (d: { isp: string; province: string }) => (coversEveryIsp ? !provinces.has(d.province) : !isps.has(d.isp));
  const pick = (hosts: string[], count: number): string[] => {
    if (!hosts.length || !count) return [];
    const r = selectSources(c, { hosts }, count, e.id);
    return r.ok ? r.value : [];
  };
  const inside = pick(eligible.filter((h) => inScope(h.dc)).map((h) => h.id), n.inside);
  if (!inside.length) return null;
  const outside = pick(eligible.filter((h) => outsideOf(h.dc)).map((h) => h.id), n.outside);
  return { vips, inside, outside };
}
