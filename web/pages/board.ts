// The live board: province x ISP matrix and open faults, pushed over server-sent events while the page is open.
import { Router } from 'express';
import { Gauge } from 'prom-client';
import { ISPS, PROVINCES } from '../../core/geo.js';
import type { IspInfo } from '../../core/model.js';
import type { Access } from '../auth/access.js';
import { identify, requirePageLogin } from '../auth/guards.js';
import { boardView, type BoardView, type Level } from '../board-view.js';
import { ctxOf, sendPage, type WebDeps } from '../deps.js';
import { faultTree } from '../fault-tree.js';
import { html } from '../html.js';
import { LiveHub } from '../live.js';
import { securityHeaders } from '../security.js';
import { faultPanel, legend, matrix, type LiveFault } from '../views/board.js';
import { faultHref } from '../views/faults.js';
import { fmtDuration, fmtTime } from '../views/format.js';
import { page } from '../views/layout.js';

/** What the browser receives on each change: compact per-cell fields keyed by "province/isp". */
export interface BoardPayload {
  end: string;
  counts: Record<Level, number>;
  cells: Record<string, { r: string; l: string; lv: Level; s: Level[]; t: string }>;
  faults: LiveFault[];
}

export interface Board { router: Router; hub: LiveHub }

export function boardPages(deps: WebDeps, access: Access): Board {
  const cfg = deps.config;
  const router = Router();
  const read = [securityHeaders, identify(access, false), requirePageLogin];
  const stepMs = cfg.minuteSec * 1000;
  const slots = cfg.web.board.minutes;

  const isps = (): IspInfo[] => {
    const extra = deps.catalog().inventory.isps.filter((i) => !ISPS.some((b) => b.id === i.id));
    return [...ISPS, ...extra];
  };

  const build = async (): Promise<{ view: BoardView; faults: LiveFault[] }> => {
    const now = deps.now();
    const [aggs, open] = await Promise.all([
      deps.series.groupAggregates(now - (slots + 1) * stepMs, now + stepMs),
      deps.faults.list({ status: 'open', limit: 200 }),
    ]);
    const view = boardView(aggs, { provinces: PROVINCES, isps: isps(), slots, stepMs, now, thresholds: cfg.web.board });
    const faults = faultTree(open).map(({ episode: e, children }) => ({
      uid: e.uid, href: faultHref(e), type: e.type, key: e.key, since: `${fmtTime(e.start).slice(11)} (${fmtDuration(now - Date.parse(e.start))})`, children: children.length, suppressed: e.suppressed,
      scope: [e.isps.join(' '), e.provinces.length > 3 ? `${e.provinces.length} provinces` : e.provinces.join(' '),
        e.vips.length ? `${e.vips.length} VIP${e.vips.length === 1 ? '' : 's'}` : '', e.businesses.join(' ')].filter(Boolean).join(' · '),
    }));
    return { view, faults };
  };

  const payload = async (): Promise<BoardPayload> => {
    const { view, faults } = await build();
    const cells: BoardPayload['cells'] = {};
    for (const row of view.rows) for (const c of row.cells) cells[c.key] = { r: c.rtt, l: c.loss, lv: c.level, s: c.strip, t: c.title };
    return { end: fmtTime(new Date(view.minutes.at(-1)!).toISOString()), counts: view.counts, cells, faults };
  };

  const gauge = new Gauge({ name: 'vipwatch_web_live_clients', help: 'browsers watching the live board', registers: [deps.registry] });
  const hub = new LiveHub(payload, cfg.web.board.refreshSec * 1000, deps.log, gauge);

  router.get('/board', ...read, async (req, res) => {
    const { view, faults } = await build();
    const end = fmtTime(new Date(view.minutes.at(-1)!).toISOString());
    sendPage(res, page(ctxOf(req, res), 'Board', html`
<div class="board-head">
  <span>Minute <strong id="board-end">${end}</strong></span>
  <span class="counts" id="board-counts">${(['bad', 'warn', 'ok', 'none'] as const).map((l) => html`<span class="count-${l}"><i class="lv-${l}"></i> <b data-level="${l}">${view.counts[l]}</b></span>`)}</span>
  <span class="live" id="live-state" data-state="connecting">connecting…</span>
</div>
<div class="board">
  <div class="matrix-wrap">${matrix(view)}</div>
  <aside class="card side"><h2>Open faults</h2>${faultPanel(faults)}<p><a href="/faults">All faults</a></p></aside>
</div>
${legend(cfg.web.board, slots, cfg.minuteSec)}`, { scripts: ['board.js'], wide: true }));
  });

  router.get('/board/events', securityHeaders, identify(access, false), requirePageLogin, (req, res) => hub.attach(req, res));

  return { router, hub };
}
