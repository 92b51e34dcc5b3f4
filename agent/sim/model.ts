// The simulated network behind the "sim" probe backend: what one probe from a host to a VIP sees, as a pure function
// of the inventory, the parameters (config `sim`), the sim minute (minutes since the fleet started) and two uniform
// draws. No clock and no I/O, so tests can ask for any minute of the story and get exactly what the fleet sends.
//
// RTT = baseMs + per-host last mile (0-2 ms) + msPer100Km x great-circle distance (x a 0-30% detour per path)
//       + ispCrossMs when the host's isp is not the VIP DC's isp, + exponential jitter (mean jitterMs).
// Loss: background lossPct; a spike (one group, one minute per block of spikes.everyMinutes); the scripted
// incident (probes from incident.isps to incident.dc's VIPs, during [startMinute, startMinute + minutes)).
// Latency act: a routing detour adds latency.addMs to the probes from latency.isps to latency.dc's VIPs.
import { groupKey, type Catalog } from '../../core/catalog.js';
import type { Config } from '../../core/config.js';
import { ValidationError, show } from '../../core/errors.js';
import { PROVINCES, type Province } from '../../core/geo.js';
import type { Method } from '../../core/model.js';
import { mixHash } from '../pacing.js';

export type SimParams = Config['sim'];

const EARTH_KM = 6371;
const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle (haversine) distance in km. */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A uniform draw in [0, 1) fixed by the seed and a key: the same run always makes the same choices. */
export const unit = (seed: number, key: string): number => mixHash(`${seed}|${key}`) / 0x1_0000_0000;

/** What a method adds to the path's RTT: icmp is one round trip, a tcp connect one plus the handshake's
 *  kernel work, an http GET two (connect, request) plus the server's time. */
export const METHOD_SHAPE: Record<Method, (rttMs: number) => number> = {
  icmp: (rtt) => rtt,
  tcp: (rtt) => rtt + 0.2,
  http: (rtt) => 2 * rtt + 4,
};

/** Extra RTT of the probes that survive a spike: queues fill before they drop. */
const SPIKE_EXTRA_MS = 40;

/** One (host, VIP) path: fixed for the whole run. */
export interface Path {
  host: string;
  /** the host's group, "province/isp" */
  group: string;
  isp: string;
  vipDc: string;
  km: number;
  crossIsp: boolean;
  /** RTT before jitter */
  baseMs: number;
}

/** The scripted outage, in sim minutes: [from, to). */
export interface Incident { dc: string; isps: string[]; from: number; to: number; lossPct: number }

export interface Spike { minute: number; group: string }

/** The scripted routing detour, in sim minutes: [from, to). */
export interface Detour { dc: string; isps: string[]; from: number; to: number; addMs: number }

const provinceById = new Map<string, Province>(PROVINCES.map((p) => [p.id, p]));

export class LatencyModel {
  readonly incident: Incident | null;
  readonly detour: Detour | null;
  /** every group with hosts, sorted: spikes pick among them */
  readonly groups: string[];
  readonly #paths = new Map<string, Path | null>();

  /** `source` names the config in errors (the incident must name a DC that serves VIPs, and isps that have hosts). */
  constructor(readonly catalog: Catalog, readonly p: SimParams, source = 'config') {
    this.groups = [...catalog.groups.keys()].sort();
    this.incident = p.incident.minutes > 0 ? resolveIncident(catalog, p, source) : null;
    this.detour = p.latency.minutes > 0 ? resolveDetour(catalog, p, source) : null;
  }

  /** The path from a host to a VIP address, or null when either is unknown (nothing answers). */
  path(host: string, vip: string): Path | null {
    const key = `${host} ${vip}`;
    let found = this.#paths.get(key);
    if (found === undefined) this.#paths.set(key, (found = this.#build(host, vip)));
    return found;
  }

