// Whitelist suppression. A VIP is whitelisted by an entry naming it, its DC or its business; a DC by an entry naming
// it. A fault is suppressed (recorded, not alerted) when every VIP it lists is whitelisted, or every DC in its scope
// is. Entries apply while the evaluated minute is before their `until`. Re-evaluated each minute, so adding or
// expiring an entry flips `suppressed` on open episodes (an update transition).
import type { WhitelistEntry } from '../../core/model.js';
import type { Tracker } from './state.js';
import type { Topology } from './topology.js';

export function activeEntries(entries: readonly WhitelistEntry[], minute: number): WhitelistEntry[] {
  return entries.filter((e) => e.until === undefined || e.until === null || Date.parse(e.until) > minute);
}

export function applyWhitelist(topo: Topology, touched: Tracker[], entries: readonly WhitelistEntry[], minute: number): void {
  const active = activeEntries(entries, minute);
  const vips = new Set<string>();
  const dcs = new Set<string>();
  const businesses = new Set<string>();
  for (const e of active) {
    if (e.vip) vips.add(e.vip);
    if (e.dc) dcs.add(e.dc);
    if (e.business) businesses.add(e.business);
  }
  const vipCovered = (ip: string): boolean => {
    if (vips.has(ip)) return true;
    const i = topo.vipIndex.get(ip);
    const v = i === undefined ? undefined : topo.vips[i]!;
    return !!v && (dcs.has(v.dc) || businesses.has(v.business));
  };
  for (const t of touched) {
    const e = t.episode;
    e.suppressed = (e.vips.length > 0 && e.vips.every(vipCovered)) || (e.dcs.length > 0 && e.dcs.every((d) => dcs.has(d)));
  }
}
