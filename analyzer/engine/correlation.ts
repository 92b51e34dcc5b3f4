// Correlation: which fault explains which. A VIP fault in a faulted DC has the DC fault as parent; otherwise, when
// every isp of the VIP fault is under an ISP fault, that ISP fault. A region fault takes its isp's ISP fault.
// Parents are kept once set (a child does not turn into a root, and alert again, when its parent ends first).
// Parents take their children's VIPs, businesses and reach into their own scope.
import type { Tracker } from './state.js';
import { mergeScope } from './episodes.js';

export function correlate(touched: Tracker[], isOpen: (id: string) => boolean): void {
  for (const t of touched) {
    const e = t.episode;
    if (e.parent !== null || e.end !== null) continue;
    if (e.type === 'vip') {
      const dc = `dc:${e.dcs[0]}`;
      if (isOpen(dc)) e.parent = dc;
      else if (e.isps.length > 0 && e.isps.every((i) => isOpen(`isp:${i}`))) e.parent = `isp:${e.isps[0]}`;
    } else if (e.type === 'region') {
      const isp = `isp:${e.isps[0]}`;
      if (isOpen(isp)) e.parent = isp;
    }
  }
  const byId = new Map(touched.map((t) => [t.episode.id, t]));
  for (const t of touched) {
    const e = t.episode;
    const parent = e.parent === null ? undefined : byId.get(e.parent);
    if (!parent) continue;
    if (e.type === 'vip' && parent.episode.type === 'dc') {
      mergeScope(parent.episode, { provinces: e.provinces, vips: e.vips, businesses: e.businesses });
    } else if (e.type === 'vip') {
      mergeScope(parent.episode, { provinces: e.provinces, dcs: e.dcs, vips: e.vips, businesses: e.businesses });
    } else {
      mergeScope(parent.episode, { provinces: e.provinces });
    }
  }
}
