// One schema for the whole configuration: a YAML file plus environment overrides.
// Every key has a default, so no file is needed to start.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError, show, type Problem } from './errors.js';
import { isSecretKey, redactConfigValue, redactUrl } from './redact.js';
import { parseDuration } from './duration.js';
import { alertingSchema, duration, rulesSchema, timeZone, url } from './config-sections.js';

export { alertingSchema, rulesSchema, type AlertingConfig, type Rules } from './config-sections.js';


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
  /** How often the inventory file is checked for changes (ms); a valid change reaches every part, a bad one is refused. */
  inventoryWatchMs: z.number().int().min(50).default(5000),
  plan: z.object({
    redundancy: z.number().int().min(1).default(1),
    probesPerMinute: z.number().int().min(1).max(600).default(10),
  }).default({ redundancy: 1, probesPerMinute: 10 }),
  series: z.object({
    backend: z.enum(['sqlite', 'influx']).default('sqlite'),
    /** The embedded store keeps raw minutes, the per-minute group rollup and fault events for `retention`, the hourly rollup for `rollupRetention` (as the influx retention policies). */
    sqlite: z.object({
      retention: duration.default('30d'),
      rollupRetention: duration.default('400d'),
    }).prefault({}),
    influx: z.object({
      url: url.default('http://127.0.0.1:8086'),
      database: z.string().default('vipwatch'),
      retentionPolicy: z.string().default('vipwatch'),
      retention: z.string().default('30d'),
      rollupRetention: z.string().default('400d'),
      username: z.string().optional(),
      password: z.string().optional(),
      token: z.string().optional(),
      /** Lines per /write request (InfluxDB's guidance: 5,000-10,000). */
      linesPerWrite: z.number().int().min(1).default(5_000),
      /** Milliseconds before a request to InfluxDB counts as failed (the agent then gets 503). */
      timeoutMs: z.number().int().min(100).default(10_000),
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
    /** Most records one POST may carry (413 beyond): bounds the CPU one token can spend per request. */
    maxRecordsPerPost: z.number().int().min(1).max(200_000).default(20_000),
    /** Records older than this are refused: it matches the agent spool's maximum age. */
    maxAgeSec: z.number().int().min(60).default(86_400),
    maxFutureSec: z.number().int().min(0).default(120),
    /** The ingest queue gathers concurrent requests' records into store writes of up to this many records (whole
     * requests; one larger request goes alone): the size InfluxDB takes in one request (series.influx.linesPerWrite). */
    batchRecords: z.number().int().min(1).default(5_000),
    /** Records waiting or being written; beyond this new requests get 503 + Retry-After (bounded memory). */
    maxPendingRecords: z.number().int().min(1).default(200_000),
    /** Store writes in flight at once. */
    writers: z.number().int().min(1).max(16).default(2),
    /** Retry-After (s) of a 503; after a store failure the gateway also waits this long before trying the store again. */
    retryAfterSec: z.number().int().min(1).default(5),
    /** Record keys (host, vip, method, ts) remembered to count re-deliveries (vipwatch_ingest_duplicate_records_total;
     * about 20 bytes each); 0 turns the count off. */
    duplicateWindow: z.number().int().min(0).default(400_000),
  }).prefault({}),
  /** Agent token revocation (gateway/tokens.ts): generations live in the admin store, shared by every gateway. */
  agentTokens: z.object({
    /** How often each gateway re-reads the generations: a revoked token is refused everywhere within this time. */
    refreshSec: z.number().min(0.05).max(3600).default(30),
  }).prefault({}),
  agent: z.object({
    /** Ceiling on probes per target per minute; the gateway's intervalSec sets the rate below it. */
    probesPerMinute: z.number().int().min(1).max(600).default(10),
    timeoutMs: z.number().int().min(10).max(10_000).default(2000),
    /** Global rate cap (probes per second, all methods) that protects the host. */
    maxProbesPerSec: z.number().int().min(1).default(500),
    /**
     * Shortest wait between two engine wake-ups: fewer wake-ups cost less CPU; probes due within one leave together.
     * 200 ms: 5 wake-ups a second, the longest tick whose echo replies at the default maxProbesPerSec fit a socket's
     * default receive buffer (208 ms). bench:agent at 2,500 targets, in turn: 0.43%, 0.40% of a core against 0.50%,
     * 0.59% at 100 ms (and 0.67-0.77% at 100 ms against 0.85-0.89% at 50 ms on a VM with costlier system calls).
     */
    tickMs: z.number().int().min(1).max(1000).default(200),
    /**
     * Where ICMP and TCP targets are probed: "native", in the addon's schedule (no JavaScript per probe; the agent
     * falls back to "js" when the addon is not built), or "js", in the engine with the http targets.
     */
    schedule: z.enum(['native', 'js']).default('native'),
    /** Task list cache and spool live here; unset means <dataDir>/agent. */
    dir: z.string().optional(),
    spool: z.object({
      maxBatches: z.number().int().min(1).default(1440),
      /** Batches older than this are dropped: the gateway refuses them (ingest.maxAgeSec). */
      maxAgeSec: z.number().int().min(60).default(86_400),
    }).prefault({}),
    /** Past this age without the gateway confirming it, the last task list is no longer probed (fail closed). */
    maxListAgeSec: z.number().int().min(60).default(86_400),
    /** Task pull period: divides an hour (or a day, in whole hours); each agent picks a random offset within it. */
    pullIntervalSec: z.number().int().min(1).default(3600)
      .refine((s) => (s < 60 ? 60 % s === 0 : s < 3600 ? s % 60 === 0 && 3600 % s === 0 : s % 3600 === 0 && 86_400 % s === 0),
        'must divide 60 s, or be whole minutes dividing an hour, or whole hours dividing a day'),
    /** After a failed pull, the next try comes this much later (plus jitter), not an hour later. */
    pullRetrySec: z.number().int().min(1).default(60),
    /** A minute's records are posted in batches of at most this many. */
    maxBatchRecords: z.number().int().min(1).default(5000),
    postTimeoutMs: z.number().int().min(100).default(10_000),
    /** Serves /metrics and /healthz on 127.0.0.1 when set. */
    metricsPort: z.number().int().min(0).max(65535).optional(),
    /** On-demand jobs (agent/jobs.ts): at most this many run at once; more wait for a slot until their startBy. */
    maxJobs: z.number().int().min(1).max(64).default(2),
    /** Packets per second all on-demand jobs together may send (probes, traceroute packets), beside maxProbesPerSec. */
    jobProbesPerSec: z.number().int().min(1).default(100),
    /** How long the agent's job poll (GET /api/v1/jobs?wait=) asks the gateway to hold it; 0 turns jobs off. */
    jobWaitSec: z.number().int().min(0).max(55).default(25),
    /**
     * The agent gives back the pages of node's binary and libraries it no longer uses (agent/page-release.ts) once
     * probing has started, again after its first minute went out, then every this many seconds; 0: never.
     */
    releasePagesSec: z.number().int().min(0).default(3600),
  }).prefault({}),
  analyzer: z.object({
    graceSec: z.number().min(0).default(45),
    /** an https VIP whose certificate has fewer days left than this gets an informational warning (analyzer/cert-expiry.ts) */
    certWarnDays: z.number().min(0).max(3650).default(14),
    rules: rulesSchema.prefault({}),
    /** Path capture (analyzer/pathcapture): traceroutes when a root fault opens, and the diagnosis from them. */
    pathCapture: z.object({
      enabled: z.boolean().default(true),
      /** VIPs of the fault traced to, sources inside its scope, comparison sources outside it */
      vips: z.number().int().min(1).max(10).default(3),
      inside: z.number().int().min(1).max(50).default(6),
      outside: z.number().int().min(0).max(50).default(3),
      /** how often the jobs' results are looked at */
      pollMs: z.number().int().min(50).default(1000),
    }).prefault({}),
    /** Optional YAML/JSON file naming hops by prefix ("202.97.12.0/24": CT backbone Guangzhou) in diagnoses. */
    pathNames: z.string().optional(),
  }).prefault({}),
  alerting: alertingSchema.prefault({}),
  /** On-demand probe jobs (contract "On-demand probes and path capture"): core/job-service.ts, gateway/jobs.ts. */
  probes: z.object({
    /** Targets beyond the inventory's VIPs that jobs may probe (CIDR, IPv4 or IPv6); anything else is refused (403). */
    allowCidrs: z.array(z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, 'expected a CIDR such as 198.51.100.0/24')).default([]),
    /** Jobs one requester may start per window, and jobs to one target address per window (429 beyond). */
    perRequester: z.number().int().min(1).default(10),
    perTarget: z.number().int().min(1).default(6),
    rateWindowSec: z.number().int().min(1).default(60),
    /** Probes per source (ping methods) when the request gives no count, and the most a request may ask. */
    defaultCount: z.number().int().min(1).default(10),
    maxCount: z.number().int().min(1).max(1000).default(60),
    intervalMs: z.number().int().min(10).max(60_000).default(500),
    timeoutMs: z.number().int().min(10).max(60_000).default(2000),
    /** Traceroute: probes per hop by default, highest TTL, and how long each round waits for its answers. */
    traceCount: z.number().int().min(1).max(10).default(3),
    maxTtl: z.number().int().min(1).max(64).default(30),
    traceTimeoutMs: z.number().int().min(10).max(10_000).default(1000),
    /** Agents must start a job within this long of its creation (signed into the job: later it is refused). */
    startWithinSec: z.number().int().min(5).default(30),
    /** Results are taken until the probes' end plus this; then the job is done whatever is missing. */
    resultGraceSec: z.number().int().min(1).default(10),
    /** How often each gateway looks in the job store for new jobs (the delay to agents is at most about this). */
    pollMs: z.number().int().min(50).default(1000),
    /** Longest hold of an agent's job poll. */
    maxWaitSec: z.number().int().min(1).max(300).default(55),
  }).prefault({}),
  /** Web UI and its API (web/): first admin, sessions, login limits, board thresholds. */
  web: z.object({
    /** Seeds the first admin when no user exists; unset password = one is generated into dataDir/web-admin-password. */
    adminUser: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/).default('admin'),
    adminPassword: z.string().min(8).optional(),
    sessionTtlSec: z.number().int().min(60).default(43_200),
    /** Adds Secure to cookies: set when the UI is served over HTTPS (e.g. behind a TLS proxy). */
    secureCookies: z.boolean().default(false),
    /** Login attempts per (client IP, user name): a burst, then one more every refillSec. */
    loginBurst: z.number().int().min(1).default(5),
    loginRefillSec: z.number().min(0.1).default(12),
    /** Login attempts per user name from all addresses together (a guesser rotating addresses), refilled alike. */
    loginAccountBurst: z.number().int().min(1).default(10),
    /**
     * Proxies whose X-Forwarded-For names the client (express "trust proxy": addresses, CIDRs, or loopback,
     * linklocal, uniquelocal); [] = none, the client is the socket's peer.
     */
    trustProxy: z.array(z.string().min(1)).default(['loopback']),
    /** When true, GET /api/v1/faults and /api/v1/whitelist also need a session or API token. */
    apiReadAuth: z.boolean().default(false),
    /** Base URL printed in the start-up log (defaults to http://bind:port). */
    url: url.optional(),
    /** Local time zone the pages show beside UTC (and draw chart axes in); UTC shows UTC only. */
    timeZone: timeZone.default('UTC'),
    board: z.object({
      minutes: z.number().int().min(1).max(120).default(15),
      refreshSec: z.number().min(0.2).default(5),
      lossWarnPct: z.number().min(0).max(100).default(2),
      lossBadPct: z.number().min(0).max(100).default(20),
      rttWarnMs: z.number().min(0).default(100),
      rttBadMs: z.number().min(0).default(200),
    }).prefault({}),
  }).prefault({}),
  /** The simulated fleet of `vipwatch start` (agent/sim): one real agent per inventory host on the "sim" probe backend. */
  sim: z.object({
    /** unset: on when no inventory file is configured (the built-in demo), off otherwise */
    enabled: z.boolean().optional(),
    /** seeds every random draw (jitter, loss, spikes), so a run can be repeated */
    seed: z.number().int().default(1),
    /** hosts the simulation leaves alone, for real agents joining the same gateway */
    exclude: z.array(z.string()).default([]),
    /** RTT = baseMs + msPer100Km x great-circle distance + ispCrossMs when the host's isp is not the VIP DC's + jitter */
    baseMs: z.number().min(0).default(3),
    msPer100Km: z.number().min(0).default(1),
    ispCrossMs: z.number().min(0).default(25),
    /** mean of the exponential per-probe jitter */
    jitterMs: z.number().min(0).default(2),
    /** background loss, percent of probes */
    lossPct: z.number().min(0).max(100).default(0.3),
    /** one group (province x isp) has one bad minute in every block of everyMinutes (0 = no spikes) */
    spikes: z.object({
      everyMinutes: z.number().int().min(0).default(5),
      lossPct: z.number().min(0).max(100).default(90),
    }).prefault({}),
    /** the scripted outage: VIPs of `dc` lose lossPct of the probes from `isps`, minutes counted from the fleet's start */
    incident: z.object({
      /** unset: the first DC that serves VIPs */
      dc: z.string().optional(),
      isps: z.array(z.string()).min(1).default(['ct', 'cu']),
      startMinute: z.number().int().min(0).default(1),
      /** 0 = no incident */
      minutes: z.number().int().min(0).default(4),
      lossPct: z.number().min(0).max(100).default(98),
    }).prefault({}),
    /** the scripted latency act: a routing detour adds addMs to the probes from `isps` to the VIPs of `dc` */
    latency: z.object({
      /** unset: the second DC that serves VIPs (the first has the outage) */
      dc: z.string().optional(),
      isps: z.array(z.string()).min(1).default(['cu']),
      startMinute: z.number().int().min(0).default(8),
      /** 0 = no latency act */
      minutes: z.number().int().min(0).default(4),
      addMs: z.number().min(0).default(40),
      /** the fleet starts from an empty store: `start` caps the analyzer's baseline window and history to these */
      baselineMinutes: z.number().int().min(1).default(60),
      baselineMinSamples: z.number().int().min(1).default(3),
    }).prefault({}),
  }).prefault({}),
}).strict();

