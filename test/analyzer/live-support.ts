// Shared by the live analyzer tests and their child process: stores, records with their ingest tags, the engine.
import { join } from 'node:path';
import { buildCatalog, type Catalog } from '../../core/catalog.js';
import { rulesSchema } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import type { Inventory, ResultRecord } from '../../core/model.js';
import type { StoredRecord } from '../../core/store/series.js';
import { SqliteFaultStore } from '../../core/store/sqlite/faults.js';
import { SqliteSeriesStore } from '../../core/store/sqlite/series.js';
import { Engine } from '../../analyzer/engine/engine.js';

export const silentLog = createLogger('silent');

export function stores(dataDir: string) {
  return {
    series: new SqliteSeriesStore({ file: join(dataDir, 'series.db'), log: silentLog }),
    faults: new SqliteFaultStore({ file: join(dataDir, 'faults.db'), log: silentLog }),
  };
}

export const engineFor = (catalog: Catalog): Engine => new Engine(catalog, { rules: rulesSchema.parse({}), minuteMs: 60_000 });

/** Adds the tags the gateway adds on ingest. */
export function tagged(inventory: Inventory, records: ResultRecord[]): StoredRecord[] {
  const c = buildCatalog(inventory);
  return records.map((r) => {
    const host = c.hosts.get(r.host)!;
    const dc = c.dcs.get(host.dc)!;
    const vip = c.vips.get(r.vip)!;
    return { ...r, dc: dc.id, province: dc.province, isp: dc.isp, vipDc: vip.dc, business: vip.business };
  });
}
