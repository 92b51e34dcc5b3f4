// Path capture's follow-up: one message per recipient set of a root fault's opening, carrying the diagnosis. Pure:
// built from the fault's open messages (already routed, so the same owners and network team hear of it), with
// deterministic ids, so a repeated follow-up stores nothing twice.
import type { Diagnosis } from '../../core/diagnosis.js';
import type { FaultEpisode } from '../../core/model.js';
import type { AlertMessage } from './types.js';

export function followUpMessages(opens: AlertMessage[], fault: FaultEpisode, diagnosis: Diagnosis, at: number): AlertMessage[] {
  const seen = new Set<string>();
  return opens.filter((m) => m.kind === 'open' && !seen.has(m.id) && seen.add(m.id)).map((m) => ({
    ...m,
    id: `${m.id}:diagnosis`,
    kind: 'diagnosis' as const,
    at,
    // an informational fault's opening waits for the digest: its diagnosis goes with it, never ahead of it
    deliverAt: Math.max(at, m.deliverAt),
    fault: { ...m.fault, ...fault, diagnosis },
    diagnosis,
  }));
}
