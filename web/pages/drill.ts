// A board cell opened: one province x ISP group against the VIPs it probes (median per destination DC with the
// band of its VIPs), or one destination DC x source ISP against the provinces; then the worst first in a table.
import type { Request, Response } from 'express';
import { PROVINCE_IDS } from '../../core/geo.js';
import type { BucketPoint } from '../../core/store/series.js';
import { bucketStarts, spread, spreadChart } from '../chart-data.js';
import { ctxOf, sendPage, type WebDeps } from '../deps.js';
import { html } from '../html.js';
import { ispsOf } from '../isps.js';
import { CHART_SCRIPTS, CHART_STYLES, chartBlock } from '../views/chart.js';
import { fmtMs, fmtPct, titleCase } from '../views/format.js';
import { messagePage, page } from '../views/layout.js';
import { WINDOWS } from './vips.js';

interface Worst { key: string; loss: number; lossMax: number; rtt: number | null }

/** Mean loss, worst minute and mean latency per key over the window, worst first. */
function worstFirst(points: BucketPoint[], keyOf: (p: BucketPoint) => string): Worst[] {
  const acc = new Map<string, { l: number[]; r: number[] }>();
  for (const p of points) {
    const k = keyOf(p);
    let a = acc.get(k);
    if (!a) acc.set(k, (a = { l: [], r: [] }));
    a.l.push(p.lossPct);
    if (p.rttAvg !== null) a.r.push(p.rttAvg);
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return [...acc].map(([key, a]) => ({ key, loss: mean(a.l), lossMax: Math.max(...a.l), rtt: a.r.length ? mean(a.r) : null }))
    .sort((a, b) => b.loss - a.loss || (b.rtt ?? 0) - (a.rtt ?? 0) || a.key.localeCompare(b.key));
}

export const drillPage = (deps: WebDeps) => async (req: Request, res: Response): Promise<void> => {
  const ctx = ctxOf(req, res);
  const catalog = deps.catalog();
  const q = (k: string) => (typeof req.query[k] === 'string' ? (req.query[k] as string) : '');
  const isp = ispsOf(catalog).find((i) => i.id === q('isp'));
  const province = q('province'), dc = q('dc');
  const byGroup = PROVINCE_IDS.has(province);
  if (!isp || (!byGroup && !catalog.dcs.has(dc))) {
    return sendPage(res, messagePage(ctx, 'Nothing to show', `Expected ?province=…&isp=… or ?dc=…&isp=… with a known province, DC and ISP (got ${JSON.stringify(req.query)}).`), 400);
  }
  const stepMs = deps.config.minuteSec * 1000;
  const [minutes, steps] = WINDOWS.slice(0, 4).find(([w]) => w === Number(req.query.minutes)) ?? WINDOWS[1]!;
  const end = Math.floor(deps.now() / stepMs) * stepMs, from = end - minutes * stepMs, bucketMs = steps * stepMs;
  const starts = bucketStarts(from, end, bucketMs);
  const tz = deps.config.web.timeZone;
  const points = await deps.series.buckets(byGroup
    ? { fromMs: from, toMs: end, bucketMs, by: ['vipDc', 'vip'], where: { province, isp: isp.id } }
    : { fromMs: from, toMs: end, bucketMs, by: ['province'], where: { vipDc: dc, isp: isp.id } });
  const title = byGroup ? `${titleCase(province)} × ${isp.name}` : `${dc} from ${isp.name}`;
  const spec = byGroup
    ? spreadChart('drill', `${title}: latency and loss to each destination DC`, spread(points, starts, (p) => p.vipDc!), starts, (k) => k, tz)
    : spreadChart('drill', `${title}: latency and loss over the provinces`, spread(points, starts, () => isp.id), starts, () => isp.name, tz);
  const worst = worstFirst(points, byGroup ? (p) => p.vip! : (p) => p.province!);
  const vipDc = (ip: string) => catalog.vips.get(ip)?.dc ?? '';
  const label = (w: number) => (w < 60 ? `${w} min` : w === 1440 ? '24 h' : `${w / 60} h`);
  sendPage(res, page(ctx, title, html`
<p><a href="/board">← Board</a> · ${byGroup ? html`source hosts in ${titleCase(province)} on ${isp.name}, towards every VIP they probe` : html`VIPs of ${dc}, probed from ${isp.name} hosts in every province`}</p>
<p class="windows">Window: ${WINDOWS.slice(0, 4).map(([w]) => html`<a href="?${new URLSearchParams({ ...(byGroup ? { province } : { dc }), isp: isp.id, minutes: String(w) }).toString()}" class="${w === minutes ? 'active' : ''}">${label(w)}</a>`)}</p>
${chartBlock(spec, byGroup ? 'median over the DC\'s VIPs, band from the best to the worst VIP; loss dashed, right axis' : 'median over provinces, band from the fastest to the slowest; loss dashed, right axis')}
<h2>${byGroup ? 'VIPs' : 'Provinces'}, worst first <span class="count">over the window</span></h2>
<table class="list drill"><thead><tr><th>${byGroup ? 'VIP' : 'Province'}</th>${byGroup ? html`<th>DC</th>` : ''}<th>Loss avg</th><th>Loss worst minute</th><th>Latency avg</th></tr></thead><tbody>
${worst.map((w) => html`<tr><td>${byGroup ? html`<a href="/vips/${encodeURIComponent(w.key)}">${w.key}</a>` : html`<a href="/board/drill?province=${w.key}&amp;isp=${isp.id}">${titleCase(w.key)}</a>`}</td>
${byGroup ? html`<td>${vipDc(w.key)}</td>` : ''}<td>${fmtPct(w.loss)}</td><td>${fmtPct(w.lossMax)}</td><td>${fmtMs(w.rtt)}</td></tr>`)}
</tbody></table>`, { scripts: CHART_SCRIPTS, styles: CHART_STYLES, wide: true }));
};
