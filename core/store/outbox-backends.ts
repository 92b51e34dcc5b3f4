// Outbox store backends by the name config uses (cfg.alerting.outbox.backend).
import { isAbsolute, join } from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { MongoConnection } from './mongo/client.js';
import { MongoOutboxStore } from './mongo/outbox.js';
import type { OutboxMessage, OutboxStore } from './outbox.js';
import { SqliteOutboxStore } from './sqlite/outbox.js';

export type OutboxStoreConfig = Pick<Config, 'dataDir' | 'alerting'>;

/** `mongo`: the client shared with the fault store (core/store/mongo/client.ts sharedMongo), when the process holds both */
export const outboxBackends: Record<Config['alerting']['outbox']['backend'], (cfg: OutboxStoreConfig, log: Logger, mongo?: MongoConnection) => OutboxStore<never, never>> = {
  sqlite: (cfg, log) => {
    const f = cfg.alerting.outbox.file;
    return new SqliteOutboxStore({ file: isAbsolute(f) ? f : join(cfg.dataDir, f), log });
  },
  mongo: (cfg, log, mongo) => new MongoOutboxStore({ url: cfg.alerting.outbox.mongo.url, database: cfg.alerting.outbox.mongo.database, log, connection: mongo }),
};

/**
 * The configured backend, not yet initialised: call init() before use. The type parameters say what the caller keeps
 * in it (the alerter: its AlertMessage and PolicyState); readers such as the web need only OutboxMessage.
 */
export const createOutboxStore = <M extends OutboxMessage = OutboxMessage, S = unknown>(cfg: OutboxStoreConfig, log: Logger, mongo?: MongoConnection): OutboxStore<M, S> =>
  outboxBackends[cfg.alerting.outbox.backend](cfg, log, mongo) as OutboxStore<M, S>;
