// Email over SMTP (nodemailer): plain text + HTML, to the owners or the network team the message names.
import { readFileSync } from 'node:fs';
import { rootCertificates as tlsRootCertificates } from 'node:tls';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { AlertingConfig } from '../../../core/config.js';
import { ValidationError } from '../../../core/errors.js';
import { composeMail, type MailConfig } from '../mail.js';
import type { AlertMessage } from '../types.js';
import type { Envelope, Notifier } from './notifier.js';

export type SmtpConfig = NonNullable<AlertingConfig['smtp']>;

function readCa(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ValidationError([{ file, field: 'alerting.smtp.ca', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ValidationError([{ file, field: 'alerting.smtp.ca', message: 'not a PEM certificate (no BEGIN CERTIFICATE line)' }]);
  return pem;
}

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
      // the system's CAs plus this one (a private CA, or a self-signed server certificate); verification stays on
      tls: smtp.ca ? { ca: [...tlsRootCertificates, readCa(smtp.ca)] } : undefined,
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
