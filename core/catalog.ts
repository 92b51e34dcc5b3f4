// Lookup tables over a validated inventory, built once and shared read-only.
import { METHODS, type Business, type Datacenter, type Host, type Inventory, type Method, type Target, type Vip } from './model.js';

export interface Catalog {
  inventory: Inventory;
  dcs: Map<string, Datacenter>;
  hosts: Map<string, Host>;
  vips: Map<string, Vip>;
  businesses: Map<string, Business>;
  /** "province/isp" -> eligible (probe != false) hosts of that group */
  groups: Map<string, Host[]>;
}

export const groupKey = (province: string, isp: string): string => `${province}/${isp}`;

export function buildCatalog(inventory: Inventory): Catalog {
  const dcs = new Map(inventory.datacenters.map((d) => [d.id, d]));
  const groups = new Map<string, Host[]>();
  for (const h of inventory.hosts) {
    if (!h.probe) continue;
    const dc = dcs.get(h.dc)!;
    const k = groupKey(dc.province, dc.isp);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(h);
  }
  return {
    inventory,
    dcs,
    hosts: new Map(inventory.hosts.map((h) => [h.id, h])),
    vips: new Map(inventory.vips.map((v) => [v.ip, v])),
    businesses: new Map(inventory.businesses.map((b) => [b.name, b])),
    groups,
  };
}

/** Each method's target on a VIP, or null where the VIP does not offer it: icmp always, tcp with a port, http with a url. */
const TARGET_OF: Record<Method, (v: Vip) => Target | null> = {
  icmp: (v) => ({ vip: v.ip, method: 'icmp' }),
  tcp: (v) => (v.port !== undefined ? { vip: v.ip, method: 'tcp', port: v.port } : null),
  http: (v) => (v.url !== undefined ? {
    vip: v.ip, method: 'http', url: v.url,
    ...(v.expectStatus ? { expectStatus: v.expectStatus } : {}), ...(v.bodyPattern !== undefined ? { bodyPattern: v.bodyPattern } : {}),
  } : null),
};

/** The probe targets of one VIP, in METHODS order. */
export function targetsOf(v: Vip): Target[] {
  return METHODS.map((m) => TARGET_OF[m](v)).filter((t): t is Target => t !== null);
}

/** Whether a host assigned VIP v probes it with method m (m is in its task list's targets for v). */
export const offersMethod = (v: Vip, m: Method): boolean => TARGET_OF[m](v) !== null;
