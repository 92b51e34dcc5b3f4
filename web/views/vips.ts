// VIP screens: the list with a health column, and one VIP's summary, chart and per-province table.
import type { Vip } from '../../core/model.js';
import type { StoredEpisode } from '../../core/store/faults.js';
import { levelOf, type Thresholds } from '../board-view.js';
import { html, type Html } from '../html.js';
import type { VipHealth } from '../vip-health.js';
import type { VipRow } from '../vip-view.js';
import { faultHref, faultTitle } from './faults.js';
import { fmtMs, fmtPct, fmtTime, titleCase } from './format.js';

const STATUS_CLASS: Record<VipHealth['status'], string> = { 'in fault': 'bad', lossy: 'warn', slow: 'warn', ok: 'ok', 'no data': 'none' };

export const statusBadge = (h: VipHealth): Html => html`<span class="status status-${STATUS_CLASS[h.status]}" data-status="${h.status}">${h.status}</span>`;

export function vipList(vips: Array<{ vip: Vip; health: VipHealth }>): Html {
  return html`<table class="list vips"><thead><tr><th>VIP</th><th>Status</th><th>Loss</th><th>Latency</th><th>DC</th><th>Business</th><th>Methods</th></tr></thead><tbody>
${vips.map(({ vip: v, health: h }) => html`<tr data-vip="${v.ip}"><td><a href="/vips/${encodeURIComponent(v.ip)}">${v.ip}</a></td>
<td>${statusBadge(h)}${h.faults.length ? html` <a href="${faultHref(h.faults[0]!)}">${faultTitle(h.faults[0]!)}</a>` : ''}</td>
<td>${fmtPct(h.lossPct)}</td><td>${fmtMs(h.rttAvg)}</td><td>${v.dc}</td><td>${v.business}</td>
<td>icmp${v.port !== undefined ? ` · tcp ${v.port}` : ''}${v.url ? ' · http' : ''}</td></tr>`)}
</tbody></table>`;
}

export interface IspNow { isp: string; name: string; loss: number | null; rtt: number | null; provinces: number }

/** The first thing on a VIP page: status, the latest complete minute per ISP, and open faults. */
export function vipSummary(h: VipHealth, isps: IspNow[], minute: string): Html {
  return html`<section class="card summary-card" id="vip-summary">
<div class="summary-status">${statusBadge(h)} <span class="muted">latest complete minute ${minute}</span></div>
<div class="isp-now">${isps.map((i) => html`<div class="isp-fig"><span class="isp-name">${i.name}</span>
  <span><b>${fmtPct(i.loss)}</b> loss</span> <span><b>${fmtMs(i.rtt)}</b> median latency</span> <span class="muted">${i.provinces} province${i.provinces === 1 ? '' : 's'}</span></div>`)}</div>
${h.faults.length ? html`<p class="notice bad">In ${h.faults.length === 1 ? 'an open fault' : `${h.faults.length} open faults`}: ${h.faults.map((f, i) => html`${i ? ', ' : ''}<a href="${faultHref(f)}">${faultTitle(f)}</a> since ${fmtTime(f.start)}`)}</p>` : ''}
</section>`;
}

export function figuresTable(rows: VipRow[], th: Thresholds, bucketLabel: string): Html {
  if (!rows.length) return html`<p class="muted">No measurements of this VIP in the window.</p>`;
  return html`<details class="figures-box"><summary>By province and ISP (${rows.length} groups, worst first)</summary>
<table class="list figures"><thead><tr><th>Province</th><th>ISP</th><th>Latency min</th><th>avg</th><th>max</th><th>Loss avg</th><th>Loss max</th><th>${bucketLabel}</th></tr></thead><tbody>
${rows.map((r) => html`<tr class="lv-row-${levelOf(r.rttAvg, r.lossAvg, th)}"><td>${titleCase(r.province)}</td><td>${r.isp}</td>
<td>${fmtMs(r.rttMin)}</td><td>${fmtMs(r.rttAvg)}</td><td>${fmtMs(r.rttMax)}</td><td class="lv-${levelOf(null, r.lossAvg, th)}">${fmtPct(r.lossAvg)}</td><td>${fmtPct(r.lossMax)}</td><td>${r.minutes}</td></tr>`)}
</tbody></table></details>`;
}

export function vipFaults(mine: StoredEpisode[]): Html {
  return mine.length
    ? html`<ul class="plain">${mine.map((f) => html`<li><a href="${faultHref(f)}">${faultTitle(f)}</a> ${fmtTime(f.start)} ${f.end ? html`– ${fmtTime(f.end)}` : html`<span class="badge open">open</span>`}</li>`)}</ul>`
    : html`<p class="muted">None recently.</p>`;
}
