// The map view's layout: every province as one cell of a 9 x 8 grid, placed roughly where it lies (a tile-grid map,
// as newsrooms draw US states). It needs no geographic shapes: ECharts no longer ships China's, and a drawn map
// would make Xinjiang and Xizang dominate while Beijing, Tianjin and Shanghai vanish. Pure data.
import type { Province } from '../core/geo.js';

/** province id -> [column, row], 0-based; north-west is [0, 0]. */
export const TILE_POSITIONS: Readonly<Record<string, readonly [number, number]>> = {
  heilongjiang: [8, 0],
  neimenggu: [5, 1], beijing: [6, 1], liaoning: [7, 1], jilin: [8, 1],
  xinjiang: [1, 2], gansu: [3, 2], ningxia: [4, 2], shanxi: [5, 2], hebei: [6, 2], tianjin: [7, 2],
  qinghai: [2, 3], shaanxi: [4, 3], henan: [5, 3], shandong: [6, 3],
  xizang: [1, 4], sichuan: [3, 4], chongqing: [4, 4], hubei: [5, 4], anhui: [6, 4], jiangsu: [7, 4],
  yunnan: [3, 5], guizhou: [4, 5], hunan: [5, 5], jiangxi: [6, 5], zhejiang: [7, 5], shanghai: [8, 5],
  guangxi: [4, 6], guangdong: [5, 6], fujian: [6, 6],
  hainan: [4, 7],
};

/**
 * Where each province goes: its fixed tile, or (for a province this table does not know) a free tile near its
 * longitude and latitude, so an extended province list still draws.
 */
export function tilesOf(provinces: readonly Province[]): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  const used = new Set(Object.values(TILE_POSITIONS).map(([c, r]) => `${c},${r}`));
  for (const p of provinces) {
    const fixed = TILE_POSITIONS[p.id];
    if (fixed) { out.set(p.id, [fixed[0], fixed[1]]); continue; }
    // China spans about 73-135 E and 18-53 N
    let c = Math.max(0, Math.min(8, Math.round(((p.lon - 75) / 60) * 8)));
    let r = Math.max(0, Math.min(7, Math.round(((53 - p.lat) / 35) * 7)));
    for (let i = 0; used.has(`${c},${r}`) && i < 72; i++) { c = (c + 1) % 9; if (c === 0) r = (r + 1) % 8; }
    used.add(`${c},${r}`);
    out.set(p.id, [c, r]);
  }
  return out;
}
