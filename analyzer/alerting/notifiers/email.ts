// Email over SMTP (nodemailer): plain text + HTML, to the owners or the network team the message names.
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { AlertingConfig } from '../../../core/config.js';
import { composeMail, type MailConfig } from '../mail.js';
import type { AlertMessage } from '../types.js';
import type { Envelope, Notifier } from './notifier.js';

export type SmtpConfig = NonNullable<AlertingConfig['smtp']>;

export class EmailNotifier implements Notifier {
  readonly name = 'email';
  private readonly transport: Transporter;

  constructor(smtp: SmtpConfig, private readonly mail: MailConfig) {
    this.transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ignoreTLS: smtp.starttls === 'off',
      requireTLS: smtp.starttls === 'require',
      auth: smtp.user ? { user: smtp.user, pass: smtp.pass ?? '' } : undefined,
      connectionTimeout: smtp.timeoutMs,
      greetingTimeout: smtp.timeoutMs,
      socketTimeout: smtp.timeoutMs,
    });
  }

  accepts(m: AlertMessage): boolean {
    return m.to.length > 0;
  }

  async send(envelope: Envelope): Promise<void> {
    await this.transport.sendMail(composeMail(envelope, this.mail));
  }

  close(): void {
    this.transport.close();
  }
}