  #build(hostId: string, vipIp: string): Path | null {
    const c = this.catalog;
    const host = c.hosts.get(hostId);
    const vip = c.vips.get(vipIp);
    if (!host || !vip) return null;
    const src = c.dcs.get(host.dc)!;
    const dst = c.dcs.get(vip.dc)!;
    const km = distanceKm(provinceById.get(src.province)!, provinceById.get(dst.province)!);
    const crossIsp = src.isp !== dst.isp;
    const { seed, baseMs, msPer100Km, ispCrossMs } = this.p;
    const lastMile = 2 * unit(seed, `host ${hostId}`);
    const detour = 1 + 0.3 * unit(seed, `path ${hostId} ${vipIp}`);
    return {
      host: hostId, group: groupKey(src.province, src.isp), isp: src.isp, vipDc: vip.dc, km, crossIsp,
      baseMs: baseMs + lastMile + (msPer100Km * km * detour) / 100 + (crossIsp ? ispCrossMs : 0),
    };
  }

  /** The one spike of the block that holds `minute`, or null when spikes are off. */
  spikeOfBlock(minute: number): Spike | null {
    const every = this.p.spikes.everyMinutes;
    if (!every || !this.groups.length) return null;
    const block = Math.floor(minute / every);
    const at = block * every + Math.floor(every * unit(this.p.seed, `spike minute ${block}`));
    return { minute: at, group: this.groups[Math.floor(this.groups.length * unit(this.p.seed, `spike group ${block}`))]! };
  }

  /** The group with a bad minute at `minute`, or null. One per block, so no group is bad 3 minutes in 5 (when
   *  everyMinutes >= 5): the analyzer's smoothing must let every spike pass. */
  spikeAt(minute: number): string | null {
    const s = this.spikeOfBlock(minute);
    return s && s.minute === minute ? s.group : null;
  }

  /** Every spike in [from, to), in time order. */
  spikesBetween(from: number, to: number): Spike[] {
    const out: Spike[] = [];
    const every = this.p.spikes.everyMinutes;
    if (!every) return out;
    for (let m = Math.floor(from / every) * every; m < to; m += every) {
      const s = this.spikeOfBlock(m);
      if (s && s.minute >= from && s.minute < to) out.push(s);
    }
    return out;
  }

  incidentHits(path: Path, minute: number): boolean {
    const i = this.incident;
    return !!i && minute >= i.from && minute < i.to && path.vipDc === i.dc && i.isps.includes(path.isp);
  }

  detourHits(path: Path, minute: number): boolean {
    const d = this.detour;
    return !!d && minute >= d.from && minute < d.to && path.vipDc === d.dc && d.isps.includes(path.isp);
  }

  /** Chance (percent) that a probe on this path is lost in this minute. */
  lossPct(path: Path, minute: number): number {
    let keep = 1 - this.p.lossPct / 100;
    if (this.spikeAt(minute) === path.group) keep *= 1 - this.p.spikes.lossPct / 100;
    if (this.incidentHits(path, minute)) keep *= 1 - this.incident!.lossPct / 100;
    return 100 * (1 - keep);
  }

  /** One probe: its RTT in ms, or null when lost. `lossDraw` decides loss, `jitterDraw` the jitter (both in [0, 1)). */
  probe(path: Path, method: Method, minute: number, lossDraw: number, jitterDraw: number): number | null {
    if (lossDraw * 100 < this.lossPct(path, minute)) return null;
    const jitter = -this.p.jitterMs * Math.log(1 - jitterDraw);
    const spike = this.spikeAt(minute) === path.group ? SPIKE_EXTRA_MS : 0;
    const detour = this.detourHits(path, minute) ? this.detour!.addMs : 0;
    return METHOD_SHAPE[method](path.baseMs + jitter + spike + detour);
  }
}

function checkIsps(c: Catalog, isps: string[], field: string, source: string): void {
  const hostIsps = new Set([...c.groups.keys()].map((g) => g.split('/')[1]!));
  const unknown = isps.filter((x) => !hostIsps.has(x));
  if (unknown.length) {
    throw new ValidationError([{ file: source, field, message: `no host has isp ${unknown.join(', ')} (value ${show(isps)}); isps with hosts: ${[...hostIsps].sort().join(', ')}` }]);
  }
}

function resolveDetour(c: Catalog, p: SimParams, source: string): Detour {
  const d = p.latency;
  const servesVips = [...new Set(c.inventory.vips.map((v) => v.dc))];
  const dc = d.dc ?? servesVips[1] ?? servesVips[0];
  if (dc === undefined || !servesVips.includes(dc)) {
    throw new ValidationError([{ file: source, field: 'sim.latency.dc', message: `no DC serving VIPs has this id (value ${show(dc ?? null)}); DCs with VIPs: ${servesVips.slice(0, 6).join(', ') || 'none'}` }]);
  }
  checkIsps(c, d.isps, 'sim.latency.isps', source);
  return { dc, isps: [...d.isps], from: d.startMinute, to: d.startMinute + d.minutes, addMs: d.addMs };
}

function resolveIncident(c: Catalog, p: SimParams, source: string): Incident {
  const i = p.incident;
  const servesVips = new Set(c.inventory.vips.map((v) => v.dc));
  const dc = i.dc ?? c.inventory.vips[0]?.dc;
  if (dc === undefined || !servesVips.has(dc)) {
    const known = [...servesVips].slice(0, 6).join(', ');
    throw new ValidationError([{ file: source, field: 'sim.incident.dc', message: `no DC serving VIPs has this id (value ${show(dc ?? null)}); DCs with VIPs: ${known || 'none'}` }]);
  }
  checkIsps(c, i.isps, 'sim.incident.isps', source);
  return { dc, isps: [...i.isps], from: i.startMinute, to: i.startMinute + i.minutes, lossPct: i.lossPct };
}
