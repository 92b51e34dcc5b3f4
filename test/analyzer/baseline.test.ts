// The fixed-size baseline summary against the exact median of the minutes it holds: within 2% or 1 ms, old minutes
// expire, a window never reaches further back than baselineMinutes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Baselines, slotLayout } from '../../analyzer/engine/baseline.js';
import { latencyCode, latencyCodeByLog } from '../../analyzer/engine/latency-code.js';

function exactMedian(xs: number[]): number {
  const a = [...xs].sort((p, q) => p - q);
  const n = a.length;
  return n % 2 ? a[n >> 1]! : (a[n / 2 - 1]! + a[n / 2]!) / 2;
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

test('slot layout: a day is 12 slots of 2 hours; never more minutes than the window', () => {
  assert.deepEqual(slotLayout(1440), { len: 120, count: 12 });
  assert.deepEqual(slotLayout(30), { len: 3, count: 10 });
  assert.deepEqual(slotLayout(10), { len: 1, count: 10 });
  for (const m of [1, 7, 100, 1000, 1441, 5000, 20_160]) {
    const { len, count } = slotLayout(m);
    assert.ok(len <= 255 && len * count <= m && (count + 1) * len > m, `${m}: ${len} x ${count}`);
  }
});

test('median within 2% or 1 ms of the exact median of the minutes held, over a day and more, for many kinds of cells', () => {
  const minutes = 1440;
  const cells = 24;
  const b = new Baselines(cells, minutes);
  const { len, count } = slotLayout(minutes);
  const rnd = lcg(7);
  const history: number[][] = Array.from({ length: cells }, () => []);
  const T0 = 29_000_000; // an epoch minute index
  let worst = 0;
  for (let i = 0; i < 3000; i++) {
    const t = T0 + i;
    b.rotate(t);
    for (let c = 0; c < cells; c++) {
      // cells from 2 ms to 400 ms, +/-15% noise; half of them move to a level 30% higher after 1.5 days
      const level = 2 * 1.25 ** c * (c % 2 && i > 2160 ? 1.3 : 1);
      if (c % 5 === 4 && rnd() < 0.3) continue; // a cell with gaps
      const x = level * (0.85 + 0.3 * rnd());
      b.add(c, x, t);
      history[c]!.push(t, x);
    }
    if (i % 97 !== 0 || i === 0) continue;
    for (let c = 0; c < cells; c++) {
      const slotNo = (m: number) => Math.floor((m + (c % len)) / len);
      const h = history[c]!;
      const held: number[] = [];
      for (let k = 0; k < h.length; k += 2) {
        const m = h[k]!;
        if (slotNo(m) > slotNo(t) - count) { held.push(h[k + 1]!); assert.ok(t - m < minutes, 'a held minute is within the window'); }
      }
      assert.equal(b.total[c], held.length, `cell ${c} minute ${i}: samples held`);
      const exact = exactMedian(held);
      const got = b.median(c);
      const err = Math.abs(got - exact);
      worst = Math.max(worst, err / exact);
      assert.ok(err <= Math.max(1, 0.02 * exact), `cell ${c} minute ${i}: ${got} vs exact ${exact}`);
    }
  }
  assert.ok(worst > 0, 'the summary is approximate, not a copy');
});

test('a steady cell has its exact baseline; an emptied window has none', () => {
  const b = new Baselines(3, 30);
  for (let t = 0; t < 40; t++) { b.rotate(t); b.add(1, 38.3, t); }
  assert.equal(b.median(1), Math.fround(38.3));
  assert.ok(Number.isNaN(b.median(0)));
  for (let t = 40; t < 80; t++) b.rotate(t);
  assert.equal(b.total[1], 0);
  assert.ok(Number.isNaN(b.median(1)));
});

test('restored mid-slot from its checkpoint form (slots, mergedBase, total, last), a summary goes on exactly as the uninterrupted one', () => {
  // the restored one recomputes what the checkpoint leaves out (derive) while a slot is being filled: every median of
  // the minutes after it must be the uninterrupted run's, for drifting, noisy, gapped and tiny windows alike
  for (const minutes of [1, 7, 30, 1440]) {
    const cells = 16;
    const live = new Baselines(cells, minutes);
    let restored = new Baselines(cells, minutes);
    const rnd = lcg(11);
    let compared = 0;
    for (let t = 0; t < 2000; t++) {
      for (const b of [live, restored]) b.rotate(t);
      for (let c = 0; c < cells; c++) {
        if (c % 4 === 3 && (t % 60) < 25) continue; // gaps long enough to empty a short window
        const drift = c % 4 === 1 ? t * 0.08 : c % 4 === 2 ? 40 * Math.sin(t / 50) : 0;
        const x = Math.max(0.2, (5 + 9 * c + drift) * (0.8 + 0.4 * rnd()) + (rnd() < 0.04 ? 300 : 0));
        live.add(c, x, t);
        restored.add(c, x, t);
      }
      for (let c = 0; c < cells; c++) {
        const a = live.median(c);
        const b = restored.median(c);
        assert.ok(a === b || (Number.isNaN(a) && Number.isNaN(b)), `${minutes} min window, cell ${c}, minute ${t}: ${b} after restores vs ${a}`);
        compared += Number(a === a);
      }
      if (t % 37 === 36) {
        const fresh = new Baselines(cells, minutes);
        fresh.setSlots(0, cells, restored.slotsOf(0, cells).slice(), true);
        fresh.mergedBase.set(restored.mergedBase);
        fresh.total.set(restored.total);
        fresh.last.set(restored.last);
        fresh.derive(0, cells);
        restored = fresh;
      }
    }
    assert.ok(compared > 1000, `${minutes}: medians compared`);
  }
});

test('the bucket code by table is the code by logarithm: at every bucket edge, its neighbouring doubles, and random latencies', () => {
  const f = new Float64Array(1);
  const bits = new BigInt64Array(f.buffer);
  const step = (x: number, d: bigint) => { f[0] = x; bits[0] = bits[0]! + d; return f[0]!; };
  const xs: number[] = [-1, 0, 49.999, 50, 4095.9, 4096, 1e6, Infinity];
  for (let c = 51; c <= 260; c++) {
    const edge = 50 * 1.02 ** (c - 51);
    for (let d = -3n; d <= 3n; d++) xs.push(step(edge, d));
  }
  const next = lcg(7);
  const f32 = new Float32Array(1);
  for (let i = 0; i < 200_000; i++) { f32[0] = next() * 5000; xs.push(f32[0]!, next() * 3000); }
  for (const x of xs) assert.equal(latencyCode(x), latencyCodeByLog(x), `latency ${x}`);
  assert.ok(Number.isNaN(latencyCode(NaN)) === Number.isNaN(latencyCodeByLog(NaN)));
});
