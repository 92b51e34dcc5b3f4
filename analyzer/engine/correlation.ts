// Correlation: which fault explains which. A VIP fault in a faulted DC has the DC fault as parent; otherwise, when
// every isp of the VIP fault is under an ISP fault, that ISP fault. A region fault takes its isp's ISP fault.
// This holds within each signal (a latency VIP fault looks for latency DC and ISP faults). A latency fault that
// none of those explains, and whose type:key has an open loss fault, takes the loss fault as parent: the loss
// alert already tells the story.
// Parents are kept once set (a child does not turn into a root, and alert again, when its parent ends first).
// Parents take their children's VIPs, businesses and reach into their own scope.
import { signalOf } from '../../core/episode.js';
import type { Tracker } from './state.js';
import { mergeScope } from './episodes.js';
import { faultId } from './lane.js';

export function correlate(touched: Tracker[], isOpen: (id: string) => boolean): void {
  for (const t of touched) {
    const e = t.episode;
    if (e.parent !== null || e.end !== null) continue;
    const signal = signalOf(e);
    const open = (type: 'dc' | 'isp', key: string | undefined): string | null => {
      if (key === undefined) return null;
      const id = faultId(type, key, signal);
      return isOpen(id) ? id : null;
    };
    if (e.type === 'vip') {
      e.parent = open('dc', e.dcs[0]) ?? (e.isps.length > 0 && e.isps.every((i) => open('isp', i) !== null) ? open('isp', e.isps[0]) : null);
    } else if (e.type === 'region') {
      e.parent = open('isp', e.isps[0]);
    }
    if (e.parent === null && signal === 'latency') {
      const loss = faultId(e.type, e.key, 'loss');
      if (isOpen(loss)) e.parent = loss;
    }
  }
  const byId = new Map(touched.map((t) => [t.episode.id, t]));
  for (const t of touched) {
    const e = t.episode;
    const parent = e.parent === null ? undefined : byId.get(e.parent);
    if (!parent) continue;
    if (parent.episode.type === e.type) {
      // a latency fault under the loss fault of the same key: the loss fault's scope already covers it
    } else if (e.type === 'vip' && parent.episode.type === 'dc') {
      mergeScope(parent.episode, { provinces: e.provinces, vips: e.vips, businesses: e.businesses });
    } else if (e.type === 'vip') {
      mergeScope(parent.episode, { provinces: e.provinces, dcs: e.dcs, vips: e.vips, businesses: e.businesses });
    } else {
      mergeScope(parent.episode, { provinces: e.provinces });
    }
  }
}
