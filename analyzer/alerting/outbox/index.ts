// The outbox backend registry: config.alerting.outbox.backend -> store.
import { isAbsolute, join } from 'node:path';
import type { Config } from '../../../core/config.js';
import { MongoOutboxStore } from './mongo.js';
import { SqliteOutboxStore } from './sqlite.js';
import type { OutboxStore } from './store.js';

export type { Delivery, NewDelivery, OutboxStore } from './store.js';

export const outboxBackends: Record<Config['alerting']['outbox']['backend'], (cfg: Config) => OutboxStore> = {
  sqlite: (cfg) => {
    const f = cfg.alerting.outbox.file;
    return new SqliteOutboxStore(isAbsolute(f) ? f : join(cfg.dataDir, f));
  },
  mongo: (cfg) => new MongoOutboxStore(cfg.alerting.outbox.mongo.url, cfg.alerting.outbox.mongo.database),
};

export const createOutboxStore = (cfg: Config): OutboxStore => outboxBackends[cfg.alerting.outbox.backend](cfg);
