// The email form of an envelope (used by the SMTP notifier and by `analyze --outbox`). Pure.
import { createHash } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import type { Envelope } from './notifiers/notifier.js';
import { render, renderDigest, type RenderConfig } from './render.js';

export interface MailConfig extends RenderConfig { from: string }

/** A Message-ID derived from the envelope id: a retried or re-sent message keeps it. */
export const messageIdOf = (envelopeId: string): string => `<${createHash('sha256').update(envelopeId).digest('hex').slice(0, 32)}@vipwatch>`;

export function composeMail(e: Envelope, cfg: MailConfig): SendMailOptions {
  const first = e.messages[0]!;
  const r = e.digest ? renderDigest(e.messages, cfg) : render(first, cfg);
  return {
    from: cfg.from,
    to: first.to,
    subject: r.subject,
    text: r.text,
    html: r.html,
    date: new Date(e.digest ? first.deliverAt : first.at),
    messageId: messageIdOf(e.id),
    headers: {
      'X-Vipwatch-Id': e.id,
      'X-Vipwatch-Kind': e.digest ? 'digest' : first.kind,
      'X-Vipwatch-Severity': first.severity,
      'X-Vipwatch-Fault': e.messages.map((m) => m.uid).join(', '),
      'X-Vipwatch-Audience': first.audienceKey,
      // informational messages go out in the daily digest, critical ones at once
      'X-Vipwatch-Delivery': first.severity === 'critical' ? 'immediate' : `digest ${new Date(first.deliverAt).toISOString()}`,
    },
  };
}
