// Composition: builds the alerter (outbox backend, notifiers, deliverer, policy context) from the config.
import type { Registry } from 'prom-client';
import type { Catalog } from '../../core/catalog.js';
import type { AlertingPartConfig } from '../../core/config.js';
import type { Logger } from '../../core/log.js';
import type { Business } from '../../core/model.js';
import { Alerter } from './alerter.js';
import { policyContext } from './context.js';
import { buildNotifiers } from './notifiers/index.js';
import type { Notifier } from './notifiers/notifier.js';
import { Deliverer } from './outbox/deliver.js';
import { createAlertOutbox, type AlertOutbox } from './outbox/index.js';

export { Alerter } from './alerter.js';
export { writeOutboxDir } from './eml.js';

export interface AlerterDeps {
  config: AlertingPartConfig;
  catalog: Catalog;
  log: Logger;
  registry?: Registry;
  /** owners from the admin store (synchronised from the inventory); default: the inventory's */
  businesses?: Business[];
  /** overrides for tests or other compositions */
  store?: AlertOutbox;
  notifiers?: Notifier[];
  now?: () => number;
}

/** Builds and initialises the alerter; call start(config.alerting.outbox.pollMs) to run the delivery loop. */
export async function createAlerter(d: AlerterDeps): Promise<Alerter> {
  const a = d.config.alerting;
  const notifiers = d.notifiers ?? buildNotifiers(a);
  if (!notifiers.some((n) => n.name === 'email')) d.log.warn('alerting.smtp is not set: alert messages are not emailed');
  const store = d.store ?? createAlertOutbox(d.config, d.log);
  const deliverer = new Deliverer({
    store, notifiers, retryBaseMs: a.outbox.retryBaseMs, retryMaxMs: a.outbox.retryMaxMs, log: d.log, registry: d.registry, now: d.now,
  });
  const alerter = new Alerter({
    store, deliverer, notifiers, context: policyContext(d.config, d.catalog, d.businesses), log: d.log, registry: d.registry,
    render: { webUrl: a.webUrl, grafanaUrl: a.grafanaUrl, timeZone: a.timeZone },
  });
  await alerter.init();
  return alerter;
}
