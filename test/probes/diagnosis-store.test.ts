// Diagnoses kept with their episodes in the fault store, every backend: returned by get and list, kept when the
// analyzer writes the episode again (an update, its close), refused for an unknown episode, checked on the way in.
// MongoDB runs where MONGO_URL is set (no server can be had on this machine) and says so otherwise.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Diagnosis } from '../../core/diagnosis.js';
import { createLogger } from '../../core/log.js';
import type { FaultEpisode } from '../../core/model.js';
import { episodeUid, type FaultStore } from '../../core/store/faults.js';
import { MongoFaultStore } from '../../core/store/mongo/faults.js';
import { SqliteFaultStore } from '../../core/store/sqlite/faults.js';

const log = createLogger('silent');
const episode: FaultEpisode = {
  id: 'dc:vip-gd', type: 'dc', key: 'vip-gd', start: '2026-11-30T10:00:00Z', detectedAt: '2026-11-30T10:03:00Z', end: null,
  isps: ['ct', 'cu'], provinces: ['beijing'], dcs: ['vip-gd'], vips: ['198.19.1.1'], businesses: ['search'], parent: null, suppressed: false,
};
const diagnosis: Diagnosis = {
  at: '2026-11-30T10:03:20.000Z', tracesAt: '2026-11-30T10:03:19.000Z', kind: 'stop', hop: { ip: '198.18.20.2', ttl: 2, name: 'lab r2' },
  text: 'paths from ct stop after lab r2 198.18.20.2 (hop 2); paths from cm reach the VIP (0.1 ms)', jobs: ['abc'],
  paths: [{ side: 'inside', isp: 'ct', province: 'beijing', host: 'ct1', target: '198.19.1.1', reached: false,
    hops: [{ ttl: 1, ip: '198.18.9.1', rtt: [0.1], lost: 0 }, { ttl: 2, ip: '198.18.20.2', rtt: [0.2], lost: 0 }, { ttl: 3, ip: null, rtt: [], lost: 1 }] }],
};

async function contract(store: FaultStore): Promise<void> {
  const uid = episodeUid(episode);
  assert.equal(await store.setDiagnosis(uid, diagnosis), false, 'no such episode yet');
  await store.upsert([{ episode, events: [{ at: episode.detectedAt, kind: 'open' }] }]);
  assert.equal(await store.setDiagnosis(uid, diagnosis), true);
  assert.deepEqual((await store.get(uid))!.diagnosis, diagnosis);
  // the analyzer's next writes of the episode (it closes) carry no diagnosis: it stays
  await store.commitMinute([{ episode: { ...episode, end: '2026-11-30T10:20:00Z' }, events: [{ at: '2026-11-30T10:20:00Z', kind: 'close' }] }], { minute: Date.parse('2026-11-30T10:20:00Z'), state: { n: 1 } });
  const back = (await store.list({ status: 'all' })).find((e) => e.uid === uid)!;
  assert.equal(back.end, '2026-11-30T10:20:00Z');
  assert.deepEqual(back.diagnosis, diagnosis);
  assert.deepEqual(back.history.map((h) => h.kind), ['open', 'close']);
  await assert.rejects(store.setDiagnosis(uid, { ...diagnosis, kind: 'maybe' } as unknown as Diagnosis));
}

test('sqlite fault store keeps diagnoses', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-diag-'));
  const store = new SqliteFaultStore({ file: join(dir, 'faults.db'), log });
  await store.init();
  t.after(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });
  await contract(store);
});

test('mongo fault store keeps diagnoses', async (t) => {
  const url = process.env.MONGO_URL;
  if (!url) { t.skip('skipped: MONGO_URL is not set (no MongoDB server on this machine)'); return; }
  const store = new MongoFaultStore({ url, database: `vipwatch_diag_${process.pid}`, log });
  await store.init();
  t.after(() => store.close());
  await contract(store);
});
