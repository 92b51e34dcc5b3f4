// A real SMTP server (npm smtp-server) on 127.0.0.1 for alerting tests, every message kept. By default no STARTTLS
// and no AUTH; with `tls` and `auth` it offers STARTTLS with that certificate and demands AUTH (PLAIN/LOGIN) with
// that user, which it accepts only over TLS, before any MAIL FROM: as a relay that requires both would.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  /** the session had been upgraded to TLS (STARTTLS) when the message came */
  secure: boolean;
  /** the user the session authenticated as (undefined: no AUTH) */
  user?: string;
}

export interface SmtpOptions {
  /** offer STARTTLS with this key and certificate (PEM) */
  tls?: { key: string; cert: string };
  /** require AUTH with these credentials (only accepted over TLS when `tls` is set) */
  auth?: { user: string; pass: string };
}

/** One AUTH attempt as the server saw it. */
export interface AuthAttempt { method: string; user: string; ok: boolean; secure: boolean }

export interface Smtp {
  port: number;
  received: ReceivedMail[];
  /** every AUTH attempt, in order */
  auths: AuthAttempt[];
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

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made with openssl into `dir` (key.pem, cert.pem); the
 * certificate is also its own CA, so a client trusts it by its cert.pem.
 */
export function selfSignedCert(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'pipe' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

export async function startSmtp(port?: number, opts: SmtpOptions = {}): Promise<Smtp> {
  const p = port ?? await freePort();
  const received: ReceivedMail[] = [];
  const auths: AuthAttempt[] = [];
  let reject = 0;
  let server: SMTPServer | null = null;
  const make = () => new SMTPServer({
    disabledCommands: [...(opts.tls ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])],
    authOptional: !opts.auth,
    authMethods: ['PLAIN', 'LOGIN'],
    // AUTH before STARTTLS is refused: the password never crosses in clear
    allowInsecureAuth: !opts.tls,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    logger: false,
    onAuth(auth, session, cb) {
      const ok = !!opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass;
      auths.push({ method: auth.method, user: auth.username ?? '', ok, secure: session.secure });
      if (ok) return cb(null, { user: auth.username });
      const err = new Error('authentication failed') as Error & { responseCode: number };
      err.responseCode = 535;
      cb(err);
    },
    onMailFrom(_address, session, cb) {
      if (opts.tls && !session.secure) {
        const err = new Error('must issue a STARTTLS command first') as Error & { responseCode: number };
        err.responseCode = 530;
        return cb(err);
      }
      cb();
    },
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
          raw, headers: parseHeaders(raw), decoded: decodeQp(raw), secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
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
  return { port: p, received, auths, rejectNext: (n) => { reject = n; }, down, up, stop: down };
}
