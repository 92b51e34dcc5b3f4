// The live board in three views (province x ISP, by destination DC, map for one ISP) with a banner naming the open
// root fault, pushed over server-sent events while the page is open. Only complete minutes are drawn.
import { Router } from 'express';
import { Gauge } from 'prom-client';
import { PROVINCES } from '../../core/geo.js';
import type { Access } from '../auth/access.js';
import { identify, requirePageLogin } from '../auth/guards.js';
import type { Catalog } from '../../core/catalog.js';
import { expectedRecords, type ExpectedRecords } from '../../core/expected-records.js';
import { SIGNALS } from '../../core/episode.js';
import { readBaselines } from '../../core/latency-baseline.js';
import { boardView, byCell, cellOf, completeEnd, windowMinutes, type BoardView, type Level } from '../board-view.js';
import { ctxOf, sendPage, type WebDeps } from '../deps.js';
import { faultTree } from '../fault-tree.js';
import { html } from '../html.js';
import { ispsOf } from '../isps.js';
import { LiveHub } from '../live.js';
import { securityHeaders } from '../security.js';
import { tilesOf } from '../tile-map.js';
import { countsHtml, dcMatrix, faultBanner, faultPanel, legend, matrix, tileMap, type DcRow, type LiveFault } from '../views/board.js';
import { faultHref, faultTitle } from '../views/faults.js';
import { fmtDuration, fmtTime, titleCase } from '../views/format.js';
import { page } from '../views/layout.js';
import { drillPage } from './drill.js';

/** What the browser receives on each change: compact per-cell fields keyed like the cells' data-key. */
export interface BoardPayload {
  end: string;
  counts: Record<Level, number>;
  cells: Record<string, { r: string; l: string; lv: Level; ll: Level; rl: Level; s: Level[]; t: string; sl: boolean; pt: boolean }>;
  faults: LiveFault[];
}

export interface Board { router: Router; hub: LiveHub }

