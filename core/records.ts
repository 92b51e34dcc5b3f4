// The result-record schema, shared by the agent (what it sends) and the gateway (what it accepts).
import { z } from 'zod';
import { METHODS } from './model.js';

const ms = z.number().finite().min(0).max(600_000);

export const recordSchema = z.object({
  ts: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'expected an ISO UTC time like 2026-11-23T14:05:00Z'),
  host: z.string().min(1).max(253),
  vip: z.string().min(1).max(253),
  method: z.enum(METHODS).default('icmp'),
  sent: z.number().int().min(1).max(100_000),
  recv: z.number().int().min(0).max(100_000),
  rttMin: ms.optional(),
  rttAvg: ms.optional(),
  rttMax: ms.optional(),
}).strict().superRefine((r, ctx) => {
  if (r.recv > r.sent) ctx.addIssue({ code: 'custom', path: ['recv'], message: `recv ${r.recv} exceeds sent ${r.sent}` });
  const rtts = [r.rttMin, r.rttAvg, r.rttMax];
  if (r.recv > 0 && rtts.some((x) => x === undefined)) ctx.addIssue({ code: 'custom', path: ['rttAvg'], message: 'rttMin, rttAvg and rttMax are required when recv > 0' });
  if (r.recv === 0 && rtts.some((x) => x !== undefined)) ctx.addIssue({ code: 'custom', path: ['rttAvg'], message: 'rtt fields must be absent when recv is 0' });
  if (r.recv > 0 && !(r.rttMin! <= r.rttAvg! && r.rttAvg! <= r.rttMax!)) ctx.addIssue({ code: 'custom', path: ['rttAvg'], message: 'expected rttMin <= rttAvg <= rttMax' });
});

export const resultsBodySchema = z.object({
  host: z.string().min(1).max(253),
  results: z.array(recordSchema).max(200_000),
}).strict();

export type ResultsBody = z.infer<typeof resultsBodySchema>;
