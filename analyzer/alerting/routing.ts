// Alert routing: pure. Per root fault, one route per business whose VIPs it covers (to that business's owners,
// listing only its VIPs) and, for DC, ISP, region and agent faults, one to the network team.
import type { Business, FaultEpisode, FaultType, Vip } from '../../core/model.js';
import type { AffectedVip, Route } from './types.js';

/** Who owns what: VIPs by ip, businesses by name and by department id. */
export interface Directory {
  vips: Map<string, Vip>;
  byName: Map<string, Business>;
  byDept: Map<string, Business[]>;
}

export function buildDirectory(vips: Iterable<Vip>, businesses: Iterable<Business>): Directory {
  const byName = new Map<string, Business>();
  const byDept = new Map<string, Business[]>();
  for (const b of businesses) {
    byName.set(b.name, b);
    if (b.dept !== undefined) byDept.set(b.dept, [...(byDept.get(b.dept) ?? []), b]);
  }
  return { vips: new Map([...vips].map((v) => [v.ip, v])), byName, byDept };
}

/** A business reference is a business name or a department id (which may name several businesses). */
export function resolveBusinesses(dir: Directory, ref: string): Business[] {
  const b = dir.byName.get(ref);
  return b ? [b] : dir.byDept.get(ref) ?? [];
}

export interface RouteConfig {
  networkTeam: string[];
}

const NETWORK_TYPES: ReadonlySet<FaultType> = new Set(['dc', 'isp', 'region', 'agent']);
const uniq = (xs: string[]): string[] => [...new Set(xs)].sort();

/** The VIPs a fault lists, each with the scope of the VIP fault that covers it (a child) or else the fault's own. */
function affectedVips(fault: FaultEpisode, children: FaultEpisode[], dir: Directory): AffectedVip[] {
  const vipFault = new Map(children.filter((c) => c.type === 'vip').map((c) => [c.key, c]));
  return uniq(fault.vips).map((ip) => {
    const v = dir.vips.get(ip);
    const scope = vipFault.get(ip) ?? fault;
    return {
      ip,
      dc: v?.dc ?? (fault.type === 'dc' ? fault.key : scope.dcs[0] ?? ''),
      // a VIP that left the inventory still counts for the businesses the fault names
      business: v?.business ?? (fault.businesses.length === 1 ? fault.businesses[0]! : ''),
      isps: uniq(scope.isps),
      provinces: uniq(scope.provinces),
    };
  });
}

/**
 * Routes for one fault: [] for a child (parent set) or a suppressed fault. `children` are the open faults whose
 * parent is this fault; each route lists the ones that concern its audience.
 */
export function route(fault: FaultEpisode, children: FaultEpisode[], dir: Directory, cfg: RouteConfig): Route[] {
  if (fault.parent !== null || fault.suppressed) return [];
  const vips = affectedVips(fault, children, dir);
  const owners = new Map<string, Business>();
  for (const ref of [...vips.map((v) => v.business), ...fault.businesses]) {
    for (const b of resolveBusinesses(dir, ref)) owners.set(b.name, b);
  }
  const routes: Route[] = [...owners.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((b) => {
      const own = vips.filter((v) => v.business === b.name);
      const ips = new Set(own.map((v) => v.ip));
      return {
        audience: { kind: 'business', business: b.name },
        key: `business:${b.name}`,
        to: uniq(b.owners),
        vips: own,
        children: children.filter((c) => c.businesses.includes(b.name) || c.vips.some((ip) => ips.has(ip))),
      };
    });
  if (NETWORK_TYPES.has(fault.type)) {
    routes.push({ audience: { kind: 'network' }, key: 'network', to: uniq(cfg.networkTeam), vips, children });
  }
  return routes;
}
