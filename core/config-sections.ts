// The configuration's larger sections (fault rules, alerting), kept apart so core/config.ts stays readable.
import { z } from 'zod';
export const url = z.string().url();

export const rulesSchema = z.object({
  /** A (vip, province, isp) minute is lossy when its median loss% is above this. */
  lossPct: z.number().min(0).max(100).default(50),
  /** at most 16: the engine keeps 16-bit histories */
  smoothWindow: z.number().int().min(1).max(16).default(5),
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
  /** Latency faults on (default) or off (loss only). */
  latencyFaults: z.boolean().default(true),
  /** Latency faults: a cell's baseline is the median of its latency over this many minutes before the smoothing window. */
  baselineMinutes: z.number().int().min(1).max(20_160).default(1440),
  /** Minutes of latency a baseline needs; a cell with fewer is never slow. */
  baselineMinSamples: z.number().int().min(1).default(30),
  /** A cell is slow when its latency is above max(baseline x latencyRatio, baseline + latencyMinDeltaMs). */
  latencyRatio: z.number().min(1).default(1.5),
  latencyMinDeltaMs: z.number().min(0).default(20),
  /**
   * The live analyzer checkpoints the latency baselines in this many parts, one part a minute in turn (not all of
   * them every minute: ~480 MB of state at 10,000 VIPs x 93 groups); a restart replays at most this many minutes
   * from the series store to bring them up to date.
   */
  baselineCheckpointMinutes: z.number().int().min(1).max(120).default(10),
}).refine((r) => r.smoothNeed <= r.smoothWindow, { path: ['smoothNeed'], message: 'must not exceed smoothWindow: nothing could ever be lossy' })
  .refine((r) => r.baselineMinSamples <= r.baselineMinutes, { path: ['baselineMinSamples'], message: 'must not exceed baselineMinutes: nothing could ever be slow' });
export type Rules = z.infer<typeof rulesSchema>;

/** "90s", "30m", "1h", "2d": durations in the alerting section. */
export const duration = z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'expected a duration such as 90s, 30m, 1h, 2d');
export const timeZone = z.string().refine((tz) => { try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); return true; } catch { return false; } },
  'expected an IANA time zone such as Asia/Shanghai or UTC');
const severity = z.enum(['critical', 'informational']);

/** Alerting (analyzer/alerting): recipients, channels, lifecycle, maintenance windows, outbox. */
export const alertingSchema = z.object({
  from: z.string().min(3).default('vipwatch <vipwatch@localhost>'),
  /** Gets every DC, ISP, region and agent root fault. */
  networkTeam: z.array(z.string().min(3)).default(['network-team@localhost']),
  /** Base URLs for links in messages: the web UI's fault and VIP pages, and (only when set) the Grafana VIP board. */
  webUrl: url.default('http://127.0.0.1:8080'),
  grafanaUrl: url.optional(),
  /** Time zone for the times shown in messages (they also show UTC). */
  timeZone: timeZone.default('Asia/Shanghai'),
  /** Unset: no email channel (messages still go to webhooks and stay in the outbox). */
  smtp: z.object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(25),
    secure: z.boolean().default(false),
    /** off: never upgrade (e.g. a local relay); require: refuse to send without STARTTLS. */
    starttls: z.enum(['auto', 'off', 'require']).default('auto'),
    user: z.string().optional(),
    pass: z.string().optional(),
    /** PEM file of a CA (or of the server's self-signed certificate) to trust for the server's TLS certificate, besides the system's. */
    ca: z.string().min(1).optional(),
    timeoutMs: z.number().int().min(100).default(10_000),
  }).optional(),
  webhooks: z.array(z.object({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    url,
    headers: z.record(z.string(), z.string()).default({}),
    timeoutMs: z.number().int().min(100).default(10_000),
  })).default([]),
  /** Writes every message as an RFC 5322 .eml file into this directory (channel "eml"); unset: off. `start` with the simulated fleet uses dataDir/mail. */
  emlDir: z.string().min(1).optional(),
  reminderInterval: duration.default('1h'),
  /** critical: sent at once; informational: held for the daily digest (and shown on the dashboard). */
  severities: z.object({
    vip: severity.default('critical'), dc: severity.default('critical'), isp: severity.default('critical'),
    region: severity.default('informational'), agent: severity.default('informational'),
  }).prefault({}),
  /** Severity of latency faults ("slow", not "down"), per fault type. */
  latencySeverities: z.object({
    vip: severity.default('informational'), dc: severity.default('critical'), isp: severity.default('critical'),
    region: severity.default('informational'),
  }).prefault({}),
  digest: z.object({ at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM').default('09:00'), timeZone: timeZone.default('Asia/Shanghai') }).prefault({}),
  /** Windows during which matching faults send nothing, as whitelist entries do; no vip/dc/business = everything. */
  maintenance: z.array(z.object({
    /** local wall time in timeZone, "2026-11-23T02:00" (an explicit offset or Z is honoured too) */
    start: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$/, 'expected a time such as 2026-11-23T02:00'),
    duration,
    repeat: z.enum(['none', 'daily', 'weekly']).default('none'),
    timeZone: timeZone.default('UTC'),
    vip: z.string().optional(),
    dc: z.string().optional(),
    business: z.string().optional(),
    reason: z.string().optional(),
  })).default([]),
  outbox: z.object({
    backend: z.enum(['sqlite', 'mongo']).default('sqlite'),
    /** sqlite file, relative to dataDir */
    file: z.string().default('outbox.sqlite'),
    mongo: z.object({ url: z.string().default('mongodb://127.0.0.1:27017'), database: z.string().default('vipwatch') }).prefault({}),
    /** how often the delivery loop looks for due messages */
    pollMs: z.number().int().min(10).default(5_000),
    retryBaseMs: z.number().int().min(1).default(1_000),
    retryMaxMs: z.number().int().min(1).default(300_000),
  }).prefault({}),
});
export type AlertingConfig = z.infer<typeof alertingSchema>;
