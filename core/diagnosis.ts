// A fault's path diagnosis (contract "Path capture"): the traceroutes taken when a root fault opened, from sources
// inside its scope and outside it, and the hop the affected paths share before they stop answering or turn slow.
// Kept with the episode in the fault store (every backend), shown on the fault page and in GET /api/v1/faults/:id.
import { z } from 'zod';
import { traceResultSchema } from './jobs.js';

export const pathTraceSchema = traceResultSchema.extend({
  /** inside: a source in the fault's scope (an affected path); outside: a comparison source */
  side: z.enum(['inside', 'outside']),
  isp: z.string(),
  province: z.string(),
}).strict();
export type PathTrace = z.infer<typeof pathTraceSchema>;

export const diagnosisSchema = z.object({
  /** when the diagnosis was made, and when the last traceroute came back (ISO) */
  at: z.string(),
  tracesAt: z.string(),
  /** stop: the affected paths stop answering after `hop`; slow: their RTT jumps after `hop`; none: no common hop */
  kind: z.enum(['stop', 'slow', 'none']),
  hop: z.object({ ip: z.string(), ttl: z.number().int().min(1), name: z.string().optional() }).nullable(),
  /** one line for people, e.g. "paths from ct stop after 202.97.12.1 (hop 5); paths from cm reach the VIP" */
  text: z.string(),
  /** the probe jobs that took the traceroutes */
  jobs: z.array(z.string()),
  paths: z.array(pathTraceSchema),
}).strict();
export type Diagnosis = z.infer<typeof diagnosisSchema>;
