// The built-in provinces and ISPs (copied from shared/data so the package is self-contained).
import { readFileSync } from 'node:fs';
import type { IspInfo } from './model.js';

export interface Province { id: string; name: string; adcode: number; lat: number; lon: number }

const load = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./data/${name}`, import.meta.url), 'utf8')) as T;

export const PROVINCES: readonly Province[] = load<Province[]>('provinces.json');
export const ISPS: readonly IspInfo[] = load<IspInfo[]>('isps.json');
export const PROVINCE_IDS: ReadonlySet<string> = new Set(PROVINCES.map((p) => p.id));
export const ISP_IDS: ReadonlySet<string> = new Set(ISPS.map((i) => i.id));
