// Fault store backends by the name config uses (cfg.faults.backend).
import { join } from 'node:path';
import type { Config, FaultStoreConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { FaultStore } from './faults.js';
import type { MongoConnection } from './mongo/client.js';
import { MongoFaultStore } from './mongo/faults.js';
import { SqliteFaultStore } from './sqlite/faults.js';

/** `mongo`: the client shared with the outbox store (core/store/mongo/client.ts sharedMongo), when the process holds both */
export type FaultStoreFactory = (cfg: FaultStoreConfig, log: Logger, mongo?: MongoConnection) => FaultStore;

export const faultBackends: Record<Config['faults']['backend'], FaultStoreFactory> = {
  sqlite: (cfg, log) => new SqliteFaultStore({ file: join(cfg.dataDir, 'faults.db'), log }),
  mongo: (cfg, log, mongo) => new MongoFaultStore({ url: cfg.faults.mongo.url, database: cfg.faults.mongo.database, log, connection: mongo }),
};

/** The configured backend, not yet initialised: call init() before use. */
export const createFaultStore = (cfg: FaultStoreConfig, log: Logger, mongo?: MongoConnection): FaultStore => faultBackends[cfg.faults.backend](cfg, log, mongo);
