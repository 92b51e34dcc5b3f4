// The alert lifecycle: pure. State + one minute's fault transitions -> new state + messages.
// A message on open (per audience, the first minute it is routed and not under maintenance), a reminder every
// interval while it stays so, and one on recovery to every audience that was told. The state is plain JSON, so the
// live analyzer persists it with the messages and a restart neither loses nor repeats one.
import { isCertWarning, signalOf } from '../../core/episode.js';
import type { FaultEpisode, FaultTransition, IspLatency, IspLoss } from '../../core/model.js';
import { episodeUid } from '../../core/store/faults.js';
import { nextDigestAt, type DigestConfig } from './digest.js';
import { activeWindows, suppressedBy, type MaintenanceWindow } from './maintenance.js';
import { route, type Directory } from './routing.js';
import {
  audienceKey as keyOf, DEFAULT_LATENCY_SEVERITIES, type AffectedVip, type AlertMessage, type Audience, type LatencySeverityMap, type MessageKind,
  type Severity, type SeverityMap,
} from './types.js';

export interface Notified {
  audience: Audience;
  to: string[];
  since: number;
  nextReminder: number;
  /** what the last message to this audience listed: the recovery repeats it */
  vips: AffectedVip[];
  children: FaultEpisode[];
}

export interface TrackedFault {
  episode: FaultEpisode;
  notified: Record<string, Notified>;
  /** some route was held back by a maintenance window: look again next minute */
  held?: boolean;
  /** latency faults: the figures of the last transition that carried them */
  latency?: IspLatency[];
  /** loss faults: the figures of the last transition that carried them */
  loss?: IspLoss[];
  /** certificate-expiry warnings: the days left of the last transition */
  certDaysLeft?: number;
}

export interface PolicyState {
  version: 1;
  /** the last minute handled: a minute at or before it is ignored (re-run after a crash) */
  lastMinute: number | null;
  /** open episodes by uid (children too: their parent's messages list them) */
  faults: Record<string, TrackedFault>;
}

export interface PolicyContext {
  directory: Directory;
  networkTeam: string[];
  reminderMs: number;
  severities: SeverityMap;
  /** latency faults' severities (default: critical for dc and isp, informational for vip and region) */
  latencySeverities?: LatencySeverityMap;
  digest: DigestConfig;
  maintenance: MaintenanceWindow[];
}

export const initialState = (): PolicyState => ({ version: 1, lastMinute: null, faults: {} });

export function severityOf(f: FaultEpisode, ctx: Pick<PolicyContext, 'severities' | 'latencySeverities'>): Severity {
  if (isCertWarning(f)) return 'informational';
  if (signalOf(f) === 'latency' && f.type !== 'agent') return (ctx.latencySeverities ?? DEFAULT_LATENCY_SEVERITIES)[f.type];
  return ctx.severities[f.type];
}

export interface StepResult { state: PolicyState; messages: AlertMessage[] }

export function step(prev: PolicyState, transitions: FaultTransition[], minute: number, ctx: PolicyContext): StepResult {
  if (prev.lastMinute !== null && minute <= prev.lastMinute) return { state: prev, messages: [] };
  // copy on write: prev stays as it was (the caller may still persist or compare it)
  const faults: Record<string, TrackedFault> = { ...prev.faults };
  const closed = new Set<string>();
  /** fault ids whose own episode or one of whose children changed this minute */
  const touched = new Set<string>();
  for (const t of transitions) {
    const uid = episodeUid(t.episode);
    faults[uid] = {
      ...faults[uid], episode: t.episode, notified: faults[uid]?.notified ?? {}, ...(t.latency ? { latency: t.latency } : {}),
      ...(t.loss ? { loss: t.loss } : {}),
      ...(t.certDaysLeft !== undefined ? { certDaysLeft: t.certDaysLeft } : {}),
    };
    touched.add(t.episode.id);
    if (t.episode.parent !== null) touched.add(t.episode.parent);
    const before = prev.faults[uid]?.episode.parent;
    if (before) touched.add(before);
    if (t.kind === 'close') closed.add(uid);
    else closed.delete(uid);
  }

  const messages: AlertMessage[] = [];
  const emit = (kind: MessageKind, uid: string, f: FaultEpisode, n: Notified) => {
    const severity = severityOf(f, ctx);
    const latency = faults[uid]?.latency;
    const certDaysLeft = faults[uid]?.certDaysLeft;
    const loss = faults[uid]?.loss;
    messages.push({
      ...(latency ? { latency } : {}),
      ...(loss ? { loss } : {}),
      ...(certDaysLeft !== undefined ? { certDaysLeft } : {}),
      id: `${uid}|${kind}|${keyOf(n.audience)}|${new Date(minute).toISOString()}`,
      kind, severity, audience: n.audience, audienceKey: keyOf(n.audience), to: n.to, at: minute,
      deliverAt: severity === 'critical' ? minute : nextDigestAt(minute, ctx.digest),
      uid, fault: f, children: n.children, vips: n.vips, openForMs: minute - n.since,
    });
  };

  const windows = activeWindows(ctx.maintenance, minute);
  const uids = Object.keys(faults).sort().filter((u) => !closed.has(u));
  const childrenOf = new Map<string, FaultEpisode[]>();
  for (const u of uids) {
    const e = faults[u]!.episode;
    if (e.parent === null) continue;
    const list = childrenOf.get(e.parent);
    if (list) list.push(e);
    else childrenOf.set(e.parent, [e]);
  }
  for (const uid of uids) {
    const f = faults[uid]!.episode;
    const notified = Object.values(faults[uid]!.notified);
    // nothing can change for a fault untouched this minute, with no reminder due and no message held by maintenance
    if (!touched.has(f.id) && !faults[uid]!.held && notified.every((n) => n.nextReminder > minute)) continue;
    const tracked: TrackedFault = { ...faults[uid]!, notified: { ...faults[uid]!.notified }, held: false };
    faults[uid] = tracked;
    const children = (childrenOf.get(f.id) ?? []).filter((c) => c !== f);
    for (const r of route(f, children, ctx.directory, { networkTeam: ctx.networkTeam })) {
      if (suppressedBy(windows, r, f)) {
        tracked.held = true;
        continue;
      }
      const seen = tracked.notified[r.key];
      if (!seen) {
        const n: Notified = { audience: r.audience, to: r.to, since: minute, nextReminder: minute + ctx.reminderMs, vips: r.vips, children: r.children };
        tracked.notified[r.key] = n;
        emit('open', uid, f, n);
      } else if (minute >= seen.nextReminder) {
        // after a long gap (analyzer down) one reminder, not one per missed interval
        let nextReminder = seen.nextReminder;
        while (nextReminder <= minute) nextReminder += ctx.reminderMs;
        const n: Notified = { ...seen, to: r.to, vips: r.vips, children: r.children, nextReminder };
        tracked.notified[r.key] = n;
        emit('reminder', uid, f, n);
      }
    }
  }
  for (const uid of [...closed].sort()) {
    const tracked = faults[uid]!;
    for (const key of Object.keys(tracked.notified).sort()) emit('recovery', uid, tracked.episode, tracked.notified[key]!);
    delete faults[uid];
  }
  return { state: { version: 1, lastMinute: minute, faults }, messages };
}
