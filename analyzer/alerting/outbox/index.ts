// The alerter's view of the outbox store (core/store/outbox.ts, with its backends beside the other stores): deliveries
// of AlertMessages, and the policy's state. Delivery itself (retries, digests) is deliver.ts.
import type { Logger } from '../../../core/log.js';
import type { MongoConnection } from '../../../core/store/mongo/client.js';
import { createOutboxStore, type OutboxStoreConfig } from '../../../core/store/outbox-backends.js';
import type { Delivery, NewDelivery, OutboxStore } from '../../../core/store/outbox.js';
import type { PolicyState } from '../policy.js';
import type { AlertMessage } from '../types.js';

export type AlertOutbox = OutboxStore<AlertMessage, PolicyState>;
export type AlertDelivery = Delivery<AlertMessage>;
export type NewAlertDelivery = NewDelivery<AlertMessage>;

/** The configured outbox store for the alerter, not yet initialised (the alerter's init() opens it); `mongo` as createOutboxStore. */
export const createAlertOutbox = (cfg: OutboxStoreConfig, log: Logger, mongo?: MongoConnection): AlertOutbox =>
  createOutboxStore<AlertMessage, PolicyState>(cfg, log, mongo);
