// The fault-episode contract: one zod schema, the type from it. Whatever reads or writes an episode's contract
// fields (the stores' pickEpisode, the API's episode JSON) takes the field list from here, so a field added to the
// schema reaches every store and the API at once.
import { z } from 'zod';
import { diagnosisSchema } from './diagnosis.js';

export const FAULT_TYPES = ['agent', 'vip', 'dc', 'isp', 'region'] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'expected an ISO time');

/** A fault episode exactly as the contract prints it (field order included). */
export const episodeSchema = z.object({
  id: z.string().min(1),
  type: z.enum(FAULT_TYPES),
  key: z.string(),
  start: isoTime,
  detectedAt: isoTime,
  end: isoTime.nullable(),
  isps: z.array(z.string()),
  provinces: z.array(z.string()),
  dcs: z.array(z.string()),
  vips: z.array(z.string()),
  businesses: z.array(z.string()),
  parent: z.string().nullable(),
  suppressed: z.boolean(),
  /**
   * what the fault judges: loss ("down") or latency ("slow"); the engine always sets it, stored episodes from before it
   * were loss. "cert": a certificate-expiry warning (informational; the live analyzer only, never in `vipwatch analyze`)
   */
  signal: z.enum(['loss', 'latency', 'cert']).optional(),
  /** path capture's finding (core/diagnosis.ts), once the traceroutes taken at the opening are back */
  diagnosis: diagnosisSchema.optional(),
});

export type FaultEpisode = z.infer<typeof episodeSchema>;

export const SIGNALS = ['loss', 'latency'] as const;
export type Signal = (typeof SIGNALS)[number];
/** What a stored episode may carry: a fault's signal, or "cert" for a certificate warning. */
export type EpisodeSignal = NonNullable<FaultEpisode['signal']>;
/** An episode's signal; episodes stored before latency faults existed carry none and are loss. */
export const signalOf = (e: Pick<FaultEpisode, 'signal'>): Signal => (e.signal === 'latency' ? 'latency' : 'loss');
/**
 * A certificate-expiry warning (analyzer/cert-expiry.ts): a VIP episode with signal "cert", informational, made by
 * the live analyzer beside the fault rules (not an engine lane, so signalOf does not name it: test this first).
 */
export const isCertWarning = (e: Pick<FaultEpisode, 'signal'>): boolean => e.signal === 'cert';

/** The contract's fields, in its order. */
export const EPISODE_FIELDS = Object.keys(episodeSchema.shape) as Array<keyof FaultEpisode>;

/**
 * Only the contract's fields, in the contract's order, arrays copied: whatever else a caller's object carries (a
 * stored episode's uid and history) is left out, and so is an optional field that is absent.
 */
export function pickEpisode<E extends FaultEpisode>(e: E): FaultEpisode {
  const out: Record<string, unknown> = {};
  for (const k of EPISODE_FIELDS) {
    const v = e[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? [...v] : v;
  }
  return out as FaultEpisode;
}
