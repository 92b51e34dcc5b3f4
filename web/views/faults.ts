// Fault screens: root faults with their children folded under them, and one episode's scope, timeline and alerts.
import type { StoredEpisode } from '../../core/store/faults.js';
import { alertsOf, type FaultNode } from '../fault-tree.js';
import { html, type Html } from '../html.js';
import { fmtAgo, fmtDuration, fmtTime, titleCase } from './format.js';
import { diagnosisSchema, type Diagnosis } from '../../core/diagnosis.js';
import { diagnosisSection } from './diagnosis.js';

const TYPE_LABEL: Record<string, string> = { vip: 'VIP', dc: 'DC', isp: 'ISP', region: 'Region', agent: 'Agent' };
export const faultTitle = (e: Pick<StoredEpisode, 'type' | 'key' | 'signal'>): string =>
  (e.signal === 'cert' ? `VIP certificate warning ${e.key}` : `${TYPE_LABEL[e.type] ?? e.type}${e.signal === 'latency' ? ' latency' : ''} fault ${e.key}`);
/** Latency faults say "slow" (above their own baseline), loss faults say nothing extra. */
export const signalBadge = (e: Pick<StoredEpisode, 'signal'>): Html =>
  e.signal === 'latency' ? html`<span class="badge slow" title="latency above the cells' own baselines">slow</span>`
    : e.signal === 'cert' ? html`<span class="badge cert" title="the VIP's TLS certificate runs out soon (informational)">cert</span>` : html``;
export const faultHref = (e: Pick<StoredEpisode, 'uid'>): string => `/faults/${encodeURIComponent(e.uid)}`;

const list = (items: string[], max = 4): string =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} +${items.length - max}`;

export function scopeLine(e: StoredEpisode): Html {
  const parts: Array<[string, string[]]> = [['ISPs', e.isps], ['provinces', e.provinces.map(titleCase)], ['DCs', e.dcs], ['VIPs', e.vips], ['businesses', e.businesses]];
  return html`${parts.filter(([, v]) => v.length).map(([k, v]) => html`<span class="scope"><span class="muted">${k}</span> ${list(v)}</span>`)}`;
}

const durationOf = (e: StoredEpisode, now: number): string =>
  fmtDuration((e.end === null ? now : Date.parse(e.end)) - Date.parse(e.start));

/** Whether and to whom alerts went, as the history records it. */
export function alertLine(e: StoredEpisode, isChild: boolean): Html {
  if (e.suppressed) return html`<span class="badge muted-badge">suppressed by whitelist</span>`;
  const alerts = alertsOf(e.history);
  if (!alerts.length) return isChild ? html`<span class="muted">alerted with its root</span>` : html`<span class="muted">no alert sent</span>`;
  const to = [...new Set(alerts.flatMap((a) => a.recipients))];
  return html`<span class="badge alerted">alerted</span> ${alerts.length} message${alerts.length === 1 ? '' : 's'}${to.length ? html` to ${list(to, 3)}` : ''}`;
}

const statusBadge = (e: StoredEpisode): Html =>
  e.end === null ? html`<span class="badge open">open</span>` : html`<span class="badge closed">closed</span>`;

function summaryRow(e: StoredEpisode, now: number, children: number): Html {
  return html`<span class="type type-${e.type}">${TYPE_LABEL[e.type] ?? e.type}</span> ${signalBadge(e)}
<a class="key" href="${faultHref(e)}">${e.key}</a>
${statusBadge(e)}
<span class="when" title="start ${e.start}, detected ${e.detectedAt}">started ${fmtTime(e.start)} · ${e.end === null ? 'open for' : 'lasted'} ${durationOf(e, now)}${e.end === null ? '' : html` · ended ${fmtAgo(e.end, now)}`}</span>
${children ? html`<span class="children-count">${children} child fault${children === 1 ? '' : 's'}</span>` : ''}
<span class="scopes">${scopeLine(e)}</span>
<span class="alerts">${alertLine(e, false)}</span>`;
}

function childRows(nodes: FaultNode[], now: number): Html {
  return html`<table class="list children"><thead><tr><th>Type</th><th>Key</th><th>Status</th><th>Start</th><th>Duration</th><th>Scope</th></tr></thead><tbody>
