// A fault's path diagnosis on its page: the finding, then each traceroute (inside the fault scope first) as a row
// of hops, the shared hop marked. Links to the probes page for the jobs that took them.
import type { Diagnosis } from '../../core/diagnosis.js';
import { html, type Html } from '../html.js';

export function diagnosisSection(d: Diagnosis, fmt: (iso: string) => string): Html {
  const paths = [...d.paths].sort((a, b) => (a.side === b.side ? a.host.localeCompare(b.host) : a.side === 'inside' ? -1 : 1));
  const ms = (xs: number[]) => (xs.length ? `${Math.min(...xs).toFixed(1)} ms` : '*');
  return html`<section class="card" id="diagnosis"><h2>Path diagnosis</h2>
<p class="diagnosis-text"><strong>${d.text}</strong></p>
<p class="muted">Traceroutes taken when the fault opened: back ${fmt(d.tracesAt)}, diagnosed ${fmt(d.at)}. Jobs: ${d.jobs.map((j, i) => html`${i ? ', ' : ''}<a href="/probes?job=${encodeURIComponent(j)}">${j}</a>`)}</p>
<table class="grid paths"><thead><tr><th>side</th><th>source</th><th>to</th><th>reached</th><th>hops</th></tr></thead><tbody>
${paths.map((p) => html`<tr><td>${p.side}</td><td>${p.host} <span class="muted">${p.isp}/${p.province}</span></td><td>${p.target}</td><td>${p.reached ? 'yes' : 'no'}</td>
<td>${p.hops.map((h) => html`<span class="hop${d.hop && h.ip === d.hop.ip ? ' hop-shared' : ''}${h.ip ? '' : ' hop-silent'}" title="hop ${h.ttl}">${h.ttl}. ${h.ip ?? '*'} ${ms(h.rtt)}</span> `)}</td></tr>`)}
</tbody></table></section>`;
}
