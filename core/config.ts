// One schema for the whole configuration: a YAML file plus environment overrides.
// Every key has a default, so no file is needed to start.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError, show, type Problem } from './errors.js';

const url = z.string().url();

export const rulesSchema = z.object({
  /** A (vip, province, isp) minute is lossy when its median loss% is above this. */
  lossPct: z.number().min(0).max(100).default(50),
  smoothWindow: z.number().int().min(1).default(5),
  smoothNeed: z.number().int().min(1).default(3),
  /** Minutes a condition must stay false before its fault ends. */
  recoverMinutes: z.number().int().min(1).default(5),
  agentLossyShare: z.number().min(0).max(1).default(0.8),
  agentOthersMax: z.number().min(0).max(1).default(0.2),
  vipProvinceShare: z.number().min(0).max(1).default(0.5),
  dcMinIsps: z.number().int().min(1).default(2),
  dcVipShare: z.number().min(0).max(1).default(1 / 3),
  provinceBadShare: z.number().min(0).max(1).default(0.5),
  ispProvinceShare: z.number().min(0).max(1).default(1 / 3),
  ispVipShare: z.number().min(0).max(1).default(1 / 3),
  ispMinDcs: z.number().int().min(1).default(2),
});
export type Rules = z.infer<typeof rulesSchema>;

export const configSchema = z.object({
  port: z.number().int().min(0).max(65535).default(8080),
  bind: z.string().default('127.0.0.1'),
  dataDir: z.string().default('./data'),
  /** Length of a "minute" in seconds: 60 in production; drills and demos shorten it. */
  minuteSec: z.number().int().min(1).max(60).default(60),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Gateway secret for agent tokens; when unset one is generated once and kept in dataDir. */
  secret: z.string().min(16).optional(),
  /** Inventory file; unset means the built-in demo inventory. */
  inventory: z.string().optional(),
  plan: z.object({
    redundancy: z.number().int().min(1).default(1),
    probesPerMinute: z.number().int().min(1).max(600).default(10),
  }).default({ redundancy: 1, probesPerMinute: 10 }),
  series: z.object({
    backend: z.enum(['sqlite', 'influx']).default('sqlite'),
    influx: z.object({
      url: url.default('http://127.0.0.1:8086'),
      database: z.string().default('vipwatch'),
      retentionPolicy: z.string().default('vipwatch'),
      retention: z.string().default('30d'),
      rollupRetention: z.string().default('400d'),
      username: z.string().optional(),
      password: z.string().optional(),
      token: z.string().optional(),
    }).prefault({}),
  }).prefault({}),
  faults: z.object({
    backend: z.enum(['sqlite', 'mongo']).default('sqlite'),
    mongo: z.object({ url: z.string().default('mongodb://127.0.0.1:27017'), database: z.string().default('vipwatch') }).prefault({}),
  }).prefault({}),
  admin: z.object({
    backend: z.enum(['sqlite', 'mysql']).default('sqlite'),
    mysql: z.object({ url: z.string().default('mysql://root@127.0.0.1:3306/vipwatch') }).prefault({}),
  }).prefault({}),
  ingest: z.object({
    bodyLimit: z.string().default('1mb'),
    /** Records older than this are refused: it matches the agent spool's maximum age. */
    maxAgeSec: z.number().int().min(60).default(86_400),
    maxFutureSec: z.number().int().min(0).default(120),
  }).prefault({}),
  analyzer: z.object({
    graceSec: z.number().min(0).default(45),
    rules: rulesSchema.prefault({}),
  }).prefault({}),
}).strict();

export type Config = z.infer<typeof configSchema>;

/** Environment overrides: PORT, DATA_DIR, and VIPWATCH_A__B=value for key a.b (values parsed as JSON when they are). */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (path: string[], raw: string) => {
    let value: unknown = raw;
    try { value = JSON.parse(raw); } catch { /* a plain string */ }
    let o = out;
    path.slice(0, -1).forEach((k) => { o = (o[k] ??= {}) as Record<string, unknown>; });
    o[path[path.length - 1]!] = value;
  };
  const camel = (s: string) => s.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (k === 'PORT') set(['port'], v);
    else if (k === 'DATA_DIR') set(['dataDir'], v);
    else if (k.startsWith('VIPWATCH_') && k !== 'VIPWATCH_CONFIG') set(k.slice(9).split('__').map(camel), v);
  }
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** Validates raw config; `source` names the file (or "defaults") in every problem. */
export function parseConfig(raw: unknown, source: string): Config {
  const r = configSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const problems: Problem[] = r.error.issues.map((issue) => {
    const value = issue.path.reduce<unknown>((o, k) => (isObj(o) ? o[k as string] : undefined), raw);
    const key = issue.path.join('.') || '(root)';
    return { file: source, field: key, message: `${issue.message}${value !== undefined ? ` (value ${show(value)})` : ''}` };
  });
  throw new ValidationError(problems);
}

/** Reads FILE (if given or VIPWATCH_CONFIG is set), applies env overrides, validates. */
export function loadConfig(file = process.env.VIPWATCH_CONFIG, env: NodeJS.ProcessEnv = process.env, extra: Record<string, unknown> = {}): Config {
  let fromFile: Record<string, unknown> = {};
  if (file) {
    if (!existsSync(file)) throw new ValidationError([{ file, message: 'config file not found' }]);
    try {
      fromFile = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
    } catch (e) {
      throw new ValidationError([{ file, message: `cannot parse: ${(e as Error).message}` }]);
    }
    if (!isObj(fromFile)) throw new ValidationError([{ file, message: `expected a mapping, got ${show(fromFile)}` }]);
  }
  const merged = deepMerge(deepMerge(fromFile, envOverrides(env)), extra);
  return parseConfig(merged, file ? `${file} (+ environment)` : 'environment');
}
