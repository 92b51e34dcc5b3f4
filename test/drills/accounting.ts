// Ingest accounting for the drills. On InfluxDB a record delivered twice is stored once (same series and time: the
// second write overwrites the first), so counting the store alone can never show a doubled delivery. The drills
// therefore compare three counts taken at one quiet moment (no post in flight) and the gateway's own count of
// re-deliveries:
//   sent       records the agents (and the drill's own load loops) had acknowledged with 200
//   accepted   records the gateways answered 200 for (vipwatch_ingest_records_total{outcome="accepted"})
//   stored     records in the store
//   duplicates records a gateway accepted again for a (host, vip, method, ts) it had accepted before
//              (vipwatch_ingest_duplicate_records_total)
// Every record delivered exactly once means sent = accepted = stored and no duplicate.
import { metricValue } from './procs.js';

export interface IngestCounts {
  sent: number;
  accepted: number;
  stored: number;
  duplicates: number;
}

/** A gateway's accepted and duplicate counters, from its /metrics text. */
export function gatewayCounts(metrics: string): Pick<IngestCounts, 'accepted' | 'duplicates'> {
  return {
    accepted: metricValue(metrics, 'vipwatch_ingest_records_total', { outcome: 'accepted' }),
    duplicates: metricValue(metrics, 'vipwatch_ingest_duplicate_records_total'),
  };
}

/** Records an agent had acknowledged with 200, from its /metrics text. */
export const agentDelivered = (metrics: string): number => metricValue(metrics, 'vipwatch_agent_result_records_total', { status: '200' });

export const describeCounts = (c: IngestCounts): string =>
  `records sent ${c.sent}, accepted ${c.accepted}, stored ${c.stored}, delivered twice ${c.duplicates}`;

/** What is wrong with the counts (empty: every record was delivered, accepted and stored exactly once). */
export function ingestProblems(c: IngestCounts): string[] {
  const problems: string[] = [];
  if (c.duplicates !== 0) problems.push(`${c.duplicates} records were delivered to a gateway more than once (vipwatch_ingest_duplicate_records_total)`);
  if (c.accepted !== c.sent) problems.push(`the gateways accepted ${c.accepted} records, the senders had ${c.sent} acknowledged`);
  if (c.stored !== c.accepted) {
    problems.push(`the store holds ${c.stored} records, the gateways accepted ${c.accepted}`
      + (c.stored < c.accepted ? `: ${c.accepted - c.stored} accepted records overwrote others or are missing` : ''));
  }
  return problems;
}