export type Config = z.infer<typeof configSchema>;

/*
 * Each part's slice of the configuration: a part is built from what it reads, so callers and tests need not make up
 * the rest. Settings that must agree across slices are checked once, in parseConfig (agreementProblems).
 */
export type SeriesStoreConfig = Pick<Config, 'dataDir' | 'minuteSec' | 'series'>;
export type FaultStoreConfig = Pick<Config, 'dataDir' | 'faults'>;
export type AdminStoreConfig = Pick<Config, 'dataDir' | 'admin'>;
/** What the one inventory source is built from (core/inventory-source.ts). */
export type InventoryConfig = Pick<Config, 'inventory' | 'inventoryWatchMs'>;
export type GatewayConfig = SeriesStoreConfig & AdminStoreConfig & Pick<Config, 'secret' | 'inventory' | 'inventoryWatchMs' | 'plan' | 'ingest' | 'agentTokens' | 'probes'>;
export type AgentConfig = Pick<Config, 'dataDir' | 'minuteSec' | 'agent'>;
export type WebConfig = Pick<Config, 'dataDir' | 'minuteSec' | 'web' | 'alerting' | 'analyzer' | 'plan'>;
/** The alerter's slice: its channels and outbox, and the minute its reminders are counted in. */
export type AlertingPartConfig = Pick<Config, 'dataDir' | 'minuteSec' | 'alerting'>;
export type AnalyzerConfig = AlertingPartConfig & Pick<Config, 'analyzer'>;

