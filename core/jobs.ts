// On-demand probe jobs (contract "On-demand probes and path capture"): the request an operator posts, the job as
// stored and as handed to an agent, and the result an agent sends back. One zod schema each; types from z.infer.
import { z } from 'zod';
import { recordSchema } from './records.js';

export const JOB_METHODS = ['icmp', 'tcp', 'http', 'traceroute'] as const;
export type JobMethod = (typeof JOB_METHODS)[number];
export type PingMethod = Exclude<JobMethod, 'traceroute'>;

export const MAX_SOURCES = 100;
export const DEFAULT_SOURCES = 10;

const names = z.array(z.string().min(1).max(253)).max(10_000);

/** POST /api/v1/probes */
export const probeRequestSchema = z.object({
  target: z.string().min(1).max(2048),
  method: z.enum(JOB_METHODS),
  scope: z.object({ provinces: names.optional(), isps: names.optional(), dcs: names.optional(), hosts: names.optional() }).strict().default({}),
  sources: z.number().int().min(1).max(MAX_SOURCES).default(DEFAULT_SOURCES),
  /** probes per source (ping methods) or per hop (traceroute); bounds in config probes.maxCount */
  count: z.number().int().min(1).optional(),
}).strict();
export type ProbeRequest = z.infer<typeof probeRequestSchema>;
export type JobScope = ProbeRequest['scope'];

/** Where the probes go: an address, plus a port (tcp) or a URL (http). */
export interface JobTarget { address: string; port?: number; url?: string }

const iso = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'expected an ISO time');

/** What an agent needs to run a job; the gateway signs exactly these fields for one host. */
export const jobSpecSchema = z.object({
  id: z.string().min(1).max(64),
  seq: z.number().int().min(1),
  host: z.string().min(1).max(253),
  method: z.enum(JOB_METHODS),
  /** the target as requested; results name it */
  target: z.string().min(1).max(2048),
  address: z.string().min(1).max(64),
  port: z.number().int().min(1).max(65535).optional(),
  url: z.string().url().optional(),
  count: z.number().int().min(1).max(1000),
  intervalMs: z.number().int().min(1).max(60_000),
  timeoutMs: z.number().int().min(1).max(60_000),
  /** traceroute only */
  maxTtl: z.number().int().min(1).max(64).optional(),
  /** an agent refuses to start the job after this time */
  startBy: iso,
}).strict();
export type JobSpec = z.infer<typeof jobSpecSchema>;

export const signedJobSchema = jobSpecSchema.extend({ sig: z.string().min(1).max(256) }).strict();
export type SignedJob = z.infer<typeof signedJobSchema>;

/** GET /api/v1/jobs: each job is checked on its own by the agent (core/jobs-sign.ts refuseJob), so one bad job refuses only itself */
export const jobsResponseSchema = z.object({ jobs: z.array(z.unknown()).max(10_000) });

export const traceHopSchema = z.object({
  ttl: z.number().int().min(1).max(255),
  ip: z.string().min(1).max(64).nullable(),
  rtt: z.array(z.number().finite().min(0).max(600_000)).max(1000),
  lost: z.number().int().min(0).max(1000),
}).strict();
export type TraceHop = z.infer<typeof traceHopSchema>;

export const traceResultSchema = z.object({
  host: z.string().min(1).max(253),
  target: z.string().min(1).max(2048),
  hops: z.array(traceHopSchema).max(255),
  reached: z.boolean(),
}).strict();
export type TraceResult = z.infer<typeof traceResultSchema>;

/** A ping job's result is one result record (the contract's shape), `vip` the target as requested. */
export const jobResultSchema = z.union([traceResultSchema, recordSchema]);
export type JobResult = z.infer<typeof jobResultSchema>;

/** POST /api/v1/probes/:id/results (agent) */
export const jobResultBodySchema = z.object({ host: z.string().min(1).max(253), result: jobResultSchema }).strict();

/** A job as stored (every gateway and web replica reads the same store). */
export interface Job {
  id: string;
  seq: number;
  requester: string;
  createdAt: string;
  method: JobMethod;
  target: string;
  address: string;
  port?: number;
  url?: string;
  count: number;
  intervalMs: number;
  timeoutMs: number;
  maxTtl?: number;
  scope: JobScope;
  sources: string[];
  startBy: string;
  /** after this, the job is done whatever is missing */
  deadline: string;
  /** why it was made: "api", or "path:<episode uid>" for path capture */
  purpose: string;
}

export type NewJob = Omit<Job, 'seq'>;

/** GET /api/v1/probes/:id, exactly the contract's shape. */
export interface JobView {
  id: string;
  status: 'running' | 'done';
  requested: number;
  results: JobResult[];
}

export const isTrace = (r: JobResult): r is TraceResult => 'hops' in r;

/** The job a host runs, as the gateway hands it out (before signing). */
export const specFor = (job: Job, host: string): JobSpec => ({
  id: job.id, seq: job.seq, host, method: job.method, target: job.target, address: job.address,
  ...(job.port !== undefined ? { port: job.port } : {}), ...(job.url !== undefined ? { url: job.url } : {}),
  count: job.count, intervalMs: job.intervalMs, timeoutMs: job.timeoutMs,
  ...(job.maxTtl !== undefined ? { maxTtl: job.maxTtl } : {}), startBy: job.startBy,
});
