// A gazetteer of China's provinces for Grafana's geomap (its built-in ones cover countries and US states only).
// Worldmap point format, which Grafana's geomap reads: each entry's key and keys are what a lookup field may hold.
import { PROVINCES } from '../core/geo.js';

export const GAZETTEER_FILE = 'vipwatch-provinces.json';

export interface GazetteerPoint {
  key: string;
  keys: string[];
  name: string;
  latitude: number;
  longitude: number;
}

/** One point per province, looked up by pinyin id (the `province` tag), Chinese name or adcode. */
export const provinceGazetteer = (): GazetteerPoint[] =>
  PROVINCES.map((p) => ({
    key: p.id,
    keys: [p.id, p.name, String(p.adcode)],
    name: `${p.name} ${p.id}`,
    latitude: p.lat,
    longitude: p.lon,
  }));
