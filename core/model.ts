// The domain every part of vipwatch shares, in one import. Plain data only: no behaviour, no I/O.
// The contracts' types come from their zod schemas (z.infer), each in its own file; this file re-exports them.
export type { Business, Datacenter, Host, Inventory, IspInfo, Vip } from './inventory.js';
export { METHODS, lossPct, type Method, type ResultRecord } from './records.js';
export { FAULT_TYPES, type FaultEpisode, type FaultType } from './episode.js';
export type { WhitelistEntry, WhitelistScope } from './whitelist.js';
import type { Method } from './records.js';
import type { FaultEpisode } from './episode.js';

export interface Plan {
  redundancy: number;
  /** host id -> sorted VIP ips */
  assignments: Record<string, string[]>;
}

/** A task-list target; an http one may carry its checks from the inventory (expectStatus, bodyPattern). */
export interface Target { vip: string; method: Method; port?: number; url?: string; expectStatus?: (number | string)[]; bodyPattern?: string }

export interface TaskList { host: string; version: string; intervalSec: number; targets: Target[] }

/** What the analyzer engine reports for one evaluated minute: an episode opened, changed scope or parent, or ended. */
export interface FaultTransition {
  kind: 'open' | 'update' | 'close';
  /** the evaluated minute (ms since epoch) */
  minute: number;
  episode: FaultEpisode;
  /** latency faults (open and update): how much slower, per isp of the fault, for the messages */
  latency?: IspLatency[];
  /** loss faults (open and update): how lossy, per isp of the fault, for the messages */
  loss?: IspLoss[];
  /** certificate-expiry warnings (signal cert): the fewest days left seen that minute */
  certDaysLeft?: number;
}

/** A loss fault's figures for one isp: `ct: loss 100% in 19 of 31 provinces`. */
export interface IspLoss {
  isp: string;
  /** median over the lossy provinces of their cells' loss this minute (%); null when none of them reported */
  lossPct: number | null;
  /** provinces of the isp lossy for the fault's VIPs, and provinces that probe them */
  lossyProvinces: number;
  provinces: number;
}

/** A latency fault's figures for one isp: `ct: 38 ms -> 92 ms (x2.4) in 19 of 31 provinces`. */
export interface IspLatency {
  isp: string;
  /** median over the slow provinces of their baseline and current latency (ms) */
  baselineMs: number;
  currentMs: number;
  /** provinces of the isp slow for the fault's VIPs, and provinces that probe them */
  slowProvinces: number;
  provinces: number;
}
