// Root faults first with their children folded under them, and what the history says about alerts. Pure.
import type { EpisodeEvent, StoredEpisode } from '../core/store/faults.js';

export interface FaultNode { episode: StoredEpisode; children: FaultNode[] }

const endOf = (e: StoredEpisode): number => (e.end === null ? Infinity : Date.parse(e.end));

/**
 * `parent` names a fault id (type:key), which repeats across episodes: the child hangs under the episode of that id
 * whose time span overlaps its own (the latest such), else it is shown as a root.
 */
export function faultTree(list: StoredEpisode[]): FaultNode[] {
  const nodes = new Map(list.map((e) => [e.uid, { episode: e, children: [] as FaultNode[] }]));
  const byId = new Map<string, StoredEpisode[]>();
  for (const e of list) {
    const l = byId.get(e.id);
    if (l) l.push(e);
    else byId.set(e.id, [e]);
  }
  const parentOf = (e: StoredEpisode): StoredEpisode | null => {
    if (!e.parent || e.parent === e.id) return null;
    const start = Date.parse(e.start);
    const overlapping = (byId.get(e.parent) ?? []).filter((p) => Date.parse(p.start) <= endOf(e) && endOf(p) >= start);
    overlapping.sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
    const p = overlapping[0] ?? null;
    // A parent that itself has a parent of this episode's id would loop; faults nest at most two deep by the rules.
    return p && p.parent !== e.id ? p : null;
  };
  const roots: FaultNode[] = [];
  for (const e of list) {
    const p = parentOf(e);
    const node = nodes.get(e.uid)!;
    if (p) nodes.get(p.uid)!.children.push(node);
    else roots.push(node);
  }
  // Open roots first, then the newest; the store already lists newest first, so a stable sort keeps that order.
  return roots.sort((a, b) => Number(a.episode.end !== null) - Number(b.episode.end !== null));
}

export interface AlertSummary { at: string; recipients: string[]; note: string }

const strings = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** History events of kind 'alert': who they went to (detail.to / recipients) and the rest of the detail as a note. */
export function alertsOf(history: EpisodeEvent[]): AlertSummary[] {
  return history.filter((h) => h.kind === 'alert').map((h) => {
    const d = h.detail ?? {};
    const recipients = [...strings(d.to), ...strings(d.recipients)];
    const note = Object.entries(d)
      .filter(([k]) => k !== 'to' && k !== 'recipients')
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ');
    return { at: h.at, recipients, note };
  });
}

/** What the outbox pages and fault pages need of a stored delivery. */
export interface DeliveryView {
  notifier: string;
  status: 'pending' | 'done';
  message: { id: string; uid: string; kind: string; at: number; to: string[] };
}

/**
 * The alert messages the outbox holds for each episode, added to its history as 'alert' events (one per message,
 * whatever the number of channels): the outbox is where the alerter records what it sent.
 */
export function withOutboxAlerts(episodes: StoredEpisode[], deliveries: DeliveryView[]): StoredEpisode[] {
  const byUid = new Map<string, Map<string, { m: DeliveryView['message']; channels: string[]; sent: boolean }>>();
  for (const d of deliveries) {
    let perMessage = byUid.get(d.message.uid);
    if (!perMessage) byUid.set(d.message.uid, (perMessage = new Map()));
    const entry = perMessage.get(d.message.id);
    if (entry) {
      entry.channels.push(d.notifier);
      entry.sent ||= d.status === 'done';
    } else perMessage.set(d.message.id, { m: d.message, channels: [d.notifier], sent: d.status === 'done' });
  }
  return episodes.map((e) => {
    const sent = byUid.get(e.uid);
    if (!sent) return e;
    const alerts: EpisodeEvent[] = [...sent.values()].map(({ m, channels, sent: done }) => ({
      at: new Date(m.at).toISOString().replace('.000Z', 'Z'),
      kind: 'alert',
      detail: { to: m.to, message: m.kind, via: channels.join(' '), status: done ? 'sent' : 'pending' },
    }));
    return { ...e, history: [...e.history, ...alerts] };
  });
}
