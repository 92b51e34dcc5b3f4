// Builds the policy's inputs from the config and the inventory.
import type { Catalog } from '../../core/catalog.js';
import type { AlertingPartConfig } from '../../core/config.js';
import type { Business } from '../../core/model.js';
import { parseDuration } from './duration.js';
import type { PolicyContext } from './policy.js';
import { buildDirectory } from './routing.js';

/** `businesses` overrides the inventory's owners (e.g. the admin store's synchronised list). */
export function policyContext(config: AlertingPartConfig, catalog: Catalog, businesses: Business[] = catalog.inventory.businesses): PolicyContext {
  const a = config.alerting;
  // the reminder interval, webhook names and maintenance windows were checked by the config loader (agreementProblems)
  const reminderMs = parseDuration(a.reminderInterval);
  return {
    directory: buildDirectory(catalog.inventory.vips, businesses),
    networkTeam: a.networkTeam,
    reminderMs,
    severities: a.severities,
    latencySeverities: a.latencySeverities,
    digest: a.digest,
    maintenance: a.maintenance,
  };
}
