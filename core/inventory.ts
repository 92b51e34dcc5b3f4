// The inventory contract: one zod schema per entry kind (the types come from them), and the one validator that
// applies them and checks the cross-references, reporting every bad entry at once with file, entry and field.
// Loading and watching a file live in core/inventory-source.ts.
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ISPS, PROVINCE_IDS } from './geo.js';
import { ValidationError, readInputFile, show, type Problem } from './errors.js';
import { canonicalIp, ipFamily } from './ip.js';

const id = z.string().trim().min(1);
/** IPv4 or IPv6, kept as written (plan and records use the inventory's spelling); duplicates are found by canonical form */
const ip = z.string().trim().refine((s) => ipFamily(s) !== 0, 'not an IPv4 or IPv6 address');
/** HTTP statuses that count as success: codes (200) or classes ("2xx"); default 2xx and 3xx */
const expectStatus = z.array(z.union([z.number().int().min(100).max(599), z.string().regex(/^[1-5]xx$/, 'expected a status code or a class like "2xx"')])).min(1);
const bodyPattern = z.string().min(1).refine((s) => { try { new RegExp(s); return true; } catch { return false; } }, 'not a valid regular expression');

export const ispSchema = z.object({ id, name: z.string().default(''), zh: z.string().optional() });
export const datacenterSchema = z.object({ id, province: id, isp: id });
/** A source machine that runs the agent; inherits province and isp from its DC. `probe: false` excludes it. */
export const hostSchema = z.object({ id, ip, dc: id, probe: z.boolean().default(true) });
/** A target address served from a DC and owned by a business; a port enables tcp, a url http. */
export const vipSchema = z.object({
  ip,
  dc: id,
  business: id,
  port: z.number().int().min(1).max(65535).optional(),
  url: z.url({ protocol: /^https?$/ }).optional(),
  /** http checks: the statuses that count as success and a regular expression the body must match */
  expectStatus: expectStatus.optional(),
  bodyPattern: bodyPattern.optional(),
});
export const businessSchema = z.object({
  name: id,
  dept: z.union([z.string(), z.number()]).transform(String).optional(),
  owners: z.array(z.string().min(1)).default([]),
});

const entrySchemas = {
  isps: ispSchema,
  datacenters: datacenterSchema,
  hosts: hostSchema,
  vips: vipSchema,
  businesses: businessSchema,
} as const;

/** The whole file's shape (entry by entry; validateInventory adds the cross-references and reports per entry). */
export const inventorySchema = z.object({
  datacenters: z.array(datacenterSchema).default([]),
  hosts: z.array(hostSchema).default([]),
  vips: z.array(vipSchema).default([]),
  businesses: z.array(businessSchema).default([]),
  /** ISPs beyond the built-in ct/cu/cm that this inventory declares (e.g. edu). */
  isps: z.array(ispSchema).default([]),
});

export type Datacenter = z.infer<typeof datacenterSchema>;
export type Host = z.infer<typeof hostSchema>;
export type Vip = z.infer<typeof vipSchema>;
export type Business = z.infer<typeof businessSchema>;
export type IspInfo = z.infer<typeof ispSchema>;
export type Inventory = z.infer<typeof inventorySchema>;

type Section = keyof typeof entrySchemas;
const SECTIONS = Object.keys(entrySchemas) as Section[];

const label = (section: string, i: number, raw: unknown): string => {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const name = o.id ?? o.ip ?? o.name;
  return `${section}[${i}]` + (name !== undefined ? ` (${show(name)})` : '');
};

/** Validates parsed inventory data; `file` names the source in every problem. */
export function validateInventory(data: unknown, file: string): Inventory {
  const problems: Problem[] = [];
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new ValidationError([{ file, message: `expected an object with datacenters, hosts, vips, businesses; got ${show(data)}` }]);
  }
  const root = data as Record<string, unknown>;
  const out: Record<Section, unknown[]> = { isps: [], datacenters: [], hosts: [], vips: [], businesses: [] };
  const entryOf = new Map<unknown, string>();
  for (const section of SECTIONS) {
    const list = root[section] ?? [];
    if (!Array.isArray(list)) {
      problems.push({ file, field: section, message: `expected a list, got ${show(list)}` });
      continue;
    }
    list.forEach((raw, i) => {
      const entry = label(section, i, raw);
      const r = entrySchemas[section].safeParse(raw);
      if (!r.success) {
        for (const issue of r.error.issues) {
          const field = issue.path.join('.') || '(entry)';
          const value = issue.path.reduce<unknown>((o, k) => (o as Record<PropertyKey, unknown> | undefined)?.[k as string], raw);
          problems.push({ file, entry, field, message: `${issue.message} (value ${show(value)})` });
        }
        return;
      }
      entryOf.set(r.data, entry);
      out[section].push(r.data);
    });
  }
  const inv = out as Inventory;
  const where = (o: object) => entryOf.get(o) ?? '?';
  const dupes = <T extends object>(section: string, list: T[], key: (t: T) => string, field: string) => {
    const seen = new Map<string, T>();
    for (const e of list) {
      const k = key(e);
      const first = seen.get(k);
      if (first) problems.push({ file, entry: where(e), field, message: `duplicate ${field} ${show(k)}, first used by ${where(first)}` });
      else seen.set(k, e);
    }
    return seen;
  };
  const ispIds = new Set([...ISPS.map((i) => i.id), ...inv.isps.map((i) => i.id)]);
  dupes('isps', inv.isps, (i) => i.id, 'id');
  const dcs = dupes('datacenters', inv.datacenters, (d) => d.id, 'id');
  dupes('hosts', inv.hosts, (h) => h.id, 'id');
  dupes('vips', inv.vips, (v) => canonicalIp(v.ip), 'ip');
  const businesses = dupes('businesses', inv.businesses, (b) => b.name, 'name');
  for (const d of inv.datacenters) {
    if (!PROVINCE_IDS.has(d.province)) problems.push({ file, entry: where(d), field: 'province', message: `unknown province ${show(d.province)}` });
    if (!ispIds.has(d.isp)) problems.push({ file, entry: where(d), field: 'isp', message: `unknown isp ${show(d.isp)} (known: ${[...ispIds].join(', ')})` });
  }
  for (const h of inv.hosts) {
    if (!dcs.has(h.dc)) problems.push({ file, entry: where(h), field: 'dc', message: `unknown datacenter ${show(h.dc)}` });
  }
  for (const v of inv.vips) {
    if (!dcs.has(v.dc)) problems.push({ file, entry: where(v), field: 'dc', message: `unknown datacenter ${show(v.dc)}` });
    if (!businesses.has(v.business)) problems.push({ file, entry: where(v), field: 'business', message: `unknown business ${show(v.business)}` });
  }
  if (problems.length) throw new ValidationError(problems);
  return inv;
}

/** Parses YAML or JSON text (YAML is a superset, but JSON files get JSON's clearer errors). */
export function parseInventoryText(text: string, file: string): Inventory {
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ValidationError([{ file, message: `cannot parse: ${(e as Error).message}` }]);
  }
  return validateInventory(data, file);
}

export function loadInventory(file: string): Inventory {
  return parseInventoryText(readInputFile(file), file);
}
