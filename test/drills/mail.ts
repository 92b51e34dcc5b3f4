// What the drills expect of the alert mail: who gets which message for the broken DC, read from the SMTP server.
import type { ReceivedMail } from '../support/smtp.js';
import { BUSINESSES, NETWORK_TEAM, VIP_DCS } from './system.js';

export interface ExpectedMail {
  audience: string;
  to: string[];
  /** the VIPs the message must list */
  vips: string[];
  /** VIPs of the DC it must not list (another business's) */
  notVips: string[];
}

/** One message per business owning VIPs of the DC, to its owners with its VIPs; one to the network team with all. */
export function expectedForDc(dc: (typeof VIP_DCS)[number]): ExpectedMail[] {
  const all = dc.vips.map(([ip]) => ip as string);
  const names = [...new Set(dc.vips.map(([, b]) => b as string))].sort();
  return [
    { audience: 'network team', to: [NETWORK_TEAM], vips: all, notVips: [] },
    ...names.map((name) => {
      const vips = dc.vips.filter(([, b]) => b === name).map(([ip]) => ip as string);
      return { audience: `business ${name}`, to: BUSINESSES.find((b) => b.name === name)!.owners, vips, notVips: all.filter((v) => !vips.includes(v)) };
    }),
  ];
}

export const kindOf = (m: ReceivedMail): string => m.headers.get('x-vipwatch-kind') ?? '?';

/** Problems with the messages of one kind against the expectation (empty when they match exactly). */
export function checkMail(received: ReceivedMail[], kind: 'open' | 'recovery', dcId: string, expected: ExpectedMail[]): string[] {
  const problems: string[] = [];
  const mine = received.filter((m) => kindOf(m) === kind);
  const verb = kind === 'open' ? 'OPEN' : 'RECOVERED';
  for (const e of expected) {
    const to = [...e.to].sort().join(',');
    const got = mine.filter((m) => [...m.to].sort().join(',') === to);
    if (got.length !== 1) {
      problems.push(`${kind} for ${e.audience} (${to}): ${got.length} messages`);
      continue;
    }
    const m = got[0]!;
    const subject = m.headers.get('subject') ?? '';
    if (!subject.includes(`${verb}: DC fault ${dcId}`)) problems.push(`${kind} for ${e.audience}: subject ${JSON.stringify(subject)}`);
    for (const v of e.vips) if (!m.decoded.includes(v)) problems.push(`${kind} for ${e.audience}: VIP ${v} not listed`);
    for (const v of e.notVips) if (m.decoded.includes(v)) problems.push(`${kind} for ${e.audience}: lists ${v} of another business`);
  }
  if (mine.length !== expected.length) {
    problems.push(`${mine.length} ${kind} messages, expected ${expected.length}: ${mine.map((m) => `${m.to.join(',')} "${m.headers.get('subject')}"`).join('; ')}`);
  }
  return problems;
}
