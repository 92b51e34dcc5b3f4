// `analyze --outbox DIR`: every message the live analyzer would send for a replay, one RFC 5322 .eml file each.
// The same pure policy runs minute by minute; nodemailer's MailComposer builds the files.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { privateDir } from '../../core/files.js';
import { join, resolve } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Catalog } from '../../core/catalog.js';
import type { AlertingPartConfig } from '../../core/config.js';
import type { FaultTransition } from '../../core/model.js';
import { policyContext } from './context.js';
import { composeMail } from './mail.js';
import { initialState, step } from './policy.js';
import type { AlertMessage } from './types.js';

export interface OutboxDirOptions {
  config: AlertingPartConfig;
  catalog: Catalog;
  /** the last evaluated minute (ms): reminders for faults still open run up to it */
  lastMinute?: number;
}

/** Every message of a replay in send order (pure: no files). Minutes step by config.minuteSec. */
export function replayMessages(transitions: Iterable<FaultTransition>, o: OutboxDirOptions): AlertMessage[] {
  const byMinute = new Map<number, FaultTransition[]>();
  for (const t of transitions) {
    const list = byMinute.get(t.minute);
    if (list) list.push(t);
    else byMinute.set(t.minute, [t]);
  }
  if (!byMinute.size) return [];
  const ctx = policyContext(o.config, o.catalog);
  const stepMs = o.config.minuteSec * 1000;
  const marked = [...byMinute.keys()];
  const first = marked.reduce((a, b) => Math.min(a, b));
  const last = marked.reduce((a, b) => Math.max(a, b), o.lastMinute ?? -Infinity);
  const minutes = new Set(marked);
  for (let m = first; m <= last; m += stepMs) minutes.add(m);
  let state = initialState();
  const out: AlertMessage[] = [];
  for (const m of [...minutes].sort((a, b) => a - b)) {
    const r = step(state, byMinute.get(m) ?? [], m, ctx);
    state = r.state;
    out.push(...r.messages);
  }
  return out;
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);

export async function writeOutboxDir(dir: string, transitions: Iterable<FaultTransition>, o: OutboxDirOptions): Promise<{ files: string[] }> {
  const messages = replayMessages(transitions, o).filter((m) => m.to.length > 0);
  privateDir(dir);
  const files: string[] = [];
  let seq = 0;
  for (const m of messages) {
    const mail = composeMail({ id: m.id, digest: false, messages: [m] }, o.config.alerting);
    // a boundary derived from the message id makes a replay's files byte-for-byte repeatable
    const baseBoundary = createHash('sha256').update(m.id).digest('hex').slice(0, 16);
    const raw = await new MailComposer({ ...mail, baseBoundary }).compile().build();
    const who = m.audience.kind === 'business' ? m.audience.business : 'network';
    const file = resolve(join(dir, `${String(++seq).padStart(5, '0')}-${m.kind}-${m.fault.type}-${safe(m.fault.key)}-${safe(who)}.eml`));
    writeFileSync(file, raw, { mode: 0o600 });
    files.push(file);
  }
  return { files };
}
