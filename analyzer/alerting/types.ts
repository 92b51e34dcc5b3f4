// The data alerting passes between its pure policy, the outbox and the notifiers. Plain data only.
import type { Diagnosis } from '../../core/diagnosis.js';
import type { FaultEpisode, FaultType, IspLatency, IspLoss } from '../../core/model.js';

export type Severity = 'critical' | 'informational';
/** diagnosis: path capture's follow-up to an open message, to the same recipients */
export type MessageKind = 'open' | 'reminder' | 'recovery' | 'diagnosis';

/** Who a message is for: the owners of one business, or the network team. */
export type Audience = { kind: 'business'; business: string } | { kind: 'network' };
export const audienceKey = (a: Audience): string => (a.kind === 'business' ? `business:${a.business}` : 'network');

/** One VIP a message lists, with the province/ISP scope its fault has. */
export interface AffectedVip { ip: string; dc: string; business: string; isps: string[]; provinces: string[] }

/** What routing decided for one audience of one root fault. */
export interface Route {
  audience: Audience;
  key: string;
  to: string[];
  vips: AffectedVip[];
  /** the child faults this audience is told about inside the message */
  children: FaultEpisode[];
}

export interface AlertMessage {
  /** deterministic: the same fault, kind, audience and minute always give the same id */
  id: string;
  kind: MessageKind;
  severity: Severity;
  audience: Audience;
  audienceKey: string;
  to: string[];
  /** the minute (ms) the policy produced it */
  at: number;
  /** when it may be delivered: `at` for critical, the next digest time for informational */
  deliverAt: number;
  /** episode uid `${id}@${start}` (web fault page key) */
  uid: string;
  fault: FaultEpisode;
  children: FaultEpisode[];
  vips: AffectedVip[];
  /** for reminders: how long the fault has been open, ms */
  openForMs: number;
  /** latency faults: how much slower, per isp (the figures of the fault's last open or update) */
  latency?: IspLatency[];
  /** loss faults: how lossy, per isp (the figures of the fault's last open or update) */
  loss?: IspLoss[];
  /** certificate-expiry warnings: days left on the VIP's certificate (the last transition that carried it) */
  certDaysLeft?: number;
  /** diagnosis messages: path capture's finding (also in fault.diagnosis) */
  diagnosis?: Diagnosis;
  /** the plain-text body as rendered when queued (set by the alerter for the web's outbox page) */
  body?: string;
}

export type SeverityMap = Record<FaultType, Severity>;
/** Latency faults have their own severities (slow is not down); there are no latency agent faults. */
export type LatencySeverityMap = Record<Exclude<FaultType, 'agent'>, Severity>;
export const DEFAULT_LATENCY_SEVERITIES: LatencySeverityMap = { vip: 'informational', dc: 'critical', isp: 'critical', region: 'informational' };
