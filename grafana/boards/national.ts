// National board: how every province and ISP reaches the company's VIPs, at a glance.
import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as geomap from '@grafana/grafana-foundation-sdk/geomap';
import { influxql } from '../influxql.js';
import {
  board, byThresholds, hideTime, latencyThresholds, lossThresholds, nowAndBaseline, seriesPanel, sourceVariable, tablePanel, UID, type BoardOptions,
} from '../parts.js';

/** Rows provinces, columns ISPs (ct, cu, cm and any an inventory adds), cells the value of one field. */
const matrix = (field: string): dashboard.DataTransformerConfig[] => [
  { id: 'groupingToMatrix', options: { columnField: 'isp', rowField: 'province', valueField: field, emptyValue: 'null' } },
  { id: 'organize', options: { renameByName: { 'province\\isp': 'province' } } },
];

const byProvinceIsp = (field: 'rtt_avg' | 'loss', as: string): string =>
  `SELECT mean("${field}") AS "${as}" FROM $source WHERE $timeFilter GROUP BY "province", "isp"`;

export function nationalBoard(o: BoardOptions): dashboard.Dashboard {
  return board(UID.national, 'vipwatch national', 'Latency and loss from every province and ISP to the VIPs', o)
    .withVariable(sourceVariable(o))
    .withPanel(tablePanel(1, 'Average latency (ms): province × ISP', influxql('A', byProvinceIsp('rtt_avg', 'latency'), 'table'))
      .transformations(matrix('latency'))
      .unit('ms').decimals(1)
      .thresholds(latencyThresholds()).colorScheme(byThresholds())
      .sortBy([new common.TableSortByFieldStateBuilder().displayName('province')])
      .height(24))
    .withPanel(tablePanel(2, 'Loss (%): province × ISP', influxql('A', byProvinceIsp('loss', 'loss'), 'table'))
      .transformations(matrix('loss'))
      .unit('percent').decimals(2)
      .thresholds(lossThresholds()).colorScheme(byThresholds())
      .sortBy([new common.TableSortByFieldStateBuilder().displayName('province')])
      .height(24))
    .withPanel(seriesPanel(3, 'Nationwide average latency per ISP',
      influxql('A', 'SELECT mean("rtt_avg") AS "latency" FROM $source WHERE $timeFilter GROUP BY time($__interval), "isp" fill(none)')
        .alias('$tag_isp'), 'ms'))
    .withPanel(seriesPanel(4, 'Nationwide loss per ISP',
      influxql('A', 'SELECT mean("loss") AS "loss" FROM $source WHERE $timeFilter GROUP BY time($__interval), "isp" fill(none)')
        .alias('$tag_isp'), 'percent'))
    .withPanel(provinceMap(5, o))
    .withPanel(tablePanel(6, 'Latency now next to its baseline (ms): province and ISP', influxql('A', nowAndBaseline('$timeFilter', ['province', 'isp']), 'table'))
      .description('baseline: the median of the per-interval average latency over the time range; now: the last interval. A cell well above its own baseline is slow, whatever its absolute value.')
      .withTransformation(hideTime)
      .unit('ms').decimals(1)
      .thresholds(latencyThresholds()).colorScheme(byThresholds())
      .sortBy([new common.TableSortByFieldStateBuilder().displayName('province')])
      .height(20)
      .span(24))
    .build();
}

/**
 * Provinces as markers, sized and coloured by average latency. Grafana has no gazetteer of China's provinces, so the
 * export ships one (gazetteer/vipwatch-provinces.json, keyed by the `province` tag) and the layer looks rows up in it.
 */
function provinceMap(id: number, o: BoardOptions): geomap.PanelBuilder {
  const q = 'SELECT mean("rtt_avg") AS "latency", mean("loss") AS "loss" FROM $source WHERE $timeFilter GROUP BY "province"';
  return new geomap.PanelBuilder()
    .id(id)
    .title('Average latency by province')
    .description('Marker size and colour: average latency over the time range; hover for loss.')
    .withTarget(influxql('A', q, 'table'))
    .unit('ms').decimals(1)
    .thresholds(latencyThresholds()).colorScheme(byThresholds())
    .view(new geomap.MapViewConfigBuilder().id(geomap.MapCenterID.Coords).lat(35.5).lon(104).zoom(3.6))
    .controls(new geomap.ControlsOptionsBuilder().showZoom(true).mouseWheelZoom(true).showAttribution(true))
    .basemap(new common.MapLayerOptionsBuilder().type('default').name('Basemap'))
    .layers([new common.MapLayerOptionsBuilder()
      .type('markers')
      .name('Provinces')
      .tooltip(true)
      .location(new common.FrameGeometrySourceBuilder()
        .mode(common.FrameGeometrySourceMode.Lookup)
        .lookup('province')
        .gazetteer(o.gazetteerUrl))
      .config({
        showLegend: true,
        style: {
          color: { field: 'latency', fixed: 'green' },
          size: { field: 'latency', fixed: 6, min: 6, max: 18 },
          opacity: 0.8,
          symbol: { mode: 'fixed', fixed: 'img/icons/marker/circle.svg' },
          text: { mode: 'field', field: 'province', fixed: '' },
          textConfig: { fontSize: 10, offsetY: -14, textAlign: 'center', textBaseline: 'bottom' },
        },
      })])
    .tooltip(new geomap.TooltipOptionsBuilder().mode(geomap.TooltipMode.Details))
    .height(16)
    .span(24);
}
