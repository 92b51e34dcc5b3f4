// The board: the province x ISP matrix (same cell model as the live updates) and the open-fault panel.
import type { BoardCell, BoardView, Thresholds } from '../board-view.js';
import { html, type Html } from '../html.js';

/** An open root fault as the board's side panel shows it. */
export interface LiveFault { uid: string; href: string; type: string; key: string; since: string; scope: string; children: number; suppressed: boolean }

export const cellHtml = (c: BoardCell): Html => html`<td class="cell lv-${c.level}" data-key="${c.key}" title="${c.title}">
<div class="vals"><span class="rtt">${c.rtt}</span><span class="loss">${c.loss}</span></div>
<div class="strip">${c.strip.map((l) => html`<i class="lv-${l}"></i>`)}</div></td>`;

export function matrix(view: BoardView): Html {
  return html`<table class="matrix">
<thead><tr><th class="corner">Province \\ ISP</th>${view.isps.map((i) => html`<th title="${i.zh ?? ''}">${i.name} <span class="muted">${i.id}</span></th>`)}</tr></thead>
<tbody>${view.rows.map((r) => html`<tr><th title="${r.zh}">${r.name}</th>${r.cells.map(cellHtml)}</tr>`)}</tbody></table>`;
}

export function faultPanel(faults: LiveFault[]): Html {
  return html`<ul class="live-faults" id="live-faults">${faults.length ? faults.map((f) => html`<li class="${f.suppressed ? 'is-suppressed' : ''}">
<a href="${f.href}"><span class="type type-${f.type}">${f.type}</span> ${f.key}</a>
<span class="muted">since ${f.since}${f.children ? ` · ${f.children} child${f.children === 1 ? '' : 'ren'}` : ''}${f.suppressed ? ' · suppressed' : ''}</span>
<div class="scope-text">${f.scope}</div></li>`) : html`<li class="none muted">No open faults.</li>`}</ul>`;
}

export const legend = (t: Thresholds, minutes: number, minuteSec: number): Html => html`<div class="legend">
<span><i class="lv-ok"></i> loss &lt; ${t.lossWarnPct}% and latency &lt; ${t.rttWarnMs} ms</span>
<span><i class="lv-warn"></i> loss ≥ ${t.lossWarnPct}% or latency ≥ ${t.rttWarnMs} ms</span>
<span><i class="lv-bad"></i> loss ≥ ${t.lossBadPct}% or latency ≥ ${t.rttBadMs} ms</span>
<span><i class="lv-none"></i> no data</span>
<span class="muted">Cells show the latest minute's mean latency and loss; the strip shows the last ${minutes} minutes${minuteSec !== 60 ? ` (a minute is ${minuteSec} s here)` : ''}.</span>
</div>`;
