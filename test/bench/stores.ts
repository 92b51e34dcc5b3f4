// Fault store (SQLite) figures: a full-size analyzer checkpoint (as JSON and packed), bursts of 1,000 new episodes a
// minute, listing a large history.
// Run: node --import tsx test/bench/stores.ts   (prints its figures on the last line)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../core/log.js';
import type { FaultEpisode } from '../../core/model.js';
import { decodeState, encodeState } from '../../core/store/faults-common.js';
import { SqliteFaultStore } from '../../core/store/sqlite/faults.js';

const VIPS = 10_000;
const GROUPS = 93;
const ms = (t0: number) => Math.round(performance.now() - t0);

// a stand-in for the engine's smoothing state: one 5-minute window per VIP x group (930,000 at full size)
const windows: Record<string, number> = {};
for (let v = 0; v < VIPS; v++) for (let g = 0; g < GROUPS; g++) windows[`203.0.${v >> 8}.${v & 255}|g${g}`] = (v * 7 + g) & 31;
const state = { minute: 0, windows };

let t0 = performance.now();
const buf = encodeState(state);
const encodeMs = ms(t0);
t0 = performance.now();
decodeState(buf);
const decodeMs = ms(t0);

const dir = mkdtempSync(join(tmpdir(), 'vipwatch-bench-stores-'));
const store = new SqliteFaultStore({ file: join(dir, 'faults.db'), log: createLogger('silent') });
try {
  await store.init();
  const episode = (i: number, minute: number): FaultEpisode => ({
    id: `vip:203.0.${i >> 8}.${i & 255}`, type: 'vip', key: `203.0.${i >> 8}.${i & 255}`,
    start: new Date(minute).toISOString().replace('.000Z', 'Z'), detectedAt: new Date(minute + 120_000).toISOString().replace('.000Z', 'Z'),
    end: null, isps: ['ct'], provinces: ['guangdong', 'hunan', 'hubei'], dcs: ['bj-zw'], vips: [`203.0.${i >> 8}.${i & 255}`], businesses: ['search'],
    parent: 'dc:bj-zw', suppressed: false,
  });

  // ten minutes, each committing 1,000 new episodes with their open event and the full-size state
  const commits: number[] = [];
  for (let m = 0; m < 10; m++) {
    const minute = Date.parse('2026-11-23T14:00:00Z') + m * 60_000;
    const writes = Array.from({ length: 1000 }, (_, i) => {
      const e = episode(m * 1000 + i, minute);
      return { episode: e, events: [{ at: e.start, kind: 'open' as const }] };
    });
    t0 = performance.now();
    await store.commitMinute(writes, { minute, state });
    commits.push(ms(t0));
  }
  t0 = performance.now();
  const jsonCp = await store.checkpoint();
  const readJson = ms(t0);
  // the same windows packed one byte each, as a Uint8Array state (no JSON)
  const packed = new Uint8Array(VIPS * GROUPS).map((_, i) => i & 31);
  const packedCommits: number[] = [];
  for (let m = 10; m < 15; m++) {
    const minute = Date.parse('2026-11-23T14:00:00Z') + m * 60_000;
    const writes = Array.from({ length: 1000 }, (_, i) => {
      const e = episode(m * 1000 + i, minute);
      return { episode: e, events: [{ at: e.start, kind: 'open' as const }] };
    });
    t0 = performance.now();
    await store.commitMinute(writes, { minute, state: packed });
    packedCommits.push(ms(t0));
  }
  t0 = performance.now();
  const open = await store.list({ status: 'open', limit: 500 });
  const list500 = ms(t0);
  t0 = performance.now();
  const all = await store.list({ status: 'all' });
  const listAll = ms(t0);
  t0 = performance.now();
  const cp = await store.checkpoint();
  const readCp = ms(t0);
  if (open.length !== 500 || all.length !== 15_000 || !(cp?.state instanceof Uint8Array) || jsonCp?.minute === undefined) throw new Error('bench: unexpected store contents');
  const size = statSync(join(dir, 'faults.db')).size + statSync(join(dir, 'faults.db-wal')).size;
  console.log(`state: ${Object.keys(windows).length} windows, ${(buf.length / 1e6).toFixed(1)} MB gzipped, encode ${encodeMs} ms, decode ${decodeMs} ms; ` +
    `commitMinute (1000 episodes + state): median ${commits.sort((a, b) => a - b)[5]} ms, worst ${commits[9]} ms; ` +
    `checkpoint read ${readJson} ms; commitMinute (1000 episodes + packed 930,000-byte state): median ${packedCommits.sort((a, b) => a - b)[2]} ms, ` +
    `checkpoint read ${readCp} ms; ` +
    `list open limit 500: ${list500} ms; list all 15000: ${listAll} ms; files ${(size / 1e6).toFixed(1)} MB`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
