// One contract for every OutboxStore backend: SQLite always; MongoDB where MONGO_URL is set.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { deliveriesOf } from '../../analyzer/alerting/expand.js';
import type { Notifier } from '../../analyzer/alerting/notifiers/notifier.js';
import type { AlertOutbox as OutboxStore } from '../../analyzer/alerting/outbox/index.js';
import { createLogger } from '../../core/log.js';
import { MongoOutboxStore } from '../../core/store/mongo/outbox.js';
import { SqliteOutboxStore } from '../../core/store/sqlite/outbox.js';
import type { AlertMessage } from '../../analyzer/alerting/types.js';
import type { PolicyState } from '../../analyzer/alerting/policy.js';

const log = createLogger('silent');
import { policyContext } from '../../analyzer/alerting/context.js';
import { initialState, step } from '../../analyzer/alerting/policy.js';
import { cleanup } from './fixtures/alerter.js';
import { catalog, config, dcOutage, episode, opened, T0 } from './fixtures/world.js';

const notifiers: Notifier[] = [
  { name: 'email', accepts: (m) => m.to.length > 0, send: async () => {} },
  { name: 'webhook:x', accepts: () => true, send: async () => {} },
];

function sample() {
  const { dc, vips } = dcOutage();
  const region = episode({ type: 'region', key: 'hebei/ct', isps: ['ct'], provinces: ['hebei'] });
  return step(initialState(), opened(T0, [dc, ...vips, region]), T0, policyContext(config(), catalog));
}

async function contract(t: TestContext, open: () => Promise<OutboxStore>) {
  let store = await open();
  t.after(() => store.close());
  assert.equal(await store.loadState(), null);
  const { state, messages } = sample();
  const ds = deliveriesOf(messages, notifiers);
  assert.equal(ds.length, 10, '4 DC messages + 1 region message, each by email and webhook');
  await store.commit(state, ds);
  // a re-run of the same minute stores nothing twice
  await store.commit(state, ds);
  assert.equal((await store.list()).length, 10);
  assert.equal(await store.pendingCount(), 10);
  assert.deepEqual(await store.loadState(), state);

  const due = await store.due(T0, 100);
  assert.equal(due.length, 8, 'the informational region messages wait for the digest');
  assert.deepEqual(due.map((d) => d.id), ds.filter((d) => d.deliverAt <= T0).map((d) => d.id), 'in the order produced');
  assert.deepEqual(due[0]!.message, ds[0]!.message);
  assert.equal(due[0]!.attempts, 0);

  await store.markRetry([due[0]!.id], 1, T0 + 5000, 'ECONNREFUSED');
  await store.markDone(due.slice(1, 4).map((d) => d.id), T0 + 10);
  assert.deepEqual((await store.due(T0 + 4999, 100)).map((d) => d.id), due.slice(4).map((d) => d.id));
  const retried = (await store.due(T0 + 5000, 100))[0]!;
  assert.deepEqual([retried.id, retried.attempts, retried.lastError], [due[0]!.id, 1, 'ECONNREFUSED']);
  assert.equal(await store.pendingCount(), 7);
  const region = ds.filter((d) => d.deliverAt > T0);
  assert.deepEqual((await store.due(region[0]!.deliverAt, 100)).slice(-2).map((d) => d.id), region.map((d) => d.id));

  // everything survives a reopen
  await store.close();
  store = await open();
  assert.deepEqual(await store.loadState(), state);
  assert.equal((await store.list('done')).length, 3);
  assert.equal((await store.list('done'))[0]!.deliveredAt, T0 + 10);
}

test('outbox store contract: sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-outbox-'));
  t.after(() => cleanup(dir));
  await contract(t, async () => { const s = new SqliteOutboxStore<AlertMessage, PolicyState>({ file: join(dir, 'sub', 'outbox.sqlite'), log }); await s.init(); return s; });
});

test('outbox store contract: mongo', async (t) => {
  const url = process.env.MONGO_URL;
  if (!url) {
    t.skip('skipped: MONGO_URL is not set (no MongoDB server on this machine); the MongoDB outbox was NOT tested');
    return;
  }
  const db = `vipwatch_test_outbox_${process.pid}`;
  t.after(async () => { const s = new MongoOutboxStore({ url, database: db, log }); await s.init(); await s.drop(); await s.close(); });
  await contract(t, async () => { const s = new MongoOutboxStore<AlertMessage, PolicyState>({ url, database: db, log }); await s.init(); return s; });
});
