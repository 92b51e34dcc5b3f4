// Outbox screen: every alert delivery the alerter stored, newest first: when, kind, subject (to the message page),
// recipients, channel and delivery status; and one delivery's page with the message body as it was sent.
import type { Delivery } from '../../core/store/outbox.js';
import { scrubUrls } from '../../core/redact.js';
import { html, type Html } from '../html.js';
import { faultHref } from './faults.js';
import { fmtAgo, fmtSeconds } from './format.js';

const iso = (ms: number): string => new Date(ms).toISOString();

const list = (items: string[], max = 3): string =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} +${items.length - max}`;

/** Where a delivery stands: sent, waiting for the digest, or retrying after a failure. */
function statusCell(d: Delivery, now: number): Html {
  if (d.status === 'done') return html`<span class="badge closed">sent</span> <span class="muted">${d.deliveredAt !== null ? fmtSeconds(d.deliveredAt) : ''}</span>`;
  if (d.attempts === 0) {
    return d.deliverAt > now
      ? html`<span class="badge muted-badge">held</span> <span class="muted">until ${fmtSeconds(d.deliverAt)} (digest)</span>`
      : html`<span class="badge alerted">pending</span>`;
  }
  return html`<span class="badge open">retrying</span> <span class="muted">${d.attempts} attempt${d.attempts === 1 ? '' : 's'}, next ${fmtAgo(iso(d.nextAttemptAt), now)}</span>${d.lastError ? html`<div class="muted">${scrubUrls(d.lastError)}</div>` : ''}`;
}

export function outboxTable(deliveries: Delivery[], now: number): Html {
  if (!deliveries.length) return html`<p class="muted empty">No alert messages yet.</p>`;
  return html`
<table class="list outbox">
<thead><tr><th>Time</th><th>Kind</th><th>Subject</th><th>Recipients</th><th>Channel</th><th>Status</th></tr></thead>
<tbody>${deliveries.map((d) => {
    const m = d.message;
    return html`<tr data-delivery="${d.id}" data-kind="${m.kind}" data-status="${d.status}">
  <td><time datetime="${iso(m.at)}">${fmtSeconds(m.at)}</time></td>
  <td><span class="tag kind-${m.kind}">${m.kind}</span> <span class="muted">${m.severity}</span></td>
  <td><a href="${messageHref(d)}">${d.subject || m.id}</a> <a class="muted" href="${faultHref(m)}">fault</a></td>
  <td class="recipients" data-label="To" title="${m.to.join(', ')}">${list(m.to)}</td>
  <td data-label="Channel"><code>${d.notifier}</code></td>
  <td>${statusCell(d, now)}</td>
</tr>`;
  })}</tbody>
</table>`;
}

export const messageHref = (d: Pick<Delivery, 'id'>): string => `/outbox/${encodeURIComponent(d.id)}`;

/** One delivery: subject, recipients, channel, status, and the plain-text body (escaped, as sent) when stored. */
export function messageView(d: Delivery, now: number): Html {
  const m = d.message;
  return html`
<table class="kv message-head" data-delivery="${d.id}">
<tr><th>Subject</th><td class="subject">${d.subject || m.id}</td></tr>
<tr><th>To</th><td class="recipients">${m.to.join(', ')}</td></tr>
<tr><th>Kind</th><td><span class="tag kind-${m.kind}">${m.kind}</span> <span class="muted">${m.severity}</span></td></tr>
<tr><th>Produced</th><td><time datetime="${iso(m.at)}">${fmtSeconds(m.at)}</time></td></tr>
<tr><th>Channel</th><td><code>${d.notifier}</code></td></tr>
<tr><th>Status</th><td class="status">${statusCell(d, now)}</td></tr>
<tr><th>Fault</th><td><a href="${faultHref(m)}">${m.uid}</a></td></tr>
</table>
<h2>Body</h2>
${m.body !== undefined ? html`<pre class="message-body">${m.body}</pre>`
    : html`<p class="muted empty">This message was stored before bodies were kept: the subject and fault above are what is known of it.</p>`}`;
}
