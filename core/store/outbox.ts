// The outbox store: the alerter's policy state and the deliveries it produced, stored before anything is sent, so
// a crash neither loses nor repeats a message; the web's outbox and fault pages read it. Backends:
// core/store/sqlite/outbox.ts (embedded default) and core/store/mongo/outbox.ts; the registry is outbox-backends.ts.
// The store keeps messages and state as JSON: it is generic in both, and knows of a message only what every reader
// needs (OutboxMessage). The alerter uses OutboxStore<AlertMessage, PolicyState> (analyzer/alerting/outbox/index.ts).

/** The version of the stored layout; init() brings an older file or database up to it. */
export const OUTBOX_SCHEMA_VERSION = 3;

/** What every stored alert message carries, whatever else the alerter puts in it. */
export interface OutboxMessage {
  /** deterministic per fault, kind, audience and minute */
  id: string;
  /** the fault episode's uid (the web's fault page) */
  uid: string;
  kind: string;
  severity: string;
  /** the minute (ms) the policy produced it */
  at: number;
  to: string[];
  /** the plain-text body as rendered when queued (the web's outbox page shows it); absent in older rows */
  body?: string;
}

export interface NewDelivery<M extends OutboxMessage = OutboxMessage> {
  /** `${message id}>${notifier name}`: deterministic, so re-running a minute stores nothing twice */
  id: string;
  messageId: string;
  notifier: string;
  /** deliveries with the same group go out together: the id itself for critical ones, the digest key otherwise */
  group: string;
  /** sort key: the order the policy produced them in */
  order: string;
  deliverAt: number;
  /** the message's subject line as rendered when it was queued (what the outbox page lists) */
  subject: string;
  message: M;
}

export interface Delivery<M extends OutboxMessage = OutboxMessage> extends NewDelivery<M> {
  status: 'pending' | 'done';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  deliveredAt: number | null;
}

export interface OutboxStore<M extends OutboxMessage = OutboxMessage, S = unknown> {
  /** opens (or creates, or upgrades to OUTBOX_SCHEMA_VERSION) the store; calling it again does nothing */
  init(): Promise<void>;
  loadState(): Promise<S | null>;
  /** stores new deliveries (ids already stored are left alone) and then the state */
  commit(state: S, deliveries: NewDelivery<M>[]): Promise<void>;
  /** pending deliveries whose deliverAt and nextAttemptAt have come, in order */
  due(now: number, limit: number): Promise<Delivery<M>[]>;
  markDone(ids: string[], at: number): Promise<void>;
  markRetry(ids: string[], attempts: number, nextAttemptAt: number, error: string): Promise<void>;
  /** every delivery, in order (for tests and small outboxes: the web reads the queries below) */
  list(status?: Delivery['status']): Promise<Delivery<M>[]>;
  /** one delivery by id, or null */
  get(id: string): Promise<Delivery<M> | null>;
  /** the `limit` newest deliveries (latest deliverAt first) */
  recent(limit: number): Promise<Delivery<M>[]>;
  /** the deliveries of the messages about these fault episodes (by uid), in order */
  forEpisodes(uids: readonly string[]): Promise<Delivery<M>[]>;
  /** how many deliveries are pending and how many done */
  counts(): Promise<Record<Delivery['status'], number>>;
  pendingCount(): Promise<number>;
  close(): Promise<void>;
}
