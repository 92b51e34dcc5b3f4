// Email as files: each envelope written as one RFC 5322 .eml file into a directory (alerting.emlDir), for a mail
// pickup directory, or for the all-in-one demo, where no SMTP server is configured and messages should still be
// readable. The file name comes from the envelope id, so a retried delivery rewrites the same file.
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { composeMail, type MailConfig } from '../mail.js';
import type { AlertMessage } from '../types.js';
import type { Envelope, Notifier } from './notifier.js';

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);

/** `<minute>-<kind>-<fault type>-<fault key>-<audience>-<id hash>.eml`: sorts by time, readable, unique per envelope. */
export function emlFileName(e: Envelope): string {
  const m = e.messages[0]!;
  const at = new Date(e.digest ? m.deliverAt : m.at).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const kind = e.digest ? 'digest' : m.kind;
  const who = m.audience.kind === 'business' ? m.audience.business : 'network';
  const hash = createHash('sha256').update(e.id).digest('hex').slice(0, 12);
  return `${at}-${kind}-${safe(m.fault.type)}-${safe(m.fault.key)}-${safe(who)}-${hash}.eml`;
}

export class EmlFileNotifier implements Notifier {
  readonly name = 'eml';

  constructor(private readonly dir: string, private readonly mail: MailConfig) {}

  accepts(m: AlertMessage): boolean {
    return m.to.length > 0;
  }

  async send(envelope: Envelope): Promise<void> {
    const mail = composeMail(envelope, this.mail);
    // a boundary from the envelope id keeps a rewritten file byte-for-byte the same
    const baseBoundary = createHash('sha256').update(envelope.id).digest('hex').slice(0, 16);
    const raw = await new MailComposer({ ...mail, baseBoundary }).compile().build();
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, emlFileName(envelope));
    // write then rename: a reader never sees half a message
    await writeFile(`${file}.tmp`, raw, { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }
}
