// Admin store backends by the name config uses (cfg.admin.backend).
import { join } from 'node:path';
import type { AdminStoreConfig, Config } from '../config.js';
import type { Logger } from '../log.js';
import type { AdminStore } from './admin.js';
import { MysqlAdminStore } from './mysql/admin.js';
import { SqliteAdminStore } from './sqlite/admin.js';

export type AdminStoreFactory = (cfg: AdminStoreConfig, log: Logger) => AdminStore;

export const adminBackends: Record<Config['admin']['backend'], AdminStoreFactory> = {
  sqlite: (cfg, log) => new SqliteAdminStore({ file: join(cfg.dataDir, 'admin.db'), log }),
  mysql: (cfg, log) => new MysqlAdminStore({ url: cfg.admin.mysql.url, log }),
};

/** The configured backend, not yet initialised: call init() before use. */
export const createAdminStore = (cfg: AdminStoreConfig, log: Logger): AdminStore => adminBackends[cfg.admin.backend](cfg, log);
