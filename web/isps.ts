// The ISPs the pages show: the built-in three, then any extra the inventory names (e.g. edu).
import type { Catalog } from '../core/catalog.js';
import { ISPS } from '../core/geo.js';
import type { IspInfo } from '../core/model.js';

export const ispsOf = (catalog: Catalog): IspInfo[] => {
  const extra = catalog.inventory.isps.filter((i) => !ISPS.some((b) => b.id === i.id));
  return [...ISPS, ...extra];
};
