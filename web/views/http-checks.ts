// A VIP page's HTTP section: the latest L7 check per source host (status, phase times, body pattern misses,
// certificate days left), from the records' http fields (agent/probes/http.ts). Pure.
import type { Vip } from '../../core/model.js';
import type { HttpCheck } from '../../core/store/series.js';
import { html, type Html } from '../html.js';
import { fmtMs, fmtTime, titleCase } from './format.js';

const days = (d: number | undefined): string => (d === undefined ? '–' : `${d.toFixed(1)} d`);

/** The newest check of each host (checks come newest first), at most `max` hosts. */
export function latestPerHost(checks: HttpCheck[], max = 50): HttpCheck[] {
  const seen = new Map<string, HttpCheck>();
  for (const c of checks) if (!seen.has(c.host) && seen.size < max) seen.set(c.host, c);
  return [...seen.values()];
}

export function httpSection(vip: Vip | undefined, checks: HttpCheck[], certWarnDays: number): Html {
  if (!vip?.url && !checks.length) return html``;
  const latest = latestPerHost(checks);
  const certs = latest.map((c) => c.certDaysLeft).filter((d): d is number => d !== undefined);
  const fewest = certs.length ? Math.min(...certs) : undefined;
  const expect = vip?.expectStatus?.join(', ') ?? '2xx, 3xx';
  return html`<section class="card" id="vip-http"><h2>HTTP check</h2>
<p>${vip?.url ? html`<code>${vip.url}</code> · success: status ${expect}${vip.bodyPattern ? html` and body matching <code>${vip.bodyPattern}</code>` : ''}` : ''}
${fewest !== undefined ? html` · certificate <span class="${fewest < certWarnDays ? 'notice bad' : ''}" data-cert-days="${fewest.toFixed(2)}">${days(fewest)} left</span>` : ''}</p>
${latest.length ? html`<table class="list http-checks"><thead><tr><th>Host</th><th>Province</th><th>ISP</th><th>Minute</th><th>OK</th><th>Status</th>
<th>DNS</th><th>Connect</th><th>TLS</th><th>First byte</th><th>Total</th><th>Body misses</th><th>Cert</th></tr></thead><tbody>
${latest.map((c) => html`<tr data-host="${c.host}"><td>${c.host}</td><td>${titleCase(c.province)}</td><td>${c.isp}</td><td>${fmtTime(c.ts)}</td>
<td>${c.recv}/${c.sent}</td><td data-status="${c.httpStatus ?? ''}">${c.httpStatus ?? '–'}</td><td>${fmtMs(c.httpDnsMs)}</td><td>${fmtMs(c.httpConnectMs)}</td>
<td>${fmtMs(c.httpTlsMs)}</td><td>${fmtMs(c.httpFirstByteMs)}</td><td>${fmtMs(c.httpTotalMs)}</td><td>${c.httpBodyMismatch ?? 0}</td><td>${days(c.certDaysLeft)}</td></tr>`)}
</tbody></table>
<p class="muted">The latest check per source host in the window; times are from the start of the request (as curl's), means over the minute's responses.</p>`
    : html`<p class="muted">No HTTP checks of this VIP in the window.</p>`}
</section>`;
}