/**
 * Environment overrides: PORT, DATA_DIR, and VIPWATCH_A__B=value for key a.b (values parsed as JSON when they are,
 * except secrets: a password "20240601" stays the string it is).
 */
/** VIPWATCH_ variables that commands read themselves (the config file, the agent's gateway and token): not config keys. */
const COMMAND_ENV = new Set(['VIPWATCH_CONFIG', 'VIPWATCH_AGENT_GATEWAY', 'VIPWATCH_AGENT_TOKEN']);

export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (path: string[], raw: string) => {
    let value: unknown = raw;
    if (!isSecretKey(path[path.length - 1]!)) {
      try { value = JSON.parse(raw); } catch { /* a plain string */ }
    }
    let o = out;
    path.slice(0, -1).forEach((k) => { o = (o[k] ??= {}) as Record<string, unknown>; });
    o[path[path.length - 1]!] = value;
  };
  const camel = (s: string) => s.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (k === 'PORT') set(['port'], v);
    else if (k === 'DATA_DIR') set(['dataDir'], v);
    else if (k.startsWith('VIPWATCH_') && !COMMAND_ENV.has(k)) set(k.slice(9).split('__').map(camel), v);
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
  if (r.success) {
    const disagree = agreementProblems(r.data);
    if (!disagree.length) return r.data;
    throw new ValidationError(disagree.map((p) => ({ file: source, field: p.field, message: p.message })));
  }
  const problems: Problem[] = r.error.issues.map((issue) => {
    const at = (o: unknown, k: PropertyKey) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined);
    // secrets are named by their key, never shown (finding 6)
    const value = redactConfigValue(issue.path, issue.path.reduce<unknown>(at, raw));
    const key = issue.path.join('.') || '(root)';
    return { file: source, field: key, message: `${issue.message}${value !== undefined ? ` (value ${show(value)})` : ''}` };
  });
  throw new ValidationError(problems);
}

