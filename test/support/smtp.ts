// A real SMTP server (npm smtp-server) on 127.0.0.1 for alerting tests: no STARTTLS, no AUTH, every message kept.
import { SMTPServer } from 'smtp-server';
import { freePort } from './ports.js';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** header name (lower case) -> value, unfolded */
  headers: Map<string, string>;
  /** the raw message with quoted-printable soft breaks and escapes undone: good enough to search the bodies */
  decoded: string;
}

export interface Smtp {
  port: number;
  received: ReceivedMail[];
  /** the next n DATA commands are answered 451 (temporary failure) */
  rejectNext(n: number): void;
  /** stops listening and drops open connections (the server is "down") */
  down(): Promise<void>;
  /** listens again on the same port */
  up(): Promise<void>;
  stop(): Promise<void>;
}

export function parseHeaders(raw: string): Map<string, string> {
  const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const out = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return out;
}

export const decodeQp = (raw: string): string =>
  raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

export async function startSmtp(port?: number): Promise<Smtp> {
  const p = port ?? await freePort();
  const received: ReceivedMail[] = [];
  let reject = 0;
  let server: SMTPServer | null = null;
  const make = () => new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (reject > 0) {
          reject--;
          const err = new Error('try again later') as Error & { responseCode: number };
          err.responseCode = 451;
          cb(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw, headers: parseHeaders(raw), decoded: decodeQp(raw),
        });
        cb();
      });
    },
  });
  const up = () => new Promise<void>((resolve, rejectP) => {
    server = make();
    server.on('error', () => { /* connection-level errors are the client's problem in these tests */ });
    server.listen(p, '127.0.0.1', () => resolve());
    server.server.once('error', rejectP);
  });
  const down = () => new Promise<void>((resolve) => {
    const s = server;
    server = null;
    if (!s) return resolve();
    // close() waits for open sessions; drop them so "down" means down now
    s.close(() => resolve());
    for (const c of (s as unknown as { connections: Set<{ close(): void }> }).connections ?? []) c.close();
  });
  await up();
  return { port: p, received, rejectNext: (n) => { reject = n; }, down, up, stop: down };
}
