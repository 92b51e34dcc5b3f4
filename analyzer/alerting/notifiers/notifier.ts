// The notifier seam: one channel, one send. The outbox retries with backoff; a notifier only sends (and throws).
import type { AlertMessage } from '../types.js';

/** What one delivery carries: one message, or the held informational messages of one digest. */
export interface Envelope {
  /** stable across retries and restarts: receivers may de-duplicate on it */
  id: string;
  digest: boolean;
  messages: AlertMessage[];
}

export interface Notifier {
  /** unique per process, stored with every delivery: "email", "webhook:ops-bot" */
  readonly name: string;
  /** whether this channel carries the message at all (email needs recipients) */
  accepts(m: AlertMessage): boolean;
  send(envelope: Envelope): Promise<void>;
  /** releases connections (SMTP pool) */
  close?(): void;
}
