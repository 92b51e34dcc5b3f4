// The embedded series store's retention (core/store/sqlite/retention.ts): what is past series.sqlite.retention
// leaves the file (raw minutes, per-minute group rollup, fault events), the hourly rollup stays until
// rollupRetention, a backlog goes a bounded step per write, and the configuration refuses retentions that disagree
// with the gateway's. Counts come from the rows written here, read back from the file with SQLite itself.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import type { StoredRecord } from '../../core/store/series.js';
import { PRUNE_EVERY_MS, SqliteSeriesStore } from '../../core/store/sqlite/series.js';
import { episode } from './fault-contract.js';

const log = createLogger('silent');
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const dir = mkdtempSync(join(tmpdir(), 'vipwatch-retention-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** one record per host for the minute at `ms` (rounded down to the minute) */
const minute = (ms: number, hosts: number): StoredRecord[] => Array.from({ length: hosts }, (_, h) => ({
  ts: iso(Math.floor(ms / MIN) * MIN), host: `h${h}`, vip: '198.19.0.1', method: 'icmp', sent: 20, recv: 20, rttMin: 9, rttAvg: 10, rttMax: 12,
  dc: 'beijing-ct-1', province: 'beijing', isp: 'ct', vipDc: 'idc-beijing-ct', business: 'search',
}));

/** rows per table in the file, and the oldest time in each */
function inFile(file: string): Record<'probe' | 'probe_group' | 'probe_hour' | 'fault', { rows: number; oldest: number | null }> {
  const db = new Database(file, { readonly: true });
  try {
    const count = (table: string, time: string) => db.prepare(`SELECT COUNT(*) AS rows, MIN(${time}) AS oldest FROM ${table}`).get() as { rows: number; oldest: number | null };
    return { probe: count('probe', 'ts'), probe_group: count('probe_group', 'ts'), probe_hour: count('probe_hour', 'hour'), fault: count('fault', 'ts') };
  } finally {
    db.close();
  }
}

describe('sqlite series store retention', () => {
  it('rows past series.sqlite.retention leave the file at the next write; the hourly rollup stays until rollupRetention', async () => {
    const cfg = parseConfig({ dataDir: join(dir, 'cfg'), series: { sqlite: { retention: '2d', rollupRetention: '10d' } } }, 'test');
    const now = Date.now();
    const hour = (ms: number) => ms - (ms % HOUR);
    // written by a store without retention (a file from before it existed): 12 days ago, 3 days ago, 1 day ago
    const file = join(cfg.dataDir, 'series.db');
    mkdirSync(cfg.dataDir, { recursive: true });
    const before = new SqliteSeriesStore({ file, log });
    await before.init();
    for (const ago of [12 * DAY, 3 * DAY, DAY]) {
      await before.write(minute(now - ago, 3));
      await before.writeFaultEvents([{ minute: Math.floor((now - ago) / MIN) * MIN, event: 'open', episode: episode({ start: iso(Math.floor((now - ago) / MIN) * MIN) }) }]);
    }
    await before.close();
    assert.deepEqual(Object.values(inFile(file)).map((t) => t.rows), [9, 3, 3, 3], 'probe, group, hour, fault rows before');

    const store = createSeriesStore(cfg, log);
    await store.init();
    await store.write(minute(now, 3));
    const t = inFile(file);
    const dayAgo = Math.floor((now - DAY) / MIN) * MIN;
    assert.deepEqual(t.probe, { rows: 6, oldest: dayAgo }, 'raw minutes: 3 days and 12 days ago gone, 1 day ago and now kept');
    assert.deepEqual(t.probe_group, { rows: 2, oldest: dayAgo });
    assert.deepEqual(t.fault, { rows: 1, oldest: dayAgo });
    assert.deepEqual(t.probe_hour, { rows: 3, oldest: hour(Math.floor((now - 3 * DAY) / MIN) * MIN) }, 'hourly rollup: only the 12-day-old hour gone');
    assert.equal((await store.readRange(now - 4 * DAY, now + MIN)).length, 6, 'what readers get');
    await store.close();
  });

  it('a backlog goes a bounded step per write (whole minutes), then at most every PRUNE_EVERY_MS', async () => {
    let now = Date.parse('2026-11-30T12:00:00Z');
    const file = join(dir, 'backlog.db');
    const store = new SqliteSeriesStore({ file, log, keep: { retention: DAY, rollupRetention: 10 * DAY }, now: () => now, pruneStepRows: 50 });
    await store.init();
    // 10 expired minutes of 30 rows each, written with the clock two days back (nothing expired then)
    const t0 = now - 2 * DAY;
    now = t0;
    for (let m = 0; m < 10; m++) await store.write(minute(t0 + m * MIN, 30));
    assert.equal(inFile(file).probe.rows, 300);
    now = Date.parse('2026-11-30T12:00:00Z');
    // a step ends at the minute holding the 50th oldest row: 2 whole minutes (60 rows) per write
    const left: number[] = [];
    for (let w = 0; w < 6; w++) {
      await store.write(minute(now + w * MIN, 1));
      left.push(inFile(file).probe.rows - (w + 1));
    }
    assert.deepEqual(left, [240, 180, 120, 60, 0, 0], 'expired rows left after each write');
    assert.equal(inFile(file).probe_group.rows, 6, 'the group rollup went with its minutes');
    // caught up: a late expired row stays until PRUNE_EVERY_MS has passed
    await store.write(minute(t0, 2));
    assert.equal(inFile(file).probe.rows, 8);
    now += PRUNE_EVERY_MS;
    await store.write(minute(now, 1));
    assert.equal(inFile(file).probe.rows, 7, 'the late expired rows went at the next prune');
    await store.close();
  });

  it('the configuration refuses a retention the gateway would outlive, and a rollup kept shorter than its minutes', () => {
    assert.throws(() => parseConfig({ series: { sqlite: { retention: '12h' } } }, 'config.yaml'),
      /series\.sqlite\.retention.*must be at least ingest\.maxAgeSec plus one hour \(90000s\).*\(value "12h"\)/s);
    // longer than the gateway's day, but a late record's hour can begin an hour before it
    assert.throws(() => parseConfig({ series: { sqlite: { retention: '1470m' } } }, 'config.yaml'), /series\.sqlite\.retention.*plus one hour.*\(value "1470m"\)/s);
    assert.equal(parseConfig({ series: { sqlite: { retention: '25h' } } }, 'config.yaml').series.sqlite.retention, '25h');
    assert.throws(() => parseConfig({ series: { sqlite: { retention: '30d', rollupRetention: '7d' } } }, 'config.yaml'),
      /series\.sqlite\.rollupRetention.*must not be shorter than series\.sqlite\.retention \(30d\).*\(value "7d"\)/s);
    assert.throws(() => parseConfig({ series: { sqlite: { retention: '30 days' } } }, 'config.yaml'), /series\.sqlite\.retention.*duration.*\(value "30 days"\)/s);
    const d = parseConfig({}, 'defaults').series.sqlite;
    assert.deepEqual(d, { retention: '30d', rollupRetention: '400d' });
  });
});
