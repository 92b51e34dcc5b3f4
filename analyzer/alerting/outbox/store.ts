// The outbox seam: the policy's state and the deliveries it produced, stored before anything is sent.
// Backends: sqlite.ts (embedded default, file under dataDir) and mongo.ts; the registry is index.ts.
import type { PolicyState } from '../policy.js';
import type { AlertMessage } from '../types.js';

export interface NewDelivery {
  /** `${message id}>${notifier name}`: deterministic, so re-running a minute stores nothing twice */
  id: string;
  messageId: string;
  notifier: string;
  /** deliveries with the same group go out together: the id itself for critical ones, the digest key otherwise */
  group: string;
  /** sort key: the order the policy produced them in */
  order: string;
  deliverAt: number;
  message: AlertMessage;
}

export interface Delivery extends NewDelivery {
  status: 'pending' | 'done';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  deliveredAt: number | null;
}

export interface OutboxStore {
  init(): Promise<void>;
  loadState(): Promise<PolicyState | null>;
  /** stores new deliveries (ids already stored are left alone) and then the state */
  commit(state: PolicyState, deliveries: NewDelivery[]): Promise<void>;
  /** pending deliveries whose deliverAt and nextAttemptAt have come, in order */
  due(now: number, limit: number): Promise<Delivery[]>;
  markDone(ids: string[], at: number): Promise<void>;
  markRetry(ids: string[], attempts: number, nextAttemptAt: number, error: string): Promise<void>;
  /** every delivery, in order (for the dashboard and tests) */
  list(status?: Delivery['status']): Promise<Delivery[]>;
  pendingCount(): Promise<number>;
  close(): Promise<void>;
}
