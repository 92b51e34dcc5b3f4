// One MongoDB client for faults and outbox (core/store/mongo/client.ts), checked without a server: the stores a
// process composes from one config hold the same client; it connects once for all its leases and closes once, after
// the last store closed; a failed connect is tried again by the next init; and with no server answering (a closed
// loopback port) both stores' init fail and close cleanly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MongoClient } from 'mongodb';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { MongoConnection, sharedMongo } from '../../core/store/mongo/client.js';
import { MongoFaultStore } from '../../core/store/mongo/faults.js';
import { MongoOutboxStore } from '../../core/store/mongo/outbox.js';
import { createOutboxStore } from '../../core/store/outbox-backends.js';
import { StoreUnavailableError } from '../../core/store/series.js';
import { freePort } from '../support/ports.js';

const log = createLogger('silent');
const bothMongo = (url: string) => parseConfig({ faults: { backend: 'mongo', mongo: { url } }, alerting: { outbox: { backend: 'mongo', mongo: { url } } } }, 'test');

test('faults and outbox made from one config share one MongoClient; made apart, each has its own', () => {
  const cfg = bothMongo('mongodb://127.0.0.1:1/');
  const mongo = sharedMongo(cfg);
  assert.ok(mongo);
  const faults = createFaultStore(cfg, log, mongo);
  const outbox = createOutboxStore(cfg, log, mongo);
  assert.ok(faults instanceof MongoFaultStore && outbox instanceof MongoOutboxStore);
  assert.ok(faults.connection.client instanceof MongoClient);
  assert.equal(faults.connection.client, outbox.connection.client);
  assert.equal(faults.connection, mongo);
  const alone = [createFaultStore(cfg, log), createOutboxStore(cfg, log)] as [MongoFaultStore, MongoOutboxStore];
  assert.notEqual(alone[0].connection.client, alone[1].connection.client);
  assert.notEqual(alone[0].connection.client, mongo.client);
  // nothing to share when either store is not on MongoDB
  assert.equal(sharedMongo(parseConfig({ faults: { backend: 'mongo' } }, 'test')), undefined);
  assert.equal(sharedMongo(parseConfig({ alerting: { outbox: { backend: 'mongo' } } }, 'test')), undefined);
});

test('client options: 5 s server selection unless the URL says otherwise', () => {
  assert.equal(MongoConnection.of('mongodb://127.0.0.1:1/').client.options.serverSelectionTimeoutMS, 5000);
  assert.equal(MongoConnection.of('mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300').client.options.serverSelectionTimeoutMS, 300);
  assert.equal(MongoConnection.of('mongodb://127.0.0.1:1/').client.options.appName, 'vipwatch');
});

/** A stand-in for MongoClient that counts connect() and close() (connect fails while `failing`). */
function countingClient() {
  const calls = { connect: 0, close: 0, failing: false };
  const client = {
    connect: async () => { calls.connect++; await new Promise((r) => setTimeout(r, 5)); if (calls.failing) throw new Error('no server'); },
    close: async () => { calls.close++; },
  };
  return { calls, connection: new MongoConnection(client as unknown as MongoClient) };
}

test('a shared client connects once for both leases and closes once, after the last release', async () => {
  const { calls, connection } = countingClient();
  // both stores' init at once, as the processes start them
  const [a, b] = await Promise.all([connection.lease(), connection.lease()]);
  assert.equal(a, b);
  assert.deepEqual([calls.connect, calls.close], [1, 0]);
  await connection.release();
  assert.equal(calls.close, 0, 'still leased by the other store');
  await connection.release();
  assert.equal(calls.close, 1);
  await connection.release(); // a store closed twice
  assert.equal(calls.close, 1);
});

test('a failed connect fails every waiting lease, closes the client once, and the next lease connects again', async () => {
  const { calls, connection } = countingClient();
  calls.failing = true;
  const tries = await Promise.allSettled([connection.lease(), connection.lease()]);
  assert.deepEqual(tries.map((t) => t.status), ['rejected', 'rejected']);
  assert.deepEqual([calls.connect, calls.close], [1, 1]);
  calls.failing = false;
  await connection.lease();
  assert.equal(calls.connect, 2);
  await connection.release();
  assert.equal(calls.close, 2);
});

test('no MongoDB answering: both stores on the shared client fail their init and close without error', async () => {
  const port = await freePort();
  const cfg = bothMongo(`mongodb://127.0.0.1:${port}/?serverSelectionTimeoutMS=300&connectTimeoutMS=300`);
  const mongo = sharedMongo(cfg)!;
  const faults = createFaultStore(cfg, log, mongo);
  const outbox = createOutboxStore(cfg, log, mongo);
  const [f, o] = await Promise.allSettled([faults.init(), outbox.init()]);
  assert.equal(f.status, 'rejected');
  assert.ok(f.status === 'rejected' && f.reason instanceof StoreUnavailableError && /fault store \(mongo\): connect failed/.test(f.reason.message), String((f as PromiseRejectedResult).reason));
  assert.equal(o.status, 'rejected');
  await faults.close();
  await outbox.close();
});
