// VIP pages: the inventory's VIPs with a filter, and one VIP's latency and loss by province and ISP.
import { Router } from 'express';
import type { Access } from '../auth/access.js';
import { identify, requirePageLogin } from '../auth/guards.js';
import { levelOf } from '../board-view.js';
import { ctxOf, sendPage, type WebDeps } from '../deps.js';
import { html } from '../html.js';
import { securityHeaders } from '../security.js';
import { faultHref, faultTitle } from '../views/faults.js';
import { fmtMs, fmtPct, fmtTime, titleCase } from '../views/format.js';
import { page } from '../views/layout.js';
import { vipRows } from '../vip-view.js';

const WINDOWS = [15, 60, 360, 1440];

export function vipPages(deps: WebDeps, access: Access): Router {
  const router = Router();
  const read = [securityHeaders, identify(access, false), requirePageLogin];
  const th = deps.config.web.board;

  router.get('/vips', ...read, (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    const catalog = deps.catalog();
    if (catalog.vips.has(q)) return res.redirect(303, `/vips/${encodeURIComponent(q)}`);
    const needle = q.toLowerCase();
    const vips = [...catalog.vips.values()].filter((v) => !needle || `${v.ip} ${v.dc} ${v.business}`.toLowerCase().includes(needle));
    sendPage(res, page(ctxOf(req, res), 'VIPs', html`
<form method="get" action="/vips" class="search"><input name="q" value="${q}" placeholder="filter by address, DC or business" aria-label="filter"><button type="submit">Filter</button></form>
<p class="muted">${vips.length} of ${catalog.vips.size} VIPs</p>
<table class="list"><thead><tr><th>VIP</th><th>DC</th><th>Business</th><th>Methods</th></tr></thead><tbody>
${vips.slice(0, 2000).map((v) => html`<tr><td><a href="/vips/${encodeURIComponent(v.ip)}">${v.ip}</a></td><td>${v.dc}</td><td>${v.business}</td>
<td>icmp${v.port !== undefined ? ` · tcp ${v.port}` : ''}${v.url ? ' · http' : ''}</td></tr>`)}
</tbody></table>`));
  });

  router.get('/vips/:vip', ...read, async (req, res) => {
    const ip = String(req.params.vip);
    const catalog = deps.catalog();
    const vip = catalog.vips.get(ip);
    const minutes = WINDOWS.includes(Number(req.query.minutes)) ? Number(req.query.minutes) : 60;
    const now = deps.now();
    const stepMs = deps.config.minuteSec * 1000;
    const [points, faults] = await Promise.all([
      deps.series.vipSeries(ip, now - minutes * stepMs, now + stepMs),
      deps.faults.list({ status: 'all', limit: 500 }),
    ]);
    const rows = vipRows(points);
    const mine = faults.filter((f) => f.vips.includes(ip) || f.key === ip).slice(0, 20);
    const dc = vip ? catalog.dcs.get(vip.dc) : undefined;
    sendPage(res, page(ctxOf(req, res), `VIP ${ip}`, html`
<p>${vip ? html`DC <strong>${vip.dc}</strong>${dc ? ` (${titleCase(dc.province)}, ${dc.isp})` : ''} · business <strong>${vip.business}</strong>` : html`<span class="notice bad">not in the current inventory</span>`}</p>
<p class="windows">Window: ${WINDOWS.map((w) => html`<a href="?minutes=${w}" class="${w === minutes ? 'active' : ''}">${w < 60 ? `${w} min` : `${w / 60} h`}</a>`)}</p>
${rows.length ? html`<table class="list figures"><thead><tr><th>Province</th><th>ISP</th><th>Latency min</th><th>avg</th><th>max</th><th>Loss avg</th><th>Loss max</th><th>Minutes</th></tr></thead><tbody>
${rows.map((r) => html`<tr class="lv-row-${levelOf(r.rttAvg, r.lossAvg, th)}"><td>${titleCase(r.province)}</td><td>${r.isp}</td>
<td>${fmtMs(r.rttMin)}</td><td>${fmtMs(r.rttAvg)}</td><td>${fmtMs(r.rttMax)}</td><td class="lv-${levelOf(null, r.lossAvg, th)}">${fmtPct(r.lossAvg)}</td><td>${fmtPct(r.lossMax)}</td><td>${r.minutes}</td></tr>`)}
</tbody></table>` : html`<p class="muted">No measurements of this VIP in the window.</p>`}
<h2>Faults involving this VIP</h2>
${mine.length ? html`<ul class="plain">${mine.map((f) => html`<li><a href="${faultHref(f)}">${faultTitle(f)}</a> ${fmtTime(f.start)} ${f.end ? html`– ${fmtTime(f.end)}` : html`<span class="badge open">open</span>`}</li>`)}</ul>` : html`<p class="muted">None recently.</p>`}`));
  });

  return router;
}