export function boardPages(deps: WebDeps, access: Access): Board {
  const cfg = deps.config;
  const router = Router();
  const read = [securityHeaders, identify(access, false), requirePageLogin];
  const stepMs = cfg.minuteSec * 1000;
  const slots = cfg.web.board.minutes;
  // a just-ended minute is drawn once complete, or at the latest when the analyzer's grace for late records is over
  const settleMs = Math.min(cfg.analyzer.graceSec * 1000, stepMs / 2);
  // one cell whose hosts are still posting is held back until the same grace is over, then drawn as partial
  const graceMs = cfg.analyzer.graceSec * 1000;
  const tiles = tilesOf(PROVINCES);
  // latency baselines per group and per DC x isp (core/latency-baseline.ts), read once per drawn minute
  const rules = cfg.analyzer.rules;
  let baselines: { end: number; groups: Map<string, number>; dcs: Map<string, number> } | null = null;
  const baselinesAt = async (end: number) => {
    if (baselines?.end !== end) {
      const [groups, dcs] = await Promise.all([readBaselines(deps.series, end, stepMs, rules), readBaselines(deps.series, end, stepMs, rules, ['vipDc', 'isp'])]);
      baselines = { end, groups, dcs };
    }
    return baselines;
  };

  // records a complete minute holds per cell, by the plan's coverage rule; recomputed when the inventory changes
  let planned: { catalog: Catalog; counts: ExpectedRecords } | null = null;
  const plannedFor = (catalog: Catalog) => {
    if (planned?.catalog !== catalog) planned = { catalog, counts: expectedRecords(catalog, cfg.plan.redundancy) };
    return planned.counts;
  };

  const build = async (): Promise<{ view: BoardView; dcs: DcRow[]; faults: LiveFault[] }> => {
    const now = deps.now();
    const from = now - (slots + 2) * stepMs;
    const catalog = deps.catalog();
    const [aggs, byDc, open] = await Promise.all([
      deps.series.groupAggregates(from, now + stepMs),
      deps.series.buckets({ fromMs: from, toMs: now + stepMs, bucketMs: stepMs, by: ['isp', 'vipDc'] }),
      deps.faults.list({ status: 'open', limit: 200, signals: SIGNALS }),
    ]);
    const isps = ispsOf(catalog);
    const expected = plannedFor(catalog);
    const end = completeEnd(aggs, stepMs, now, settleMs);
    const base = await baselinesAt(end);
    const view = boardView(aggs, { provinces: PROVINCES, isps, slots, stepMs, now, graceMs, thresholds: cfg.web.board, slow: { baselines: base.groups, rules }, planned: expected.groups }, end);
    const minutes = windowMinutes(end, slots, stepMs);
    const dcCells = byCell(byDc.filter((p) => p.minute <= end), (p) => `dc:${p.vipDc}/${p.isp}`);
    const vipCount = new Map<string, number>();
    for (const v of catalog.vips.values()) vipCount.set(v.dc, (vipCount.get(v.dc) ?? 0) + 1);
    const dcs: DcRow[] = [...vipCount.keys()].sort().map((dc) => {
      const d = catalog.dcs.get(dc);
      return {
        dc, label: d ? `${titleCase(d.province)} ${d.isp}` : '', vips: vipCount.get(dc)!,
        cells: isps.map((isp) => cellOf(`dc:${dc}/${isp.id}`, `${dc} from ${isp.name}`, dcCells.get(`dc:${dc}/${isp.id}`), minutes, cfg.web.board,
          { slow: { baselines: base.dcs, rules }, baselineKey: `${dc}/${isp.id}`, timing: { now, stepMs, graceMs }, planned: expected.dcs.get(`${dc}/${isp.id}`) })),
      };
    });
    const faults = faultTree(open).map(({ episode: e, children }): LiveFault => ({
      uid: e.uid, href: faultHref(e), type: e.type, key: e.key, title: faultTitle(e), children: children.length, suppressed: e.suppressed,
      since: `${fmtTime(e.start).slice(11)}, open ${fmtDuration(now - Date.parse(e.start))}`,
      scope: [e.isps.join(' '), e.provinces.length > 3 ? `${e.provinces.length} provinces` : e.provinces.map(titleCase).join(' '),
        e.vips.length ? `${e.vips.length} VIP${e.vips.length === 1 ? '' : 's'}` : '', e.businesses.join(' ')].filter(Boolean).join(' · '),
    }));
    return { view, dcs, faults };
  };

  const payload = async (): Promise<BoardPayload> => {
    const { view, dcs, faults } = await build();
    const cells: BoardPayload['cells'] = {};
    for (const c of [...view.rows.flatMap((r) => r.cells), ...dcs.flatMap((r) => r.cells)]) {
      cells[c.key] = { r: c.rtt, l: c.loss, lv: c.level, ll: c.lossLevel, rl: c.rttLevel, s: c.strip, t: c.title, sl: c.slow, pt: c.partial };
    }
    return { end: fmtTime(new Date(view.minutes.at(-1)!).toISOString()), counts: view.counts, cells, faults };
  };

  const gauge = new Gauge({ name: 'vipwatch_web_live_clients', help: 'browsers watching the live board', registers: [deps.registry] });
  const hub = new LiveHub(payload, cfg.web.board.refreshSec * 1000, deps.log, gauge);

  router.get('/board', ...read, async (req, res) => {
    const { view, dcs, faults } = await build();
    const end = fmtTime(new Date(view.minutes.at(-1)!).toISOString());
    const isps = view.isps;
    sendPage(res, page(ctxOf(req, res), 'Board', html`
<div class="board-head">
  <span>Latest complete minute <strong id="board-end">${end}</strong></span>
  ${countsHtml(view.counts)}
  <span class="live" id="live-state" data-state="connecting">connecting…</span>
</div>
<div class="view-tabs" role="tablist">
  <button type="button" data-view="grid" class="active">Province × ISP</button>
  <button type="button" data-view="dc">By destination DC</button>
  <button type="button" data-view="map">Map</button>
  <span class="map-controls" hidden>
    ISP <select id="map-isp">${isps.map((i) => html`<option value="${i.id}">${i.name}</option>`)}</select>
    colour by <select id="map-metric"><option value="lv">loss and latency</option><option value="ll">loss</option><option value="rl">latency</option></select>
  </span>
</div>
<div class="board">
  <div class="matrix-wrap">
    <section class="board-view" data-view="grid">${matrix(view)}</section>
    <section class="board-view" data-view="dc" hidden>${dcMatrix(isps, dcs)}</section>
    <section class="board-view" data-view="map" hidden>${tileMap(view, tiles)}</section>
  </div>
  <aside class="card side"><h2>Open faults</h2>${faultPanel(faults)}<p><a href="/faults">All faults</a></p></aside>
</div>
${legend(cfg.web.board, slots, cfg.minuteSec, rules)}`, { scripts: ['board.js'], wide: true, banner: faultBanner(faults) }));
  });

  router.get('/board/events', securityHeaders, identify(access, false), requirePageLogin, (req, res) => hub.attach(req, res));
  router.get('/board/drill', ...read, drillPage(deps));

  return { router, hub };
}
