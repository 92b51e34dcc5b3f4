// VIP board: one VIP (template variable `vip`) as every province and ISP sees it.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { influxql } from '../influxql.js';
import {
  board, byThresholds, hideTime, latencyThresholds, lossThresholds, nowAndBaseline, seriesPanel, sourceVariable, tablePanel, tagVariable,
  UID, type BoardOptions,
} from '../parts.js';

// The VIP is compared as a string literal: Grafana inserts a single-valued variable there as it is.
const ofVip = `"vip" = '$vip' AND $timeFilter`;

export function vipBoard(o: BoardOptions): dashboard.Dashboard {
  const stats = `SELECT min("rtt_min") AS "min", mean("rtt_avg") AS "avg", max("rtt_max") AS "max", mean("loss") AS "loss" ` +
    `FROM $source WHERE ${ofVip} GROUP BY "province", "isp"`;
  return board(UID.vip, 'vipwatch VIP', 'Latency (min / avg / max) and loss to one VIP, by province and ISP', o)
    .withVariable(sourceVariable(o))
    .withVariable(tagVariable(o, 'vip', 'VIP', 'vip'))
    .withPanel(seriesPanel(1, 'Latency to $vip per ISP (min / avg / max)',
      influxql('A', `SELECT min("rtt_min") AS "min", mean("rtt_avg") AS "avg", max("rtt_max") AS "max" FROM $source WHERE ${ofVip} ` +
        'GROUP BY time($__interval), "isp" fill(none)').alias('$tag_isp $col'), 'ms'))
    .withPanel(seriesPanel(2, 'Loss to $vip per ISP',
      influxql('A', `SELECT mean("loss") AS "loss" FROM $source WHERE ${ofVip} GROUP BY time($__interval), "isp" fill(none)`)
        .alias('$tag_isp'), 'percent'))
    .withPanel(seriesPanel(3, 'Average latency to $vip per province and ISP',
      influxql('A', `SELECT mean("rtt_avg") AS "avg" FROM $source WHERE ${ofVip} GROUP BY time($__interval), "province", "isp" fill(none)`)
        .alias('$tag_province $tag_isp'), 'ms').span(24))
    .withPanel(tablePanel(4, 'Latency (ms) and loss (%) to $vip by province and ISP', influxql('A', stats, 'table'))
      .withTransformation(hideTime)
      .unit('ms').decimals(1)
      .thresholds(latencyThresholds()).colorScheme(byThresholds())
      .overrideByName('loss', [
        { id: 'unit', value: 'percent' },
        { id: 'decimals', value: 2 },
        { id: 'thresholds', value: lossThresholds().build() },
      ])
      .height(20)
      .span(24))
    .withPanel(tablePanel(5, 'Latency to $vip per ISP: now next to its baseline (ms)', influxql('A', nowAndBaseline(ofVip, ['isp']), 'table'))
      .description('baseline: the median of the per-interval average latency over the time range (the analyzer uses a day, slow minutes left out); now: the last interval. Latency faults are raised when now stays above max(baseline x 1.5, baseline + 20 ms).')
      .withTransformation(hideTime)
      .unit('ms').decimals(1)
      .thresholds(latencyThresholds()).colorScheme(byThresholds())
      .span(24))
    .build();
}
