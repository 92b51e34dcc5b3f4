// VIP pages: the inventory's VIPs with their health, and one VIP's summary, latency-and-loss chart per ISP over a
// window (15 min ... 7 d) and its per-province table.
import { Router } from 'express';
import { signalOf } from '../../core/episode.js';
import type { StoredEpisode } from '../../core/store/faults.js';
import type { Access } from '../auth/access.js';
import { identify, requirePageLogin } from '../auth/guards.js';
import { bucketStarts, spread, spreadChart, type ChartSpec } from '../chart-data.js';
import { ctxOf, sendPage, type WebDeps } from '../deps.js';
import { html } from '../html.js';
import { securityHeaders } from '../security.js';
import { openFaultsOf, latestByVip, vipHealth } from '../vip-health.js';
import { vipRows } from '../vip-view.js';
import { CHART_SCRIPTS, CHART_STYLES, chartBlock } from '../views/chart.js';
import { fmtDuration, fmtTimeTz, titleCase } from '../views/format.js';
import { page } from '../views/layout.js';
import { figuresTable, vipFaults, vipList, vipSummary, type IspNow } from '../views/vips.js';
import { ispsOf } from '../isps.js';
import { httpSection } from '../views/http-checks.js';

/** Window length in minutes -> bucket length in minutes (at most a few hundred points per line; 7 d = hourly rollup). */
export const WINDOWS: ReadonlyArray<[number, number]> = [[15, 1], [60, 1], [360, 2], [1440, 5], [10080, 60]];

const isoOf = (ms: number): string => new Date(ms).toISOString();

/** Shaded spans for the episodes that overlap the window; marks nothing else. */
const spansOf = (eps: StoredEpisode[], now: number) => eps.map((e) => ({
  from: Date.parse(e.start) / 1000, to: (e.end === null ? now : Date.parse(e.end)) / 1000, label: `${e.type} ${e.key}`,
}));

