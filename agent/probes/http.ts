// HTTP(S) GET, an L7 check: status code, the time of each phase, success by status and an optional body pattern,
// and the TLS certificate's days left. Every probe opens a fresh connection (no keep-alive), so each one measures the
// same path: DNS (the pinned lookup), connect, TLS, first byte (response headers), total (body read, up to MAX_BODY).
// The RTT of a success is the time to the response headers. Success: a status in the target's expectStatus (default
// 2xx and 3xx) and, when the target has a bodyPattern, a body that matches it; anything else counts as lost, but
// still reports what was seen (status, phases, certificate). A timeout or a network error is lost with nothing seen.
// When the URL names a host, the connection still goes to the VIP's address (Host header and SNI keep the name).
// The certificate is not verified (a monitor must see the VIP even when its certificate is wrong); its expiry is
// reported instead, and the analyzer warns before it runs out (analyzer/cert-expiry.ts).
// node:http directly (not axios): its socket events give the phases, and the agent carries no HTTP library.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type { RequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { msSince, type DetailedReply, type HttpObservation, type ProbeMethod, type ProbeTarget } from './method.js';
import { https } from '../http-client.js';

/** Bytes of body read at most (for the pattern and the total time); the rest is not fetched. */
export const MAX_BODY = 256 * 1024;
const DAY_MS = 86_400_000;
/** the record's bound on certDaysLeft (core/records.ts) */
const MAX_DAYS = 10_000_000;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** A status matcher from expectStatus entries (200, "2xx"); default 2xx and 3xx. */
export function statusMatcher(expect: (number | string)[] | undefined): (status: number) => boolean {
  if (!expect?.length) return (s) => s >= 200 && s < 400;
  const codes = new Set<number>();
  const classes = new Set<number>();
  for (const e of expect) {
    if (typeof e === 'number') codes.add(e);
    else if (/^[1-5]xx$/i.test(e)) classes.add(Number(e[0]));
    else throw new Error(`http: expectStatus entry ${JSON.stringify(e)} is neither a status code nor a class like "2xx"`);
  }
  return (s) => codes.has(s) || classes.has(Math.floor(s / 100));
}

/**
 * A DNS lookup that answers the VIP's address (in either callback form: node asks for `all` when it may race
 * families); `done` marks the end of the DNS phase (the socket's own 'lookup' event fires before a listener can be set).
 */
function pinnedLookup(address: string, family: number, done: () => void) {
  return (_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    done();
    if (opts?.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  };
}

/** How a target is requested, worked out once per (url, address, expectations) and reused. */
interface Prepared {
  secure: boolean;
  options: RequestOptions;
  /** the VIP's address and family when the URL names a host (then the lookup is pinned to it), else null */
  pin: { address: string; family: number } | null;
  ok: (status: number) => boolean;
  pattern: RegExp | null;
}

function prepare(target: ProbeTarget): Prepared {
  const url = new URL(target.url!);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const named = isIP(host) === 0;
  const family = isIP(target.address);
  const secure = url.protocol === 'https:';
  return {
    secure,
    ok: statusMatcher(target.expectStatus),
    // a host name is pinned to the VIP's address (the DNS phase is this answer); an address is used as is
    pin: named && family ? { address: target.address, family } : null,
    pattern: target.bodyPattern !== undefined ? new RegExp(target.bodyPattern) : null,
    options: {
      host,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      agent: false,
      headers: { 'User-Agent': 'vipwatch-agent', Host: url.host, Connection: 'close' },
      ...(secure ? { servername: named ? host : undefined, rejectUnauthorized: false } : {}),
    } as RequestOptions,
  };
}

export class HttpProbe implements ProbeMethod {
  readonly name = 'http' as const;
  readonly #prepared = new Map<string, Prepared>();
  readonly #open = new Set<ClientRequest>();

  probe(target: ProbeTarget, timeoutMs: number): Promise<number | null | DetailedReply> {
    if (!target.url) return Promise.reject(new Error(`http: target ${target.address} has no url`));
    const key = `${target.url} ${target.address} ${target.expectStatus?.join(',') ?? ''} ${target.bodyPattern ?? ''}`;
    let p = this.#prepared.get(key);
    if (!p) {
      if (this.#prepared.size > 10_000) this.#prepared.clear();
      p = prepare(target);
      this.#prepared.set(key, p);
    }
    const prep = p;
    return new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      let dnsMs = 0;
      let connectMs = 0;
      let tlsMs: number | undefined;
      let certDaysLeft: number | undefined;
      let settled = false;
      const options: RequestOptions = prep.pin
        ? { ...prep.options, lookup: pinnedLookup(prep.pin.address, prep.pin.family, () => { dnsMs = msSince(t0); }) as RequestOptions['lookup'] }
        : prep.options;
      const req = (prep.secure ? https().request : httpRequest)(options);
      this.#open.add(req);
      const end = (reply: number | null | DetailedReply) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#open.delete(req);
        req.destroy();
        resolve(reply);
      };
      const timer = setTimeout(() => end(null), timeoutMs);
      req.on('error', () => end(null));
      req.on('socket', (s: Socket) => {
        s.once('connect', () => { connectMs = msSince(t0); });
        s.once('secureConnect', () => {
          tlsMs = msSince(t0);
          const validTo = (s as TLSSocket).getPeerCertificate().valid_to;
          const days = validTo ? Math.round(((Date.parse(validTo) - Date.now()) / DAY_MS) * 100) / 100 : NaN;
          if (Number.isFinite(days)) certDaysLeft = Math.max(-MAX_DAYS, Math.min(MAX_DAYS, days));
        });
      });
      req.on('response', (res: IncomingMessage) => {
        const firstByteMs = msSince(t0);
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          const totalMs = msSince(t0);
          const body = prep.pattern ? Buffer.concat(chunks).toString('utf8') : '';
          const bodyMismatch = prep.pattern !== null && !prep.pattern.test(body);
          const status = res.statusCode ?? 0;
          // a status the record cannot carry (core/records.ts: 100-999) is no HTTP answer
          if (status < 100 || status > 999) return end(null);
          const http: HttpObservation = {
            status, dnsMs: round3(dnsMs), connectMs: round3(connectMs), firstByteMs: round3(firstByteMs), totalMs: round3(totalMs), bodyMismatch,
            ...(tlsMs !== undefined ? { tlsMs: round3(tlsMs) } : {}),
            ...(certDaysLeft !== undefined ? { certDaysLeft } : {}),
          };
          end({ rtt: prep.ok(status) && !bodyMismatch ? firstByteMs : null, http });
        };
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (prep.pattern) chunks.push(c);
          if (size >= MAX_BODY) finish();
        });
        res.on('end', finish);
        res.on('error', () => end(null));
      });
      req.end();
    });
  }

  async close(): Promise<void> {
    for (const r of this.#open) r.destroy();
    this.#open.clear();
  }
}
