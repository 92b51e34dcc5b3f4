// The read-side baseline the board uses (core/latency-baseline.ts) on the real SQLite series store, and the board
// cell it marks slow: above its own baseline by the analyzer's rule, not above a fixed number.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { rulesSchema } from '../../core/config.js';
import { readBaselines } from '../../core/latency-baseline.js';
import { byCell, cellOf } from '../../web/board-view.js';
import { legend } from '../../web/views/board.js';
import { stores, tagged } from './live-support.js';
import { Scenario, T0 } from './scenario.js';

const MIN = 60_000;

test('a group cell is slow when above max(1.5 x, +20 ms) its baseline from the series store; the legend says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-readside-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // beijing/ct at 30 ms for 40 minutes, then 81 ms (slow: > max(45, 50)); beijing/cu at 30 then 49 ms (not slow)
  const s = new Scenario(42, { provinces: 1, isps: ['ct', 'cu'], rtt: (h, _v, m) => (m < 40 ? 30 : h.isp === 'ct' ? 81 : 49) });
  const st = stores(dir);
  await st.series.init();
  await st.series.write(tagged(s.inventory, s.records()));
  const rules = rulesSchema.parse({});
  const end = T0 + 41 * MIN;
  const base = await readBaselines(st.series, end, MIN, rules);
  assert.deepEqual([...base.entries()].sort(), [['beijing/ct', 30], ['beijing/cu', 30]]);
  const aggs = await st.series.groupAggregates(end, end + MIN);
  const cells = byCell(aggs, (a) => `${a.province}/${a.isp}`);
  const thresholds = { lossWarnPct: 5, lossBadPct: 20, rttWarnMs: 100, rttBadMs: 200 };
  const ct = cellOf('beijing/ct', 'Beijing / ct', cells.get('beijing/ct'), [end], thresholds, { slow: { baselines: base, rules } });
  const cu = cellOf('beijing/cu', 'Beijing / cu', cells.get('beijing/cu'), [end], thresholds, { slow: { baselines: base, rules } });
  assert.deepEqual([ct.slow, ct.level, cu.slow], [true, 'ok', false], 'slow by its own baseline, though under the fixed thresholds');
  assert.match(ct.title, /baseline 30(\.0)? ms \(slow: above its own baseline\)/);
  // too little history: 20 minutes are not 30
  const early = await readBaselines(st.series, T0 + 24 * MIN, MIN, rules);
  assert.equal(early.size, 0);
  assert.match(String(legend(thresholds, 15, 60, rules)), /slow: latency above the cell's own baseline \(the median of its last 1440 minutes\) by more than x1\.5 and \+20 ms; not a fixed number/);
  await st.series.close();
});