${nodes.map(({ episode: c, children }) => html`<tr><td><span class="type type-${c.type}">${TYPE_LABEL[c.type] ?? c.type}</span> ${signalBadge(c)}</td>
<td><a href="${faultHref(c)}">${c.key}</a>${children.length ? html` <span class="muted">(+${children.length})</span>` : ''}</td><td>${statusBadge(c)}${c.suppressed ? html` <span class="badge muted-badge">suppressed</span>` : ''}</td>
<td>${fmtTime(c.start)}</td><td>${durationOf(c, now)}</td><td>${scopeLine(c)}</td></tr>`)}
</tbody></table>`;
}

export function faultList(roots: FaultNode[], now: number): Html {
  if (!roots.length) return html`<p class="muted empty">None.</p>`;
  return html`<div class="faults">${roots.map(({ episode: e, children }) => {
    const cls = `fault ${e.end === null ? 'is-open' : 'is-closed'} ${e.suppressed ? 'is-suppressed' : ''}`;
    return children.length
      ? html`<details class="${cls}" data-uid="${e.uid}"><summary>${summaryRow(e, now, children.length)}</summary>${childRows(children, now)}</details>`
      : html`<div class="${cls}" data-uid="${e.uid}"><div class="summary">${summaryRow(e, now, 0)}</div></div>`;
  })}</div>`;
}

interface TimelineItem { at: string; kind: string; text: string }

/** The episode's history in time order, with the condition's start and the detection minute for context. */
export function timeline(e: StoredEpisode): TimelineItem[] {
  const items: TimelineItem[] = [{ at: e.start, kind: 'start', text: 'condition began (first bad minute)' }];
  for (const h of e.history) {
    if (h.kind === 'alert') {
      const a = alertsOf([h])[0]!;
      items.push({ at: h.at, kind: 'alert', text: `alert${a.recipients.length ? ` to ${a.recipients.join(', ')}` : ''}${a.note ? ` (${a.note})` : ''}` });
    } else {
      const detail = h.detail ? Object.entries(h.detail).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ') : '';
      const what = h.kind === 'open' ? 'fault opened' : h.kind === 'close' ? 'fault closed' : 'scope or parent changed';
      items.push({ at: h.at, kind: h.kind, text: detail ? `${what}: ${detail}` : what });
    }
  }
  return items.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** Optional extras of the detail page: the chart of the affected cells, the local zone, a path diagnosis. */
export interface DetailExtras { chart?: Html; fmt?: (iso: string) => string; diagnosis?: unknown }

const isDiagnosis = (d: unknown): d is Diagnosis => diagnosisSchema.safeParse(d).success;

const diagnosisHtml = (d: unknown): Html => html`<section class="card" id="diagnosis"><h2>Diagnosis</h2>${typeof d === 'string' ? html`<p>${d}</p>` : html`<pre class="diagnosis">${JSON.stringify(d, null, 2)}</pre>`}</section>`;

export function episodeDetail(e: StoredEpisode, parent: StoredEpisode | null, children: FaultNode[], now: number, isChild: boolean, x: DetailExtras = {}): Html {
  const t = x.fmt ?? fmtTime;
  const vipLinks = e.vips.map((v) => html`<a href="/vips/${encodeURIComponent(v)}">${v}</a>`);
  const row = (k: string, v: Html | string) => html`<tr><th>${k}</th><td>${v}</td></tr>`;
  const joined = (v: string[]) => (v.length ? v.join(', ') : '–');
  return html`
<div class="fault-head">${statusBadge(e)} <span class="type type-${e.type}">${TYPE_LABEL[e.type] ?? e.type}</span> <code>${e.id}</code></div>
<div class="cols">
<section class="card"><h2>Episode</h2><table class="kv">
${row('Started', `${t(e.start)} (${fmtAgo(e.start, now)})`)}
${row('Detected', `${t(e.detectedAt)} (detection delay ${fmtDuration(Date.parse(e.detectedAt) - Date.parse(e.start))} after the start)`)}
${row('Ended', e.end ? `${t(e.end)} (${fmtAgo(e.end, now)})` : 'still open')}
${row('Duration', `${durationOf(e, now)}${e.end === null ? ' so far' : ''}`)}
${row('Parent', parent ? html`<a href="${faultHref(parent)}">${faultTitle(parent)}</a>` : e.parent ?? 'none: a root fault')}
${row('Alerts', alertLine(e, isChild))}
</table></section>
<section class="card"><h2>Scope</h2><table class="kv">
${row('ISPs', joined(e.isps))}${row('Provinces', e.provinces.length > 8 ? `${e.provinces.length} provinces: ${e.provinces.map(titleCase).join(', ')}` : joined(e.provinces.map(titleCase)))}${row('DCs', joined(e.dcs))}
${row('VIPs', vipLinks.length ? html`${vipLinks.map((l, i) => html`${i ? ', ' : ''}${l}`)}` : '–')}
${row('Businesses', joined(e.businesses))}
</table></section>
</div>
${x.chart ?? ''}
${x.diagnosis !== undefined && x.diagnosis !== null ? (isDiagnosis(x.diagnosis) ? diagnosisSection(x.diagnosis, t) : diagnosisHtml(x.diagnosis)) : ''}
<section class="card"><h2>Timeline</h2><ol class="timeline">${timeline(e).map((i) => html`<li class="ev ev-${i.kind}"><time datetime="${i.at}">${t(i.at)}</time> <span class="tag">${i.kind}</span> ${i.text}</li>`)}</ol></section>
${children.length ? html`<section class="card"><h2>Child faults (${children.length})</h2>${childRows(children, now)}</section>` : ''}`;
}