/**
 * Settings that several parts must agree on, checked here once so every command (gateway, agent, analyzer, web)
 * refuses the same file with the same words. Pure.
 */
export function agreementProblems(cfg: Config): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (cfg.agent.spool.maxAgeSec > cfg.ingest.maxAgeSec) {
    out.push({ field: 'agent.spool.maxAgeSec', message: `must not exceed ingest.maxAgeSec (${cfg.ingest.maxAgeSec}): spooled records older than the gateway accepts would be lost (value ${cfg.agent.spool.maxAgeSec})` });
  }
  if (cfg.plan.probesPerMinute > cfg.agent.probesPerMinute) {
    out.push({ field: 'plan.probesPerMinute', message: `must not exceed agent.probesPerMinute (${cfg.agent.probesPerMinute}), the agents' ceiling: they would probe slower than planned (value ${cfg.plan.probesPerMinute})` });
  }
  if (cfg.agent.maxBatchRecords > cfg.ingest.maxRecordsPerPost) {
    out.push({ field: 'agent.maxBatchRecords', message: `must not exceed ingest.maxRecordsPerPost (${cfg.ingest.maxRecordsPerPost}): the gateway would refuse the agents' batches (value ${cfg.agent.maxBatchRecords})` });
  }
  const sq = cfg.series.sqlite;
  // a late record replacing a stored one has its hourly rollup summed again from the hour's minutes: the hour may start
  // up to an hour before the oldest minute the gateway takes, and all of its minutes must still be kept
  const keepSec = cfg.ingest.maxAgeSec + 3600;
  if (parseDuration(sq.retention) < keepSec * 1000) {
    out.push({ field: 'series.sqlite.retention', message: `must be at least ingest.maxAgeSec plus one hour (${keepSec}s): a late record's hour is summed again from its minutes, which must all still be kept (value "${sq.retention}")` });
  }
  if (parseDuration(sq.rollupRetention) < parseDuration(sq.retention)) {
    out.push({ field: 'series.sqlite.rollupRetention', message: `must not be shorter than series.sqlite.retention (${sq.retention}): the hourly rollup would go before the minutes it sums (value "${sq.rollupRetention}")` });
  }
  const a = cfg.alerting;
  if (parseDuration(a.reminderInterval) < cfg.minuteSec * 1000) {
    out.push({ field: 'alerting.reminderInterval', message: `must be at least one analyzer minute, ${cfg.minuteSec}s (value "${a.reminderInterval}")` });
  }
  a.webhooks.forEach((w, i) => {
    if (a.webhooks.findIndex((o) => o.name === w.name) < i) out.push({ field: `alerting.webhooks.${i}.name`, message: `two webhooks share this name (value ${show(w.name)})` });
  });
  a.maintenance.forEach((w, i) => {
    if (parseDuration(w.duration) <= 0) out.push({ field: `alerting.maintenance.${i}.duration`, message: `must be positive (value "${w.duration}")` });
    // a date the pattern lets through (month 13, Feb 30) would otherwise never match
    const [y, mo, d, h, mi] = (/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(w.start) ?? []).slice(1).map(Number) as number[];
    const t = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!));
    if (t.getUTCMonth() !== mo! - 1 || t.getUTCDate() !== d || h! > 23 || mi! > 59) out.push({ field: `alerting.maintenance.${i}.start`, message: `not a valid time (value "${w.start}")` });
  });
  const outbox = cfg.alerting.outbox;
  if (cfg.faults.backend === 'mongo' && outbox.backend === 'mongo' && outbox.mongo.url !== cfg.faults.mongo.url) {
    out.push({ field: 'alerting.outbox.mongo.url', message: `must equal faults.mongo.url (${show(redactUrl(cfg.faults.mongo.url))}): faults and outbox share one MongoDB client (value ${show(redactUrl(outbox.mongo.url))})` });
  }
  return out;
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
