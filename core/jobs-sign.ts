// Job signatures: the gateway signs each job it hands to a host with an HMAC-SHA256 keyed by that host's agent token
// (itself an HMAC under the gateway secret, so only the gateway and that host know it). An agent runs a job only
// when the signature checks out under its own token, the job names its host, and the job's startBy has not passed.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { jobSpecSchema, type JobSpec, type SignedJob } from './jobs.js';

/** The spec's fields in key order: the bytes both sides sign (every field is a string or a number). */
const canonical = (spec: JobSpec): string => {
  const o = spec as unknown as Record<string, unknown>;
  return JSON.stringify(Object.keys(o).filter((k) => k !== 'sig' && o[k] !== undefined).sort().map((k) => [k, o[k]]));
};

export const jobSignature = (spec: JobSpec, token: string): string =>
  createHmac('sha256', token).update(canonical(spec)).digest('base64url');

export const signJob = (spec: JobSpec, token: string): SignedJob => ({ ...spec, sig: jobSignature(spec, token) });

/** Why `job` must not run on `host` at `now` (ms), or null when it may. */
export function refuseJob(job: unknown, token: string, host: string, now: number): string | null {
  const o = (job ?? {}) as Record<string, unknown>;
  if (typeof o.sig !== 'string' || !o.sig) return 'unsigned job';
  const { sig, ...rest } = o;
  const parsed = jobSpecSchema.safeParse(rest);
  if (!parsed.success) return `malformed job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
  const want = Buffer.from(jobSignature(parsed.data, token));
  const given = Buffer.from(sig);
  if (want.length !== given.length || !timingSafeEqual(want, given)) return 'bad signature: not signed by this gateway for this host';
  if (parsed.data.host !== host) return `job is for host ${parsed.data.host}, not ${host}`;
  if (Date.parse(parsed.data.startBy) <= now) return `expired: startBy ${parsed.data.startBy} has passed`;
  return null;
}
