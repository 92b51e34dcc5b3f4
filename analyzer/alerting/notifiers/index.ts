// The notifier registry: one entry per channel, each building its notifiers from the alerting config.
import type { AlertingConfig } from '../../../core/config.js';
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

/** Every configured channel (webhook names are unique: the config loader refuses a file where two share one). */
export function buildNotifiers(cfg: AlertingConfig): Notifier[] {
  return Object.values(channels).flatMap((make) => make(cfg));
}
