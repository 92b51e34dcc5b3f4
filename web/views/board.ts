// The board: the province x ISP matrix (same cell model as the live updates) and the open-fault panel.
import type { BoardCell, BoardView, Thresholds } from '../board-view.js';
import { html, type Html } from '../html.js';

/** An open root fault as the board's side panel shows it. */
export interface LiveFault { uid: string; href: string; type: string; key: string; title: string; since: string; scope: string; children: number; suppressed: boolean }

export const cellHtml = (c: BoardCell, href: string): Html => html`<td class="cell lv-${c.level}${c.slow ? ' slow' : ''}${c.partial ? ' partial' : ''}" data-key="${c.key}" data-href="${href}" title="${c.title}">
<div class="vals"><span class="rtt">${c.rtt}</span><span class="loss">${c.loss}</span></div>
<div class="strip">${c.strip.map((l) => html`<i class="lv-${l}"></i>`)}</div></td>`;

export function matrix(view: BoardView): Html {
  return html`<table class="matrix">
<thead><tr><th class="corner">Province \\ ISP</th>${view.isps.map((i) => html`<th title="${i.zh ?? ''}">${i.name} <span class="muted">${i.id}</span></th>`)}</tr></thead>
<tbody>${view.rows.map((r) => html`<tr><th title="${r.zh}">${r.name}</th>${r.cells.map((c) => cellHtml(c, drillHref({ province: r.province, isp: c.key.split('/')[1]! })))}</tr>`)}</tbody></table>`;
}

/** The drill-down page of one cell: a province x ISP group against its VIPs, or a DC x ISP against provinces. */
export const drillHref = (q: { province?: string; dc?: string; isp: string }): string =>
  `/board/drill?${new URLSearchParams(Object.entries(q) as Array<[string, string]>).toString()}`;

export interface DcRow { dc: string; label: string; vips: number; cells: BoardCell[] }

/** Rows are destination DCs, columns the source ISPs: a DC outage is one red row. */
export function dcMatrix(isps: BoardView['isps'], rows: DcRow[]): Html {
  return html`<table class="matrix dc-matrix">
<thead><tr><th class="corner">Destination DC \\ source ISP</th>${isps.map((i) => html`<th title="${i.zh ?? ''}">${i.name} <span class="muted">${i.id}</span></th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr data-dc="${r.dc}"><th>${r.dc} <span class="muted">${r.label} · ${r.vips} VIPs</span></th>${r.cells.map((c, i) => cellHtml(c, drillHref({ dc: r.dc, isp: isps[i]!.id })))}</tr>`)}</tbody></table>`;
}

/** Provinces as tiles placed roughly by geography, coloured for one ISP (board.js switches ISP and metric). */
export function tileMap(view: BoardView, tiles: Map<string, [number, number]>): Html {
  return html`<div class="tile-map" id="tile-map">${view.rows.map((r) => {
    const [c, row] = tiles.get(r.province)!;
    return view.isps.map((isp, i) => {
      const cell = r.cells[i]!;
      return html`<a class="tile lv-${cell.level}${cell.slow ? ' slow' : ''}${cell.partial ? ' partial' : ''} tc-${c + 1} tr-${row + 1}" data-key="${cell.key}" data-isp="${isp.id}"
 data-lv="${cell.level}" data-ll="${cell.lossLevel}" data-rl="${cell.rttLevel}" data-sl="${cell.slow ? '1' : '0'}" data-pt="${cell.partial ? '1' : '0'}"
 ${i ? html`hidden` : ''} href="${drillHref({ province: r.province, isp: isp.id })}" title="${cell.title}">
<span class="pname">${r.name}</span><span class="vals"><span class="rtt">${cell.rtt}</span><span class="loss">${cell.loss}</span></span></a>`;
    });
  })}</div>`;
}

/** Labelled counts of cells by level, in the board's header. */
export const countsHtml = (counts: BoardView['counts']): Html => html`<span class="counts" id="board-counts">${([['bad', 'bad'], ['warn', 'warning'], ['ok', 'ok'], ['none', 'no data or partial']] as const).map(([l, label]) =>
  html`<span class="count-${l}" title="cells whose latest minute is ${label}"><i class="lv-${l}"></i> <b data-level="${l}">${counts[l]}</b> ${label}</span>`)} <span class="muted">cells</span></span>`;

/** The banner over every board view while a root fault is open: what it is and a link to it. */
export function faultBanner(faults: LiveFault[]): Html {
  const f = faults.find((x) => !x.suppressed);
  return html`<div class="fault-banner" id="fault-banner" ${f ? '' : html`hidden`}>${f ? bannerText(f) : ''}</div>`;
}

const bannerText = (f: LiveFault): Html => html`Open root fault: <a href="${f.href}">${f.title}</a> <span class="muted">since ${f.since}${f.children ? ` · ${f.children} child fault${f.children === 1 ? '' : 's'} folded under it` : ''} · ${f.scope}</span>`;

export function faultPanel(faults: LiveFault[]): Html {
  return html`<ul class="live-faults" id="live-faults">${faults.length ? faults.map((f) => html`<li class="${f.suppressed ? 'is-suppressed' : ''}">
<a href="${f.href}"><span class="type type-${f.type}">${f.type}</span> ${f.key}</a>
<span class="muted">since ${f.since}${f.children ? ` · ${f.children} child${f.children === 1 ? '' : 'ren'}` : ''}${f.suppressed ? ' · suppressed' : ''}</span>
<div class="scope-text">${f.scope}</div></li>`) : html`<li class="none muted">No open faults.</li>`}</ul>`;
}

/** What "slow" means on the board: above the cell's own baseline, not above a fixed number. */
export interface SlowLegend { baselineMinutes: number; latencyRatio: number; latencyMinDeltaMs: number }

export const legend = (t: Thresholds, minutes: number, minuteSec: number, slow?: SlowLegend): Html => html`<div class="legend">
${slow ? html`<span class="legend-slow"><i class="lv-ok slow"></i> slow: latency above the cell's own baseline (the median of its last ${slow.baselineMinutes} minutes) by more than x${slow.latencyRatio} and +${slow.latencyMinDeltaMs} ms; not a fixed number</span>` : ''}
<span><i class="lv-ok"></i> loss &lt; ${t.lossWarnPct}% and latency &lt; ${t.rttWarnMs} ms</span>
<span><i class="lv-warn"></i> loss ≥ ${t.lossWarnPct}% or latency ≥ ${t.rttWarnMs} ms</span>
<span><i class="lv-bad"></i> loss ≥ ${t.lossBadPct}% or latency ≥ ${t.rttBadMs} ms</span>
<span><i class="lv-none"></i> no data</span>
<span><i class="lv-none partial"></i> partial: the minute's records are still arriving after the analyzer's grace; not coloured</span>
<span class="muted">Cells show the latest minute's mean latency and loss; the strip shows the last ${minutes} minutes${minuteSec !== 60 ? ` (a minute is ${minuteSec} s here)` : ''}.</span>
</div>`;
