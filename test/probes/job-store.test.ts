// The job store, both backends (SQLite admin.db; MariaDB with the sql/ migrations): seq assigned in order, live jobs by
// startBy, one result per (job, host), counts for the rate limits, the audit newest first.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NewJob } from '../../core/jobs.js';
import { createLogger } from '../../core/log.js';
import type { JobStore } from '../../core/store/jobs.js';
import { MysqlJobStore } from '../../core/store/mysql/jobs.js';
import { SqliteJobStore } from '../../core/store/sqlite/jobs.js';
import { mariadbDatabase } from '../support/mariadb.js';

const log = createLogger('silent');
const T = Date.parse('2026-11-30T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const job = (id: string, requester: string, address: string, createdMs: number): NewJob => ({
  id, requester, createdAt: iso(createdMs), method: 'icmp', target: address, address, count: 5, intervalMs: 500, timeoutMs: 2000,
  scope: { isps: ['ct'] }, sources: ['h1', 'h2'], startBy: iso(createdMs + 30_000), deadline: iso(createdMs + 45_000), purpose: 'api',
});

async function contract(s: JobStore): Promise<void> {
  const a = await s.create(job('a', 'olga', '198.19.0.1', T));
  const b = await s.create(job('b', 'olga', '198.19.0.2', T + 20_000));
  const c = await s.create(job('c', 'admin', '198.19.0.1', T + 40_000));
  assert.ok(a.seq < b.seq && b.seq < c.seq);
  assert.deepEqual(await s.get('b'), b);
  assert.equal(await s.get('nope'), null);
  assert.deepEqual(await s.liveSeqs(iso(T + 35_000)), [b.seq, c.seq]);
  assert.deepEqual((await s.bySeqs([c.seq, a.seq])).map((j) => j.id), ['a', 'c']);
  assert.deepEqual(await s.bySeqs([]), []);
  const rec = { ts: '2026-11-30T10:00:00Z', host: 'h1', vip: '198.19.0.1', method: 'icmp' as const, sent: 5, recv: 4, rttMin: 1, rttAvg: 2, rttMax: 3 };
  assert.equal(await s.putResult('a', 'h1', rec, iso(T + 5000)), true);
  assert.equal(await s.putResult('a', 'h1', { ...rec, recv: 0, rttMin: undefined, rttAvg: undefined, rttMax: undefined }, iso(T + 6000)), false);
  assert.deepEqual(await s.results('a'), [{ host: 'h1', at: iso(T + 5000), result: rec }]);
  assert.equal(await s.countSince({ requester: 'olga' }, iso(T)), 2);
  assert.equal(await s.countSince({ requester: 'olga' }, iso(T + 1)), 1);
  assert.equal(await s.countSince({ address: '198.19.0.1' }, iso(T)), 2);
  await s.addAudit({ actor: 'olga', action: 'created', jobId: 'a', target: '198.19.0.1', method: 'icmp', detail: { sources: 2 } });
  await s.addAudit({ actor: 'vera', action: 'refused', jobId: null, target: '203.0.113.9', method: 'icmp', detail: { status: 403 } });
  const audit = await s.audit();
  assert.deepEqual(audit.map((x) => [x.actor, x.action, x.jobId, x.target, x.detail]), [['vera', 'refused', null, '203.0.113.9', { status: 403 }], ['olga', 'created', 'a', '198.19.0.1', { sources: 2 }]]);
  assert.ok(Number.isFinite(Date.parse(audit[0]!.at)));
  assert.equal(await s.ping(), true);
}

test('job store: sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-jobs-'));
  const s = new SqliteJobStore({ file: join(dir, 'admin.db'), log });
  await s.init();
  t.after(async () => { await s.close(); rmSync(dir, { recursive: true, force: true }); });
  await contract(s);
});

test('job store: mariadb', async (t) => {
  const db = await mariadbDatabase(t);
  if (!db) return;
  const s = new MysqlJobStore({ url: db.url, log });
  await s.init();
  t.after(async () => { await s.close(); await db.close(); });
  await contract(s);
});