export function vipPages(deps: WebDeps, access: Access): Router {
  const router = Router();
  const read = [securityHeaders, identify(access, false), requirePageLogin];
  const th = deps.config.web.board;
  const tz = deps.config.web.timeZone;
  const stepMs = deps.config.minuteSec * 1000;

  router.get('/vips', ...read, async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    const catalog = deps.catalog();
    if (catalog.vips.has(q)) return res.redirect(303, `/vips/${encodeURIComponent(q)}`);
    const needle = q.toLowerCase();
    const vips = [...catalog.vips.values()].filter((v) => !needle || `${v.ip} ${v.dc} ${v.business}`.toLowerCase().includes(needle)).slice(0, 2000);
    const end = Math.floor(deps.now() / stepMs) * stepMs;
    const [points, open] = await Promise.all([
      deps.series.buckets({ fromMs: end - 3 * stepMs, toMs: end, bucketMs: stepMs, by: ['vip'] }),
      deps.faults.list({ status: 'open', limit: 1000 }),
    ]);
    const latest = latestByVip(points);
    const rows = vips.map((vip) => ({ vip, health: vipHealth(latest.get(vip.ip), openFaultsOf(vip.ip, open), th) }));
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.health.status, (counts.get(r.health.status) ?? 0) + 1);
    sendPage(res, page(ctxOf(req, res), 'VIPs', html`
<form method="get" action="/vips" class="search"><input name="q" value="${q}" placeholder="filter by address, DC or business" aria-label="filter"><button type="submit">Filter</button></form>
<p class="muted">${vips.length} of ${catalog.vips.size} VIPs · ${[...counts].map(([s, n]) => `${n} ${s}`).join(' · ')} · status from the latest complete minute (loss ≥ ${th.lossWarnPct}% lossy, latency ≥ ${th.rttWarnMs} ms slow) and open faults</p>
${vipList(rows)}`));
  });

  router.get('/vips/:vip', ...read, async (req, res) => {
    const ip = String(req.params.vip);
    const catalog = deps.catalog();
    const vip = catalog.vips.get(ip);
    const [minutes, bucketSteps] = WINDOWS.find(([w]) => w === Number(req.query.minutes)) ?? WINDOWS[1]!;
    const now = deps.now();
    const bucketMs = bucketSteps * stepMs;
    const end = Math.floor(now / stepMs) * stepMs;
    const from = end - minutes * stepMs;
    const [points, faults, checks] = await Promise.all([
      deps.series.buckets({ fromMs: from, toMs: end, bucketMs, by: ['province', 'isp'], where: { vip: ip } }),
      deps.faults.list({ status: 'all', limit: 500 }),
      vip?.url ? deps.series.httpChecks(ip, from, end, 500) : Promise.resolve([]),
    ]);
    const mine = faults.filter((f) => f.vips.includes(ip) || f.key === ip);
    const isps = ispsOf(catalog);
    const name = (id: string) => isps.find((i) => i.id === id)?.name ?? id;
    const starts = bucketStarts(from, end, bucketMs);
    const rows = spread(points, starts, (p) => p.isp!);
    const spec: ChartSpec = spreadChart('vip', `Latency and loss per ISP`, rows, starts, name, tz, isps.map((i) => i.id));
    const inWindow = mine.filter((e) => Date.parse(e.start) < end && (e.end === null || Date.parse(e.end) >= from));
    spec.spans = spansOf(inWindow, now);
    const slow = inWindow.filter((e) => signalOf(e) === 'latency');
    if (slow.length) {
      // The baseline a latency fault is judged against: the median latency before the earliest such fault began.
      const before = Math.min(...slow.map((e) => Date.parse(e.start)));
      const pre = points.filter((p) => p.minute < before && p.rttAvg !== null).map((p) => p.rttAvg!).sort((a, b) => a - b);
      if (pre.length) spec.baselines.push({ value: pre[Math.floor(pre.length / 2)]!, label: 'baseline (median before the latency fault)' });
    }
    // Latest complete bucket per ISP for the summary; the health of the last minute.
    const ispNow: IspNow[] = isps.filter((i) => rows.has(i.id)).map((i) => {
      const r = [...rows.get(i.id)!].reverse().find((x) => x.provinces > 0);
      return { isp: i.id, name: i.name, loss: r?.loss ?? null, rtt: r?.median ?? null, provinces: r?.provinces ?? 0 };
    });
    const lastMinute = points.reduce((m, p) => Math.max(m, p.minute), 0);
    const last = points.filter((p) => p.minute === lastMinute);
    const agg = last.length ? {
      minute: lastMinute, lossPct: last.reduce((s, p) => s + p.lossPct, 0) / last.length,
      rttMin: null, rttMax: null, rttAvg: last.some((p) => p.rttAvg !== null) ? last.filter((p) => p.rttAvg !== null).reduce((s, p) => s + p.rttAvg!, 0) / last.filter((p) => p.rttAvg !== null).length : null,
    } : undefined;
    const health = vipHealth(agg, openFaultsOf(ip, mine), th);
    const table = vipRows(points.map((p) => ({ ...p, province: p.province!, isp: p.isp! })));
    const dc = vip ? catalog.dcs.get(vip.dc) : undefined;
    const label = (w: number) => (w < 60 ? `${w} min` : w < 1440 ? `${w / 60} h` : w === 1440 ? '24 h' : `${w / 1440} d`);
    sendPage(res, page(ctxOf(req, res), `VIP ${ip}`, html`
<p>${vip ? html`DC <strong>${vip.dc}</strong>${dc ? ` (${titleCase(dc.province)}, ${dc.isp})` : ''} · business <strong>${vip.business}</strong>` : html`<span class="notice bad">not in the current inventory</span>`}</p>
${vipSummary(health, ispNow, lastMinute ? fmtTimeTz(isoOf(lastMinute), tz) : '–')}
<p class="windows">Window: ${WINDOWS.map(([w]) => html`<a href="?minutes=${w}" class="${w === minutes ? 'active' : ''}">${label(w)}</a>`)}
<span class="muted">· one point per ${fmtDuration(bucketMs)}${bucketMs % 3_600_000 === 0 ? ' (hourly rollup)' : ''}</span></p>
${chartBlock(spec, `median over provinces, band from the fastest to the slowest province; loss dashed, right axis; faults shaded`)}
${figuresTable(table, th, bucketSteps === 1 ? 'Minutes' : 'Points')}
${httpSection(vip, checks, deps.config.analyzer.certWarnDays)}
<h2>Faults involving this VIP</h2>
${vipFaults(mine.slice(0, 20))}`, { scripts: CHART_SCRIPTS, styles: CHART_STYLES }));
  });

  return router;
}
