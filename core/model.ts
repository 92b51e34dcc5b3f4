// The domain every part of vipwatch shares. Plain data only: no behaviour, no I/O.

export interface Datacenter { id: string; province: string; isp: string }

/** A source machine that runs the agent; inherits province and isp from its DC. */
export interface Host { id: string; ip: string; dc: string; probe: boolean }

/** A target address served from a DC and owned by a business. */
export interface Vip { ip: string; dc: string; business: string; port?: number; url?: string }

export interface Business { name: string; dept?: string; owners: string[] }

export interface IspInfo { id: string; name: string; zh?: string }

export interface Inventory {
  datacenters: Datacenter[];
  hosts: Host[];
  vips: Vip[];
  businesses: Business[];
  /** ISPs beyond the built-in ct/cu/cm that this inventory declares (e.g. edu). */
  isps: IspInfo[];
}

export const METHODS = ['icmp', 'tcp', 'http'] as const;
export type Method = (typeof METHODS)[number];

/** One (host, VIP, method, minute) summary; rtt fields are ms and absent when recv is 0. */
export interface ResultRecord {
  ts: string;
  host: string;
  vip: string;
  method: Method;
  sent: number;
  recv: number;
  rttMin?: number;
  rttAvg?: number;
  rttMax?: number;
}

export interface Plan {
  redundancy: number;
  /** host id -> sorted VIP ips */
  assignments: Record<string, string[]>;
}

export interface Target { vip: string; method: Method; port?: number; url?: string }

export interface TaskList { host: string; version: string; intervalSec: number; targets: Target[] }

export const FAULT_TYPES = ['agent', 'vip', 'dc', 'isp', 'region'] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/** A fault episode exactly as the contract prints it. */
export interface FaultEpisode {
  id: string;
  type: FaultType;
  key: string;
  start: string;
  detectedAt: string;
  end: string | null;
  isps: string[];
  provinces: string[];
  dcs: string[];
  vips: string[];
  businesses: string[];
  parent: string | null;
  suppressed: boolean;
}

export type WhitelistScope = { vip: string } | { dc: string } | { business: string };

export interface WhitelistEntry {
  vip?: string;
  dc?: string;
  business?: string;
  until?: string;
  reason?: string;
}

/** Loss in percent, as the contract defines it. */
export function lossPct(r: Pick<ResultRecord, 'sent' | 'recv'>): number {
  return r.sent > 0 ? (100 * (r.sent - r.recv)) / r.sent : 100;
}

/** What the analyzer engine reports for one evaluated minute: an episode opened, changed scope or parent, or ended. */
export interface FaultTransition {
  kind: 'open' | 'update' | 'close';
  /** the evaluated minute (ms since epoch) */
  minute: number;
  episode: FaultEpisode;
}
