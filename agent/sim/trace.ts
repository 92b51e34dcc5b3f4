// Traceroute on the "sim" backend: the path from a host to a VIP as a chain of modelled routers (the host DC's
// access router, its ISP's metro router in its province, that ISP's backbone in its region, an interconnect when the
// VIP's DC is on another ISP, the far ISP's backbone and metro, the VIP DC's edge router, the VIP), each hop's RTT
// a share of the latency model's path RTT plus jitter. During the scripted incident the VIP DC drops traffic from
// the incident's ISPs at its edge, so those paths stop after the far metro router. Router addresses sit in
// 198.18.200.0-198.18.247.255 (benchmarking space: nothing is ever sent there), named by simPrefixNames().
import type { Catalog } from '../../core/catalog.js';
import { PROVINCES } from '../../core/geo.js';
import type { TraceHop } from '../../core/jobs.js';
import type { Clock } from '../clock.js';
import { mixHash } from '../pacing.js';
import type { PathProbe, TraceOptions, TracePath } from '../probes/traceroute.js';
import type { LatencyModel } from './model.js';

export interface ModelledHop { ip: string; /** share of the path's RTT at this hop */ share: number; /** the VIP DC's edge and beyond */ far: boolean }

const ISP_OFFSET: Record<string, number> = { ct: 0, cu: 1, cm: 2 };
const ispOff = (isp: string): number => ISP_OFFSET[isp] ?? 3 + (mixHash(isp) % 5);
const provinceIdx = new Map(PROVINCES.map((p, i) => [p.id, i + 1]));
const octet = (key: string): number => 1 + (mixHash(key) % 250);
/** backbone regions: provinces in one ~6 degree cell share a core router */
const regionOf = (province: string): number => {
  const p = PROVINCES.find((x) => x.id === province);
  return p ? 1 + ((Math.round(p.lat / 6) * 13 + Math.round(p.lon / 6)) % 250) : octet(province);
};

/** The routers between a host and a VIP, in hop order, the VIP last; null when either is unknown. Pure. */
export function modelledHops(c: Catalog, hostId: string, vipIp: string): ModelledHop[] | null {
  const host = c.hosts.get(hostId);
  const vip = c.vips.get(vipIp);
  if (!host || !vip) return null;
  const src = c.dcs.get(host.dc)!;
  const dst = c.dcs.get(vip.dc)!;
  const a = ispOff(src.isp), b = ispOff(dst.isp);
  const near = (ip: string, share: number): ModelledHop => ({ ip, share, far: false });
  const hops = [
    near(`198.18.200.${octet(src.id)}`, 0.03),
    near(`198.18.${210 + a}.${provinceIdx.get(src.province) ?? octet(src.province)}`, 0.1),
    near(`198.18.${220 + a}.${regionOf(src.province)}`, 0.3),
  ];
  if (a !== b) hops.push(near(`198.18.230.${a * 16 + b + 1}`, 0.55));
  if (a !== b || regionOf(src.province) !== regionOf(dst.province)) hops.push(near(`198.18.${220 + b}.${regionOf(dst.province)}`, 0.75));
  hops.push(near(`198.18.${210 + b}.${provinceIdx.get(dst.province) ?? octet(dst.province)}`, 0.9));
  hops.push({ ip: `198.18.240.${octet(dst.id)}`, share: 0.97, far: true });
  hops.push({ ip: vipIp, share: 1, far: true });
  return hops;
}

/** A prefix file's entries (CIDR -> name) for the modelled routers: what the demo names its hops with. */
export function simPrefixNames(c: Catalog): Array<{ cidr: string; name: string }> {
  const isps = [...new Set([...c.dcs.values()].map((d) => d.isp))].sort();
  const out: Array<{ cidr: string; name: string }> = [{ cidr: '198.18.200.0/24', name: 'CDN DC access' }, { cidr: '198.18.240.0/24', name: 'VIP DC edge' }, { cidr: '198.18.230.0/24', name: 'ISP interconnect' }];
  for (const isp of isps) {
    out.push({ cidr: `198.18.${210 + ispOff(isp)}.0/24`, name: `${isp.toUpperCase()} metro` });
    out.push({ cidr: `198.18.${220 + ispOff(isp)}.0/24`, name: `${isp.toUpperCase()} backbone` });
  }
  return out;
}

export interface SimTraceDeps {
  model: LatencyModel;
  host: string;
  clock: Clock;
  minuteOf: (ms: number) => number;
  random: () => number;
}

/** Silent hops kept after the last answer, as the real traceroute does. */
const TRAILING_SILENT = 2;

export class SimTraceroute implements PathProbe {
  /** the same modelled path answers ICMP and TCP SYN traceroute jobs */
  constructor(private readonly d: SimTraceDeps, readonly name: PathProbe['name'] = 'traceroute') {}

  async trace(address: string, opts: TraceOptions, pace?: () => Promise<void>): Promise<TracePath> {
    const { model, host, random } = this.d;
    const hops = modelledHops(model.catalog, host, address);
    const path = model.path(host, address);
    if (!hops || !path) return { hops: [], reached: false };
    const minute = this.d.minuteOf(this.d.clock.now());
    const broken = model.incidentHits(path, minute);
    const shown = hops.slice(0, opts.maxTtl);
    const out: TraceHop[] = [];
    for (const [i, h] of shown.entries()) {
      const silent = broken && h.far;
      const rtt: number[] = [];
      let lost = 0;
      for (let k = 0; k < opts.probesPerHop; k++) {
        if (pace) await pace();
        if (silent || random() * 100 < model.p.lossPct) { lost++; continue; }
        rtt.push(Math.round((path.baseMs * h.share - model.p.jitterMs * Math.log(1 - random())) * 1000) / 1000);
      }
      out.push({ ttl: i + 1, ip: rtt.length ? h.ip : null, rtt, lost });
    }
    const reached = !broken && shown.length === hops.length && out[out.length - 1]!.ip === address;
    let last = out.length;
    while (last > 0 && out[last - 1]!.ip === null) last--;
    return { hops: reached ? out : out.slice(0, Math.min(out.length, last + TRAILING_SILENT)), reached };
  }

  async close(): Promise<void> {}
}
