// Job store backends follow the admin store's backend (cfg.admin.backend): the jobs live in its database.
import { join } from 'node:path';
import type { AdminStoreConfig, Config } from '../config.js';
import type { Logger } from '../log.js';
import type { JobStore } from './jobs.js';
import { MysqlJobStore } from './mysql/jobs.js';
import { SqliteJobStore } from './sqlite/jobs.js';

export const jobBackends: Record<Config['admin']['backend'], (cfg: AdminStoreConfig, log: Logger) => JobStore> = {
  sqlite: (cfg, log) => new SqliteJobStore({ file: join(cfg.dataDir, 'admin.db'), log }),
  mysql: (cfg, log) => new MysqlJobStore({ url: cfg.admin.mysql.url, log }),
};

/** The configured backend, not yet initialised: call init() before use (after the admin store's, for MySQL). */
export const createJobStore = (cfg: AdminStoreConfig, log: Logger): JobStore => jobBackends[cfg.admin.backend](cfg, log);
