// Lookup tables over a validated inventory, built once and shared read-only.
import type { Business, Datacenter, Host, Inventory, Target, Vip } from './model.js';

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

/** The probe targets of one VIP: icmp always, tcp when it has a port, http when it has a url. */
export function targetsOf(v: Vip): Target[] {
  const out: Target[] = [{ vip: v.ip, method: 'icmp' }];
  if (v.port !== undefined) out.push({ vip: v.ip, method: 'tcp', port: v.port });
  if (v.url !== undefined) out.push({ vip: v.ip, method: 'http', url: v.url });
  return out;
}
