// Builds the policy's inputs from the config and the inventory, checking what the schema cannot.
import type { Catalog } from '../../core/catalog.js';
import type { Config } from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';
import type { Business } from '../../core/model.js';
import { parseDuration } from './duration.js';
import type { PolicyContext } from './policy.js';
import { buildDirectory } from './routing.js';

/** `businesses` overrides the inventory's owners (e.g. the admin store's synchronised list). */
export function policyContext(config: Config, catalog: Catalog, businesses: Business[] = catalog.inventory.businesses, source = 'config'): PolicyContext {
  const a = config.alerting;
  const reminderMs = parseDuration(a.reminderInterval);
  if (reminderMs < config.minuteSec * 1000) {
    throw new ValidationError([{ file: source, field: 'alerting.reminderInterval', message: `must be at least one analyzer minute, ${config.minuteSec}s (value "${a.reminderInterval}")` }]);
  }
  a.maintenance.forEach((w, i) => {
    if (parseDuration(w.duration) <= 0) {
      throw new ValidationError([{ file: source, field: `alerting.maintenance.${i}.duration`, message: `must be positive (value "${w.duration}")` }]);
    }
    // a date the pattern lets through (month 13, Feb 30) would otherwise never match
    const [y, mo, d, h, mi] = (/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(w.start) ?? []).slice(1).map(Number) as number[];
    const t = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!));
    if (t.getUTCMonth() !== mo! - 1 || t.getUTCDate() !== d || h! > 23 || mi! > 59) {
      throw new ValidationError([{ file: source, field: `alerting.maintenance.${i}.start`, message: `not a valid time (value "${w.start}")` }]);
    }
  });
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
