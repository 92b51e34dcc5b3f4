// Series store backends by config name (cfg.series.backend). Adding a backend = one file + one line here.
import { join } from 'node:path';
import type { Config, SeriesStoreConfig } from '../config.js';
import { parseDuration } from '../duration.js';
import type { Logger } from '../log.js';
import { InfluxSeriesStore } from './influx/series.js';
import type { SeriesStore } from './series.js';
import { SqliteSeriesStore } from './sqlite/series.js';

export type SeriesStoreFactory = (cfg: SeriesStoreConfig, log: Logger) => SeriesStore;

export const seriesBackends: Record<Config['series']['backend'], SeriesStoreFactory> = {
  sqlite: (cfg, log) => new SqliteSeriesStore({
    file: join(cfg.dataDir, 'series.db'), log,
    keep: { retention: parseDuration(cfg.series.sqlite.retention), rollupRetention: parseDuration(cfg.series.sqlite.rollupRetention) },
  }),
  influx: (cfg, log) => new InfluxSeriesStore({ ...cfg.series.influx, minuteSec: cfg.minuteSec, log }),
};

export const createSeriesStore = (cfg: SeriesStoreConfig, log: Logger): SeriesStore => seriesBackends[cfg.series.backend](cfg, log);
