// The notifier registry: one entry per channel, each building its notifiers from the alerting config.
import type { AlertingConfig } from '../../../core/config.js';
import { ValidationError } from '../../../core/errors.js';
import { EmailNotifier } from './email.js';
import { EmlFileNotifier } from './eml.js';
import type { Notifier } from './notifier.js';
import { WebhookNotifier } from './webhook.js';

export type { Envelope, Notifier } from './notifier.js';

type ChannelFactory = (cfg: AlertingConfig) => Notifier[];

export const channels: Record<string, ChannelFactory> = {
  email: (cfg) => (cfg.smtp ? [new EmailNotifier(cfg.smtp, cfg)] : []),
  webhook: (cfg) => cfg.webhooks.map((w) => new WebhookNotifier(w, cfg)),
  eml: (cfg) => (cfg.emlDir ? [new EmlFileNotifier(cfg.emlDir, cfg)] : []),
};

export function buildNotifiers(cfg: AlertingConfig, source = 'config'): Notifier[] {
  const out = Object.values(channels).flatMap((make) => make(cfg));
  const names = out.map((n) => n.name);
  const dup = names.findIndex((n, i) => names.indexOf(n) !== i);
  if (dup >= 0) {
    const i = cfg.webhooks.findIndex((w) => `webhook:${w.name}` === names[dup]);
    throw new ValidationError([{ file: source, field: `alerting.webhooks.${i}.name`, message: `two webhooks share this name (value ${JSON.stringify(cfg.webhooks[i]?.name)})` }]);
  }
  return out;
}
