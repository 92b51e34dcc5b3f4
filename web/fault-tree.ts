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
