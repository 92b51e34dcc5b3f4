// The gateway's memory of recently accepted record keys (gateway/recent-keys.ts): exact within its window, bounded,
// and without false repeats over many distinct keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentKeys } from '../../gateway/recent-keys.js';

const key = (i: number, minute = 0) => ({
  host: `cdn-${i % 997}`, vip: `198.19.${(i >> 8) & 255}.${i & 255}`, method: 'icmp', ts: new Date(Date.UTC(2026, 10, 23, 14, minute)).toISOString(),
});

test('a key is a repeat only once it was seen; within the window it is remembered', () => {
  const k = new RecentKeys(1000);
  const batch = Array.from({ length: 300 }, (_, i) => key(i));
  assert.equal(k.repeats(batch), 0);
  assert.equal(k.repeats(batch), 300);
  assert.equal(k.repeats([key(0, 1), key(1, 1)]), 0, 'another minute is another record');
  assert.equal(k.repeats([{ ...key(5), method: 'tcp' }]), 0, 'another method is another record');
  assert.equal(k.repeats([{ ...key(5), ts: key(5).ts.replace('.000Z', 'Z') }]), 1, 'the same instant spelled otherwise is the same record');
});

test('bounded: the latest window/2 keys are always remembered, keys older than the window are forgotten', () => {
  const k = new RecentKeys(1000);
  const first = Array.from({ length: 500 }, (_, i) => key(i, 1));
  k.repeats(first);
  const later = Array.from({ length: 1500 }, (_, i) => key(i, 2));
  k.repeats(later);
  assert.equal(k.repeats(later.slice(-500)), 500, 'the latest 500 are remembered');
  assert.equal(k.repeats(first), 0, 'forgotten after 1,500 newer keys');
  const off = new RecentKeys(0);
  assert.equal(off.repeats([key(1)]) + off.repeats([key(1)]), 0, 'window 0: off');
});

test('no false repeat among 600,000 distinct keys (more than the window holds)', () => {
  const k = new RecentKeys(400_000);
  let repeats = 0;
  for (let m = 0; m < 6; m++) repeats += k.repeats(Array.from({ length: 100_000 }, (_, i) => key(i, m)));
  assert.equal(repeats, 0);
});
