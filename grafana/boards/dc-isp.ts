// Data centre and ISP board: the VIPs of one data centre (`dc`, the VIP side) as each ISP and province reaches them,
// narrowed by the variables `isp` and `province` ("All" matches every value).
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { influxql } from '../influxql.js';
import {
  board, byThresholds, hideTime, latencyThresholds, lossThresholds, seriesPanel, sourceVariable, tablePanel, tagVariable,
  UID, vipLink, withAll, type BoardOptions,
} from '../parts.js';

// Single values and "All" (.*) both go into regexes: Grafana escapes a chosen value there and inserts .* as it is.
const scope = `"vip_dc" =~ /^$dc$/ AND "isp" =~ /^$isp$/ AND "province" =~ /^$province$/ AND $timeFilter`;
const stats = 'min("rtt_min") AS "min", mean("rtt_avg") AS "avg", max("rtt_max") AS "max", mean("loss") AS "loss"';

const over = (field: 'rtt_avg' | 'loss', as: string, by: string): string =>
  `SELECT mean("${field}") AS "${as}" FROM $source WHERE ${scope} GROUP BY time($__interval), "${by}" fill(none)`;

const lossColumn: dashboard.DynamicConfigValue[] = [
  { id: 'unit', value: 'percent' },
  { id: 'decimals', value: 2 },
  { id: 'thresholds', value: lossThresholds().build() },
];

export function dcIspBoard(o: BoardOptions): dashboard.Dashboard {
  return board(UID.dcIsp, 'vipwatch DC and ISP', 'DC-to-VIP and ISP-to-VIP latency and loss', o)
    .withVariable(sourceVariable(o))
    .withVariable(tagVariable(o, 'dc', 'VIP data centre', 'vip_dc'))
    .withVariable(withAll(tagVariable(o, 'isp', 'ISP', 'isp')))
    .withVariable(withAll(tagVariable(o, 'province', 'Province', 'province', '"isp" =~ /^$isp$/')))
    .withPanel(seriesPanel(1, 'Latency to DC $dc per ISP', influxql('A', over('rtt_avg', 'latency', 'isp')).alias('$tag_isp'), 'ms'))
    .withPanel(seriesPanel(2, 'Loss to DC $dc per ISP', influxql('A', over('loss', 'loss', 'isp')).alias('$tag_isp'), 'percent'))
    .withPanel(seriesPanel(3, 'Latency to each VIP of DC $dc', influxql('A', over('rtt_avg', 'latency', 'vip')).alias('$tag_vip'), 'ms'))
    .withPanel(seriesPanel(4, 'Loss to each VIP of DC $dc', influxql('A', over('loss', 'loss', 'vip')).alias('$tag_vip'), 'percent'))
    .withPanel(tablePanel(5, 'ISP to VIP: latency (ms) and loss (%)',
      influxql('A', `SELECT ${stats} FROM $source WHERE ${scope} GROUP BY "isp", "vip"`, 'table'))
      .withTransformation(hideTime)
      .unit('ms').decimals(1)
      .thresholds(latencyThresholds()).colorScheme(byThresholds())
      .overrideByName('loss', lossColumn)
      .overrideByName('vip', [vipLink]))
    .withPanel(tablePanel(6, 'Source data centre to DC $dc: latency (ms) and loss (%)',
      influxql('A', `SELECT ${stats} FROM $source WHERE ${scope} GROUP BY "dc", "isp", "province"`, 'table'))
      .withTransformation(hideTime)
      .unit('ms').decimals(1)
      .thresholds(latencyThresholds()).colorScheme(byThresholds())
      .overrideByName('loss', lossColumn))
    .build();
}
