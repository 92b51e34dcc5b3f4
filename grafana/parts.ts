// Pieces every vipwatch board shares: where the data lives, the data-resolution variable, fault annotations,
// colour thresholds and the common panel shapes.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { datasource, ident, influxql, type InfluxQLBuilder } from './influxql.js';

/** What the boards need to know about the deployment; export.ts derives it from the config. */
export interface BoardOptions {
  /** retention policy of the per-minute `probe` points and the `fault` events (config series.influx.retentionPolicy) */
  retentionPolicy: string;
  /** where Grafana's browser fetches the province gazetteer for the geomap */
  gazetteerUrl: string;
}

// Shared names (see the project's contracts): measurement, hourly rollup and fault annotations.
export const PROBE = 'probe';
export const ROLLUP_POLICY = 'rollup';
export const ROLLUP = 'probe_1h';
export const FAULT = 'fault';
export const BOARD_TAG = 'vipwatch';
export const UID = { national: 'vipwatch-national', vip: 'vipwatch-vip', dcIsp: 'vipwatch-dc-isp' } as const;

/**
 * `$source`: the per-minute points or the hourly rollup. Both carry the same tags and fields (rtt_min is the min,
 * rtt_max the max, rtt_avg and loss the means), so every panel query works on either; ranges past the raw
 * retention (30 d by default) need the rollup, and it is much cheaper for multi-day views.
 */
export function sourceVariable(o: BoardOptions): dashboard.CustomVariableBuilder {
  const raw = `${ident(o.retentionPolicy)}.${ident(PROBE)}`;
  const hourly = `${ident(ROLLUP_POLICY)}.${ident(ROLLUP)}`;
  const options = [
    { text: 'per minute', value: raw },
    { text: 'hourly rollup', value: hourly },
  ];
  return new dashboard.CustomVariableBuilder('source')
    .label('Resolution')
    .description('per-minute points, or the hourly rollup for long ranges')
    .values(options.map((x) => `${x.text} : ${x.value}`).join(','))
    .current({ ...options[0]!, selected: true })
    .options(options.map((x, i) => ({ ...x, selected: i === 0 })));
}

/** A tag-values variable over the probe measurement (refreshed on load; sorted alphabetically). */
export function tagVariable(o: BoardOptions, name: string, label: string, tagKey: string, where = ''): dashboard.QueryVariableBuilder {
  const query = `SHOW TAG VALUES FROM ${ident(o.retentionPolicy)}.${ident(PROBE)} WITH KEY = ${ident(tagKey)}${where ? ` WHERE ${where}` : ''}`;
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(datasource)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

/** Adds an "All" choice that matches every value (a regex, so panels filter with =~ /^$var$/). */
export const withAll = (v: dashboard.QueryVariableBuilder): dashboard.QueryVariableBuilder => v.includeAll(true).allValue('.*');

/** Fault open/close events the analyzer writes to measurement `fault`, as annotations. */
export function faultAnnotation(o: BoardOptions): dashboard.AnnotationQueryBuilder {
  const q = `SELECT "title", "text", "event", "type", "key", "uid" FROM ${ident(o.retentionPolicy)}.${ident(FAULT)} WHERE $timeFilter`;
  return new dashboard.AnnotationQueryBuilder()
    .name('Faults')
    .datasource(datasource)
    .enable(true)
    .iconColor('red')
    .target(influxql('Faults', q, 'table').annotationColumns({ title: 'title', text: 'text', tags: ['type', 'event'] }));
}

/**
 * Latency now next to its baseline, per value of `by`: the median of the per-interval average over the time range
 * (the baseline), and the last interval's average (now). One query, so a table shows both side by side.
 */
export const nowAndBaseline = (where: string, by: string[]): string => {
  const tags = by.map((t) => ident(t)).join(', ');
  return `SELECT median("avg") AS "baseline", last("avg") AS "now" FROM (SELECT mean("rtt_avg") AS "avg" FROM $source WHERE ${where} ` +
    `GROUP BY time($__interval), ${tags} fill(none)) GROUP BY ${tags}`;
};

const steps = (colors: Array<[number | null, string]>): dashboard.ThresholdsConfigBuilder =>
  new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute)
    .steps(colors.map(([value, color]) => ({ value, color })));

/** Round-trip latency in ms: green to 50, yellow to 100, orange to 200, red beyond. */
export const latencyThresholds = (): dashboard.ThresholdsConfigBuilder =>
  steps([[null, 'green'], [50, 'yellow'], [100, 'orange'], [200, 'red']]);
/** Loss in percent: green under 1, yellow to 5, orange to 20, red beyond (the fault rules start at 50). */
export const lossThresholds = (): dashboard.ThresholdsConfigBuilder =>
  steps([[null, 'green'], [1, 'yellow'], [5, 'orange'], [20, 'red']]);

export const byThresholds = (): dashboard.FieldColorBuilder =>
  new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds);

/** A time-series panel with a table legend (mean, max) and gaps where no minute was probed. */
export function seriesPanel(id: number, title: string, target: InfluxQLBuilder, unit: 'ms' | 'percent'): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .id(id)
    .title(title)
    .datasource(datasource)
    .withTarget(target)
    .unit(unit)
    .decimals(unit === 'ms' ? 1 : 2)
    .min(0)
    .lineWidth(1)
    .fillOpacity(5)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(new common.VizLegendOptionsBuilder()
      .displayMode(common.LegendDisplayMode.Table)
      .placement(common.LegendPlacement.Bottom)
      .showLegend(true)
      .calcs(['mean', 'max'])
      .sortBy('Mean')
      .sortDesc(true))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending))
    .height(9)
    .span(12);
}

/** A table panel whose numeric cells are coloured by thresholds. */
export function tablePanel(id: number, title: string, target: InfluxQLBuilder): table.PanelBuilder {
  return new table.PanelBuilder()
    .id(id)
    .title(title)
    .datasource(datasource)
    .withTarget(target)
    .cellOptions({ type: common.TableCellDisplayMode.ColorBackground, mode: common.TableCellBackgroundDisplayMode.Basic })
    .filterable(true)
    .height(12)
    .span(12);
}

/** Hides the time column InfluxQL puts in front of every row of an aggregate without GROUP BY time. */
export const hideTime: dashboard.DataTransformerConfig = { id: 'organize', options: { excludeByName: { Time: true, time: true } } };

/** The settings every board shares: uid, tags, 6 h default range, 1 min refresh, crosshair sync, links to the others. */
export function board(uid: string, title: string, description: string, o: BoardOptions): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([BOARD_TAG])
    .readonly()
    .timezone('browser')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(new dashboard.DashboardLinkBuilder('vipwatch boards')
      .type(dashboard.DashboardLinkType.Dashboards)
      .tags([BOARD_TAG])
      .asDropdown(true)
      .includeVars(false)
      .keepTime(true)
      .icon('external link')
      .tooltip('')
      .targetBlank(false))
    .annotation(faultAnnotation(o));
}

/** A data link from a `vip` cell to the VIP board, keeping the time range. */
export const vipLink: dashboard.DynamicConfigValue = {
  id: 'links',
  value: [{ title: 'VIP detail', url: `/d/${UID.vip}/vipwatch-vip?var-vip=\${__value.raw}&\${__url_time_range}` }],
};
