// A chart's place on a page: a figure the browser fills with uPlot (web/assets/charts.js) from the JSON inside it.
import { chartJson, type ChartSpec } from '../chart-data.js';
import { html, raw, type Html } from '../html.js';

export const chartBlock = (spec: ChartSpec, note: Html | string = ''): Html => html`<figure class="chart" data-chart="${spec.id}">
<figcaption>${spec.title} <span class="muted">${note ? html`${note}; ` : ''}times in ${spec.timeZone}</span></figcaption>
<div class="chart-canvas" data-height="${spec.height ?? 260}"></div>
<script type="application/json" class="chart-data">${raw(chartJson(spec))}</script>
</figure>`;

/** The scripts a page with charts loads: the vendored uPlot first, then the renderer. */
export const CHART_SCRIPTS = ['vendor/uplot.js', 'charts.js'];
export const CHART_STYLES = ['vendor/uplot.css'];
