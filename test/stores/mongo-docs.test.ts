// The MongoDB fault store's documents, operations and indexes, checked without a server; and what the store does
// when no server answers (a closed loopback port).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../core/log.js';
import { parseConfig } from '../../core/config.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { encodeState, decodeState, eventId } from '../../core/store/faults-common.js';
import {
  INDEXES, LIST_SORT, checkpointDoc, episodeDoc, episodeFromDoc, episodeOps, eventDocs, joinChunks, listFilter, stateChunks,
} from '../../core/store/mongo/docs.js';
import { MongoFaultStore } from '../../core/store/mongo/faults.js';
import { SqliteFaultStore } from '../../core/store/sqlite/faults.js';
import { StoreUnavailableError } from '../../core/store/series.js';
import { freePort } from '../support/ports.js';
import { episode } from './fault-contract.js';

const log = createLogger('silent');
const at = '2026-11-23T14:07:00.000Z';

test('episodes have a unique index on uid; list and history have indexes in their sort order', () => {
  const uid = INDEXES.episodes.find((i) => i.unique);
  assert.deepEqual(uid, { key: { uid: 1 }, name: 'uid_unique', unique: true });
  assert.ok(INDEXES.episodes.some((i) => JSON.stringify(i.key) === JSON.stringify(LIST_SORT)), 'an index serves the list sort');
  assert.ok(INDEXES.episodes.some((i) => JSON.stringify(i.key) === JSON.stringify({ open: 1, ...LIST_SORT })), 'an index serves the open list');
  assert.deepEqual(INDEXES.events[0]!.key, { uid: 1, atMs: 1 });
});

test('episode documents: contract fields plus uid, startMs, open; extra fields of the input are not stored', () => {
  const e = { ...episode(), scratch: 'engine-internal' } as ReturnType<typeof episode>;
  const doc = episodeDoc(e, at);
  assert.equal(doc.uid, 'vip:203.0.113.10@2026-11-23T14:05:00Z');
  assert.equal(doc.startMs, Date.parse('2026-11-23T14:05:00Z'));
  assert.equal(doc.open, true);
  assert.equal('scratch' in doc, false);
  assert.equal(episodeDoc({ ...e, end: '2026-11-23T14:30:00Z' }, at).open, false);
});

test('every write is an upsert keyed by a deterministic value, so a replayed minute lands on the same documents', () => {
  const writes = [{ episode: episode(), events: [{ at: '2026-11-23T14:07:00Z', kind: 'open' as const }, { at: '2026-11-23T14:07:00Z', kind: 'alert' as const, detail: { to: ['a@example.com'] } }] }];
  const a = episodeOps(writes, at);
  const b = episodeOps(structuredClone(writes), at);
  assert.deepEqual(a, b);
  assert.equal(a.episodes.length, 1);
  const ep = a.episodes[0] as { replaceOne: { filter: unknown; upsert: boolean } };
  assert.deepEqual(ep.replaceOne.filter, { uid: 'vip:203.0.113.10@2026-11-23T14:05:00Z' });
  assert.equal(ep.replaceOne.upsert, true);
  assert.equal(a.events.length, 2);
  for (const op of a.events as Array<{ updateOne: { filter: { _id: string }; update: Record<string, unknown>; upsert: boolean } }>) {
    assert.match(op.updateOne.filter._id, /^[0-9a-f]{40}$/);
    assert.deepEqual(Object.keys(op.updateOne.update), ['$setOnInsert'], 'an event is written once, never overwritten');
    assert.equal(op.updateOne.upsert, true);
  }
});

