// A deterministic demo inventory: every province x ISP has source hosts in several DCs,
// VIPs live in a few target DCs, and each VIP belongs to a business with owners.
import { ISPS, PROVINCES } from './geo.js';
import type { Business, Datacenter, Host, Inventory, Vip } from './model.js';

export interface DemoOptions {
  dcsPerGroup?: number;
  hostsPerDc?: number;
  /** target DCs that serve VIPs */
  vipDcs?: number;
  vipsPerDc?: number;
  businesses?: number;
  /** every Nth VIP also gets a tcp port (and every 2Nth an http url); 0 disables */
  portEvery?: number;
}

/** 198.18.0.0/15 is reserved for benchmarking; demo and test addresses stay inside it. */
export const benchAddress = (n: number): string => {
  if (n < 0 || n >= 131_070) throw new RangeError(`address index ${n} outside 198.18.0.0/15`);
  const v = n + 1;
  return `198.${18 + (v >> 16)}.${(v >> 8) & 255}.${v & 255}`;
};

const BUSINESS_NAMES = ['search', 'video', 'news', 'maps', 'mail', 'shop', 'games', 'cloud', 'ads', 'pay'];
// Target DCs spread over the big hubs and all three ISPs.
const VIP_DC_SITES: Array<[string, string]> = [
  ['beijing', 'ct'], ['shanghai', 'cu'], ['guangdong', 'cm'], ['sichuan', 'ct'], ['hubei', 'cu'], ['zhejiang', 'cm'],
  ['jiangsu', 'ct'], ['shandong', 'cu'], ['shaanxi', 'cm'], ['liaoning', 'ct'], ['fujian', 'cu'], ['henan', 'cm'],
];

export function demoInventory(opts: DemoOptions = {}): Inventory {
  const { dcsPerGroup = 2, hostsPerDc = 2, vipDcs = 6, vipsPerDc = 8, businesses = 4, portEvery = 4 } = opts;
  const datacenters: Datacenter[] = [];
  const hosts: Host[] = [];
  let addr = 0;
  for (const p of PROVINCES) {
    for (const isp of ISPS) {
      for (let d = 1; d <= dcsPerGroup; d++) {
        const dc = `${p.id}-${isp.id}-${d}`;
        datacenters.push({ id: dc, province: p.id, isp: isp.id });
        for (let h = 1; h <= hostsPerDc; h++) hosts.push({ id: `cdn-${dc}-${String(h).padStart(3, '0')}`, ip: benchAddress(addr++), dc, probe: true });
      }
    }
  }
  const bizList: Business[] = BUSINESS_NAMES.slice(0, Math.max(1, Math.min(businesses, BUSINESS_NAMES.length))).map((name, i) => ({
    name,
    dept: String(1001 + i),
    owners: [`oncall-${name}@example.com`, `lead-${name}@example.com`],
  }));
  const vips: Vip[] = [];
  let vaddr = 65_536; // VIPs in 198.19.0.0/16, hosts in 198.18.0.0/16
  for (let t = 0; t < Math.min(vipDcs, VIP_DC_SITES.length); t++) {
    const [province, isp] = VIP_DC_SITES[t]!;
    const dc = `idc-${province}-${isp}`;
    datacenters.push({ id: dc, province, isp });
    for (let i = 0; i < vipsPerDc; i++) {
      const n = vips.length;
      const ip = benchAddress(vaddr++);
      const v: Vip = { ip, dc, business: bizList[n % bizList.length]!.name };
      if (portEvery > 0 && n % portEvery === 0) v.port = 443;
      if (portEvery > 0 && n % (2 * portEvery) === 0) v.url = `http://${ip}/health`;
      vips.push(v);
    }
  }
  return { datacenters, hosts, vips, businesses: bizList, isps: [] };
}
