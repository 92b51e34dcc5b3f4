// Fault store backends by the name config uses (cfg.faults.backend).
import { join } from 'node:path';
import type { Config, FaultStoreConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { FaultStore } from './faults.js';
import { MongoFaultStore } from './mongo/faults.js';
import { SqliteFaultStore } from './sqlite/faults.js';

export type FaultStoreFactory = (cfg: FaultStoreConfig, log: Logger) => FaultStore;

export const faultBackends: Record<Config['faults']['backend'], FaultStoreFactory> = {
  sqlite: (cfg, log) => new SqliteFaultStore({ file: join(cfg.dataDir, 'faults.db'), log }),
  mongo: (cfg, log) => new MongoFaultStore({ url: cfg.faults.mongo.url, database: cfg.faults.mongo.database, log }),
};

/** The configured backend, not yet initialised: call init() before use. */
export const createFaultStore = (cfg: FaultStoreConfig, log: Logger): FaultStore => faultBackends[cfg.faults.backend](cfg, log);