test('event ids: equal events (whatever their detail key order) share one id; different details do not', () => {
  const uid = 'vip:203.0.113.10@2026-11-23T14:05:00Z';
  const a = eventId(uid, { at, kind: 'alert', detail: { to: ['x@example.com'], business: 'search' } });
  assert.equal(a, eventId(uid, { at, kind: 'alert', detail: { business: 'search', to: ['x@example.com'] } }));
  assert.notEqual(a, eventId(uid, { at, kind: 'alert', detail: { business: 'maps', to: ['x@example.com'] } }));
  assert.notEqual(a, eventId('vip:203.0.113.11@2026-11-23T14:05:00Z', { at, kind: 'alert', detail: { to: ['x@example.com'], business: 'search' } }));
  assert.notEqual(eventId(uid, { at, kind: 'open' }), eventId(uid, { at, kind: 'close' }));
});

test('state chunks: split under the document limit, joined back whole; a missing chunk is an error naming the minute', () => {
  const state = { windows: Array.from({ length: 20_000 }, (_, i) => [i, i % 5, `p${i % 31}`]) };
  const buf = encodeState(state);
  const chunks = stateChunks(600_000, buf, 1000);
  assert.equal(chunks.length, Math.ceil(buf.length / 1000));
  assert.deepEqual(chunks.map((c) => c._id).slice(0, 2), ['600000:0', '600000:1']);
  const pointer = checkpointDoc(600_000, chunks, at);
  assert.equal(pointer.bytes, buf.length);
  // chunks of another minute and leftovers beyond the pointer's count are ignored
  const stray = stateChunks(540_000, Buffer.from('old'), 1000);
  assert.deepEqual(decodeState(joinChunks(pointer, [...stray, ...[...chunks].reverse()])), state);
  assert.throws(() => joinChunks(pointer, chunks.slice(1)), /minute 600000 has \d+ of its \d+ state chunks/);
  assert.equal(stateChunks(1, Buffer.alloc(0)).length, 1, 'an empty state still has its one chunk');
});

test('documents read back: internal fields dropped, history in time and kind order', () => {
  const e = episode({ end: '2026-11-23T14:30:00Z' });
  const events = eventDocs({ episode: e, events: [
    { at: '2026-11-23T14:30:00Z', kind: 'close' }, { at: '2026-11-23T14:07:00Z', kind: 'alert', detail: { to: ['a@example.com'] } },
    { at: '2026-11-23T14:07:00Z', kind: 'open' },
  ] });
  const stored = episodeFromDoc({ ...episodeDoc(e, at), _id: 'ignored' }, events);
  const { uid, history, updatedAt, ...rest } = stored;
  assert.deepEqual(rest, e);
  assert.equal(uid, 'vip:203.0.113.10@2026-11-23T14:05:00Z');
  assert.equal(updatedAt, at);
  assert.deepEqual(history.map((h) => h.kind), ['open', 'alert', 'close']);
});

test('list filters: open and since', () => {
  assert.deepEqual(listFilter({ status: 'all' }), {});
  assert.deepEqual(listFilter({ status: 'open', since: '2026-11-23T14:00:00Z' }), { open: true, startMs: { $gte: Date.parse('2026-11-23T14:00:00Z') } });
});

test('the registry builds the configured backend; sqlite lives under dataDir', () => {
  const sqlite = createFaultStore(parseConfig({ dataDir: '/tmp/vipwatch-x' }, 'test'), log);
  assert.ok(sqlite instanceof SqliteFaultStore);
  const mongo = createFaultStore(parseConfig({ faults: { backend: 'mongo', mongo: { url: 'mongodb://127.0.0.1:1' } } }, 'test'), log);
  assert.ok(mongo instanceof MongoFaultStore);
});

test('no MongoDB answering: init fails with StoreUnavailableError, naming what failed', async () => {
  const port = await freePort();
  const store = new MongoFaultStore({ url: `mongodb://127.0.0.1:${port}/?serverSelectionTimeoutMS=300&connectTimeoutMS=300`, database: 'vipwatch', log });
  await assert.rejects(store.init(), (e: unknown) => e instanceof StoreUnavailableError && /fault store \(mongo\): connect failed/.test(e.message));
  await store.close();
});
