// Fault pages: open and recent faults (roots first, children folded), and one episode by its uid.
import { Router } from 'express';
import type { Access } from '../auth/access.js';
import { identify, requirePageLogin } from '../auth/guards.js';
import type { StoredEpisode } from '../../core/store/faults.js';
import { ctxOf, sendPage, type WebDeps } from '../deps.js';
import { faultTree, withOutboxAlerts, type FaultNode } from '../fault-tree.js';
import { html } from '../html.js';
import { securityHeaders } from '../security.js';
import { episodeDetail, faultList, faultTitle } from '../views/faults.js';
import { messagePage, page } from '../views/layout.js';
import { faultChart, faultChartQuery } from '../fault-chart.js';
import { ispsOf } from '../isps.js';
import { CHART_SCRIPTS, CHART_STYLES, chartBlock } from '../views/chart.js';
import { fmtTimeTz } from '../views/format.js';

/** How many episodes the pages read: enough for a day of a bad incident, small enough to render at once. */
const RECENT = 500;

export function faultPages(deps: WebDeps, access: Access): Router {
  const router = Router();
  const read = [securityHeaders, identify(access, false), requirePageLogin];

  router.get('/faults', ...read, async (req, res) => {
    const now = deps.now();
    const signal = req.query.signal === 'loss' || req.query.signal === 'latency' || req.query.signal === 'cert' ? req.query.signal : undefined;
    const episodes = await deps.faults.list({ status: 'all', limit: RECENT, ...(signal ? { signals: [signal] } : {}) });
    const roots = faultTree(withOutboxAlerts(episodes, await deps.outbox.forEpisodes(episodes.map((e) => e.uid))));
    const open = roots.filter((n) => n.episode.end === null);
    const closed = roots.filter((n) => n.episode.end !== null);
    const count = (ns: FaultNode[]): number => ns.reduce((s, n) => s + 1 + count(n.children), 0);
    sendPage(res, page(ctxOf(req, res), 'Faults', html`
<p class="muted">Root faults first; a root's child faults (explained by it, not alerted on their own) fold under it. Times are UTC.</p>
<p class="signal-filter">Show: ${([[undefined, 'all faults'], ['loss', 'loss (down)'], ['latency', 'latency (slow: above its own baseline)'], ['cert', 'certificate warnings']] as const).map(([s, label]) =>
  s === signal ? html`<strong>${label}</strong> ` : html`<a href="/faults${s ? `?signal=${s}` : ''}">${label}</a> `)}</p>
<h2>Open <span class="count">${open.length} root${open.length === 1 ? '' : 's'}, ${count(open)} in all</span></h2>
${faultList(open, now)}
<h2>Recent <span class="count">${closed.length} closed root${closed.length === 1 ? '' : 's'}</span></h2>
${faultList(closed, now)}`, { wide: true }));
  });

  router.get('/faults/:uid', ...read, async (req, res) => {
    const ctx = ctxOf(req, res);
    const uid = String(req.params.uid);
    const stored = await deps.faults.get(uid);
    if (!stored) return sendPage(res, messagePage(ctx, 'Fault not found', `No fault episode ${uid}.`), 404);
    // Parent and children are found the way the list finds them, among recent episodes plus this one.
    const listed = await deps.faults.list({ status: 'all', limit: RECENT });
    const deliveries = await deps.outbox.forEpisodes([stored.uid, ...listed.map((e) => e.uid)]);
    const [episode, ...around] = withOutboxAlerts([stored, ...listed], deliveries) as [StoredEpisode, ...StoredEpisode[]];
    const all = around.some((e) => e.uid === uid) ? around : [episode, ...around];
    const find = (nodes: FaultNode[], parent: FaultNode | null): { node: FaultNode; parent: FaultNode | null } | null => {
      for (const n of nodes) {
        if (n.episode.uid === uid) return { node: n, parent };
        const hit = find(n.children, n);
        if (hit) return hit;
      }
      return null;
    };
    const hit = find(faultTree(all), null);
    const now = deps.now(), tz = deps.config.web.timeZone;
    const q = faultChartQuery(episode, deps.config.minuteSec * 1000, now);
    const isps = ispsOf(deps.catalog());
    const spec = faultChart(episode, q, await deps.series.buckets(q), (i) => isps.find((x) => x.id === i)?.name ?? i, tz, now);
    const chart = chartBlock(spec, 'median over the affected provinces, band from the best to the worst; loss dashed, right axis');
    const diagnosis = (episode as { diagnosis?: unknown }).diagnosis;
    sendPage(res, page(ctx, faultTitle(episode), episodeDetail(episode, hit?.parent?.episode ?? null, hit?.node.children ?? [], now, !!hit?.parent,
      { chart, fmt: (iso) => fmtTimeTz(iso, tz), diagnosis }), { scripts: CHART_SCRIPTS, styles: CHART_STYLES }));
  });

  return router;
}
