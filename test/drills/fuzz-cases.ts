// Fuzzed requests for every public endpoint of the all-in-one app: one generator per endpoint family in a registry,
// each drawing from a seeded PRNG (a run can be repeated from its seed) a method, headers, a body that is valid,
// slightly wrong, malformed or huge, and credentials that are right, wrong or someone else's.
import { isoTime } from '../../analyzer/engine/episodes.js';


export interface FuzzRequest {
  family: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** a raw HTTP/1.1 request written on a socket (malformed framing fetch cannot send) */
  raw?: string;
  /** a stream (the board's server-sent events): read the head, then hang up */
  stream?: boolean;
}

/** What the generators know about the running app; filled in by the drill and refreshed while it runs. */
export interface FuzzContext {
  rng: () => number;
  /** agent hosts with their tokens and task lists */
  hosts: Array<{ host: string; token: string; vips: string[]; version: string }>;
  vips: string[];
  dcs: string[];
  businesses: string[];
  faultUids: string[];
  whitelistIds: number[];
  apiToken: string;
  session: { cookie: string; csrf: string };
  minuteMs: number;
}

const pick = <T>(c: FuzzContext, xs: readonly T[]): T => xs[Math.floor(c.rng() * xs.length)]!;
const chance = (c: FuzzContext, p: number): boolean => c.rng() < p;
const int = (c: FuzzContext, lo: number, hi: number): number => lo + Math.floor(c.rng() * (hi - lo + 1));

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const NASTY_STRINGS = [
  '', ' ', '\u0000', '../../etc/passwd', '%00', '%ZZ', '<script>alert(1)</script>', '" OR 1=1 --', "'; DROP TABLE users; --",
  '𝕍𝕀ℙ', '\ud800', 'null', 'undefined', 'NaN', '-1', '1e309', '0x10', '__proto__', 'constructor', '${jndi:ldap://x}', '\r\nX-Injected: 1',
];
const NASTY_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 'x', '', [], {}, [1, 2], { a: 1 }, '9'.repeat(400),
  'a'.repeat(70_000), { __proto__: { polluted: 1 } }, '2026-13-45T99:99:99Z',
];
const nasty = (c: FuzzContext): string => (chance(c, 0.2) ? 'x'.repeat(int(c, 1000, 9000)) : pick(c, NASTY_STRINGS));
const nastyValue = (c: FuzzContext): unknown => (chance(c, 0.5) ? pick(c, NASTY_VALUES) : nasty(c));
/** Percent-encodes the UTF-8 bytes of s that `keep` does not accept (a lone surrogate becomes U+FFFD). */
const pct = (s: string, keep: RegExp): string => [...Buffer.from(s, 'utf8')]
  .map((b) => (keep.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
/** A path or query piece: fully encoded, or with only what a URL cannot carry encoded (so `..`, `%ZZ` get through). */
const encOf = (c: FuzzContext) => (s: string): string => pct(s, chance(c, 0.5) ? /[A-Za-z0-9_.~-]/ : /[\x21-\x7e]/);

/** Breaks a JSON text: cut short, stray bytes, wrong brackets, a deep nest, or not JSON at all. */
function malformed(c: FuzzContext, text: string): string {
  const cut = int(c, 0, Math.max(0, text.length - 1));
  return pick(c, [
    () => text.slice(0, cut),
    () => `${text.slice(0, cut)}\u0000\uFFFD${text.slice(cut)}`,
    () => text.replace(/[{}]/g, (b) => (b === '{' ? '[' : ']')),
    () => `${'['.repeat(int(c, 100, 50_000))}${']'.repeat(int(c, 0, 3))}`,
    () => `{"results":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    () => '1'.repeat(int(c, 1, 5000)),
    () => 'undefined', () => '', () => 'null', () => '"str"', () => '{"a":1,"a":2}', () => text + text,
  ])();
}

/** Replaces, drops or adds fields deep in a JSON value. */
function mutate(c: FuzzContext, v: unknown, depth = 0): unknown {
  if (Array.isArray(v)) {
    const out = v.map((x) => mutate(c, x, depth + 1));
    if (chance(c, 0.1)) out.push(nastyValue(c));
    return out;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (chance(c, 0.08)) continue;
      out[k] = chance(c, 0.12) ? nastyValue(c) : mutate(c, x, depth + 1);
    }
    if (chance(c, 0.1)) out[pick(c, ['__proto__', 'constructor', 'extra', 'prototype', nasty(c)])] = nastyValue(c);
    return out;
  }
  return v;
}

/** A body: valid (as given), mutated, malformed, or huge. */
function bodyFrom(c: FuzzContext, valid: unknown, hugeBytes: number): string {
  const r = c.rng();
  if (r < 0.4) return JSON.stringify(valid);
  if (r < 0.75) return JSON.stringify(mutate(c, valid));
  if (r < 0.97) return malformed(c, JSON.stringify(valid));
  return JSON.stringify({ padding: 'p'.repeat(hugeBytes + int(c, 1, 50_000)), ...(valid as object) });
}

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz', 'application/json; charset=latin1', 'application/json; charset=utf-16', '*/*', ''];

function agentAuth(c: FuzzContext, host: string): Record<string, string> {
  const own = c.hosts.find((h) => h.host === host)?.token ?? '';
  const other = pick(c, c.hosts).token;
  const choice = pick(c, [
    `Bearer ${own}`, `Bearer ${own}`, `Bearer ${own}`, `Bearer ${other}`, `Bearer ${own.slice(0, -2)}xx`, `Bearer ${c.apiToken}`,
    'Bearer', 'Bearer ', `bearer ${own}`, `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${'t'.repeat(int(c, 100, 8000))}`,
    `Bearer ${nasty(c)}`, '',
  ]);
  return choice ? { authorization: choice.replace(/[\r\n\u0000-\u001f\u007f-\uffff]/g, '') } : {};
}

function adminAuth(c: FuzzContext): Record<string, string> {
  return pick(c, [
    () => ({ authorization: `Bearer ${c.apiToken}` }),
    () => ({ authorization: `Bearer ${c.apiToken}` }),
    () => ({ cookie: c.session.cookie, 'x-csrf-token': c.session.csrf }),
    () => ({ cookie: c.session.cookie }),
    () => ({ cookie: c.session.cookie, 'x-csrf-token': 'forged' }),
    () => ({ cookie: `vipwatch_session=${'s'.repeat(int(c, 1, 300))}` }),
    () => ({ authorization: `Bearer ${pick(c, c.hosts).token}` }),
    () => ({ authorization: 'Bearer not-a-token' }),
    () => ({}),
  ])();
}

function resultsBody(c: FuzzContext, host: string): unknown {
  const h = c.hosts.find((x) => x.host === host)!;
  const now = Math.floor(Date.now() / c.minuteMs) * c.minuteMs;
  const n = int(c, 1, Math.min(h.vips.length, 30));
  const results = Array.from({ length: n }, (_, i) => {
    const sent = int(c, 1, 20);
    const recv = int(c, 0, sent);
    const r: Record<string, unknown> = { ts: isoTime(now - int(c, 1, 5) * c.minuteMs), host, vip: h.vips[i]!, method: 'icmp', sent, recv };
    if (recv > 0) Object.assign(r, { rttMin: 1 + i, rttAvg: 2 + i, rttMax: 3 + i });
    return r;
  });
  if (chance(c, 0.1)) results.push({ ...results[0]!, vip: pick(c, c.vips) }); // maybe not in the host's task list: 403
  if (chance(c, 0.05)) results[0]!.ts = isoTime(now + 3_600_000);
  return { host: chance(c, 0.9) ? host : pick(c, c.hosts).host, results };
}

const whitelistBody = (c: FuzzContext): unknown => {
  const scope = pick(c, ['vip', 'dc', 'business', 'form'] as const);
  const until = chance(c, 0.5) ? new Date(Date.now() + int(c, -3600, 86_400) * 1000).toISOString() : undefined;
  const reason = chance(c, 0.9) ? `fuzz ${int(c, 0, 1e6)}` : 'r'.repeat(int(c, 400, 700));
  if (scope === 'form') return { scope: pick(c, ['vip', 'dc', 'business', 'nope']), value: pick(c, [...c.vips, ...c.dcs, nasty(c)]), reason, until };
  const value = chance(c, 0.8) ? pick(c, scope === 'vip' ? c.vips : scope === 'dc' ? c.dcs : c.businesses) : nasty(c);
  return { [scope]: value, reason, until };
};

const idOf = (c: FuzzContext): string => (chance(c, 0.6) && c.whitelistIds.length ? String(pick(c, c.whitelistIds))
  : pick(c, ['0', '-1', '999999999', '1e3', '1.5', 'abc', '99999999999999999999999', '%2e%2e', '1;DROP', nasty(c)].map(encOf(c))));

const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const formOf = (o: Record<string, unknown>): string => new URLSearchParams(Object.entries(o).map(([k, v]) => [k, String(v)])).toString();

/** One generator per endpoint family, with its weight in the mix. */
export const families: Record<string, { weight: number; make(c: FuzzContext): FuzzRequest }> = {
  tasks: { weight: 12, make: (c) => {
    const h = pick(c, c.hosts);
    const etag = pick(c, [h.version, `"${h.version}"`, 'W/"x"', '*', nasty(c).replace(/[^\x20-\x7e]/g, ''), '']);
    return { family: 'tasks', method: chance(c, 0.9) ? 'GET' : pick(c, METHODS), path: '/api/v1/tasks' + (chance(c, 0.1) ? `?host=${encOf(c)(nasty(c))}` : ''),
      headers: { ...agentAuth(c, h.host), ...(etag ? { 'if-none-match': etag } : {}) } };
  } },
  results: { weight: 20, make: (c) => {
    const h = pick(c, c.hosts);
    return { family: 'results', method: chance(c, 0.93) ? 'POST' : pick(c, METHODS.filter((m) => m !== 'HEAD' && m !== 'GET')), path: '/api/v1/results',
      headers: { ...agentAuth(c, h.host), ...(chance(c, 0.8) ? json : { 'content-type': pick(c, CONTENT_TYPES) }) },
      body: bodyFrom(c, resultsBody(c, h.host), 1 << 20) };
  } },
  faults: { weight: 8, make: (c) => {
    const q = [chance(c, 0.7) ? `status=${encOf(c)(pick(c, ['open', 'all', 'closed', nasty(c)]))}` : '', chance(c, 0.4) ? `limit=${encOf(c)(pick(c, ['1', '10', '10000', '10001', '0', '-5', '1e4', nasty(c)]))}` : '',
      chance(c, 0.05) ? 'status=open&status=all' : ''].filter(Boolean).join('&');
    return { family: 'faults', method: chance(c, 0.9) ? 'GET' : pick(c, METHODS), path: `/api/v1/faults${q ? `?${q}` : ''}`, headers: chance(c, 0.3) ? adminAuth(c) : {} };
  } },
  whitelistRead: { weight: 5, make: (c) => ({ family: 'whitelistRead', method: 'GET',
    path: pick(c, ['/api/v1/whitelist', `/api/v1/whitelist?search=${encOf(c)(nasty(c))}`, '/api/v1/whitelist?expired=1', `/api/v1/whitelist/audit?entry=${idOf(c)}`, '/api/v1/whitelist/audit']),
    headers: chance(c, 0.3) ? adminAuth(c) : {} }) },
  whitelistWrite: { weight: 12, make: (c) => {
    const method = pick(c, ['POST', 'POST', 'PUT', 'DELETE', 'DELETE', 'PATCH']);
    const path = method === 'POST' && chance(c, 0.9) ? '/api/v1/whitelist' : `/api/v1/whitelist/${idOf(c)}`;
    return { family: 'whitelistWrite', method, path, headers: { ...adminAuth(c), ...(chance(c, 0.85) ? json : { 'content-type': pick(c, CONTENT_TYPES) }) },
      body: method === 'DELETE' && chance(c, 0.7) ? undefined : bodyFrom(c, whitelistBody(c), 16 << 10) };
  } },
  login: { weight: 6, make: (c) => pick(c, [
    () => ({ family: 'login', method: 'GET', path: `/login${chance(c, 0.3) ? `?next=${encOf(c)(pick(c, ['/board', '//evil.example', 'https://evil.example', nasty(c)]))}` : ''}`, headers: {} }),
    () => ({ family: 'login', method: 'POST', path: '/login', headers: { ...form, cookie: `vipwatch_login=${pick(c, ['abc', nasty(c)]).replace(/[^\x21-\x7e]/g, '')}` },
      body: formOf({ _csrf: pick(c, ['abc', c.session.csrf, '']), user: pick(c, ['admin', 'root', nasty(c)]), password: pick(c, ['wrong', 'p'.repeat(int(c, 1, 5000))]), next: pick(c, ['/board', '//evil.example', nasty(c)]) }) }),
    () => ({ family: 'login', method: 'POST', path: '/login', headers: { 'content-type': pick(c, CONTENT_TYPES) }, body: malformed(c, '{"user":"admin","password":"x"}') }),
    () => ({ family: 'login', method: 'POST', path: '/logout', headers: { ...form, ...(chance(c, 0.5) ? { cookie: `vipwatch_session=${'z'.repeat(int(c, 1, 64))}` } : {}) }, body: formOf({ _csrf: nasty(c) }) }),
  ])() },
  pages: { weight: 18, make: (c) => {
    const path = pick(c, [
      '/', '/board', `/board?minutes=${encOf(c)(pick(c, ['5', '0', '-1', '1000', nasty(c)]))}`, `/board?province=${encOf(c)(nasty(c))}&isp=${encOf(c)(nasty(c))}`, '/faults',
      `/faults?status=${encOf(c)(pick(c, ['all', 'open', nasty(c)]))}`, `/faults/${encodeURIComponent(c.faultUids.length ? pick(c, c.faultUids) : 'dc:x@2026-11-23T00:00:00Z')}`,
      `/faults/${encOf(c)(nasty(c))}`, '/vips', `/vips?search=${encOf(c)(nasty(c))}`, `/vips/${pick(c, c.vips)}`, `/vips/${encOf(c)(nasty(c))}`, '/whitelist',
      `/whitelist/${idOf(c)}/edit`, '/outbox', `/outbox?page=${encOf(c)(nasty(c))}`, '/assets/app.js', '/assets/style.css', `/assets/${encOf(c)(nasty(c))}`,
      '/assets/..%2f..%2fpackage.json', '/assets/%2e%2e/%2e%2e/etc/passwd', '/faults/%E0%A4%A', '/vips/%ZZ',
    ]);
    const method = chance(c, 0.88) ? 'GET' : pick(c, METHODS);
    return { family: 'pages', method, path, headers: chance(c, 0.5) ? { cookie: c.session.cookie } : chance(c, 0.5) ? adminAuth(c) : {} };
  } },
  pageForms: { weight: 5, make: (c) => {
    const path = pick(c, ['/whitelist', `/whitelist/${idOf(c)}`, `/whitelist/${idOf(c)}/delete`]);
    const csrf = pick(c, [c.session.csrf, c.session.csrf, 'forged', '']);
    const body = chance(c, 0.8) ? formOf({ ...(whitelistBody(c) as Record<string, unknown>), _csrf: csrf }) : malformed(c, `_csrf=${csrf}&scope=vip`);
    return { family: 'pageForms', method: 'POST', path, headers: { ...form, ...(chance(c, 0.8) ? { cookie: c.session.cookie } : {}) }, body };
  } },
  stream: { weight: 1, make: (c) => ({ family: 'stream', method: 'GET', path: '/board/events', headers: chance(c, 0.8) ? { cookie: c.session.cookie, accept: 'text/event-stream' } as Record<string, string> : {}, stream: true }) },
  healthz: { weight: 3, make: (c) => ({ family: 'healthz', method: chance(c, 0.85) ? 'GET' : pick(c, METHODS), path: chance(c, 0.8) ? '/healthz' : `/healthz?${encOf(c)(nasty(c))}`, headers: {} }) },
  metrics: { weight: 2, make: (c) => ({ family: 'metrics', method: chance(c, 0.9) ? 'GET' : pick(c, METHODS), path: '/metrics', headers: {} }) },
  random: { weight: 6, make: (c) => {
    const segs = Array.from({ length: int(c, 1, 6) }, () => encOf(c)(pick(c, ['api', 'v1', 'v2', 'tasks', 'results', 'x', '..', '.', nasty(c)])));
    const path = chance(c, 0.05) ? `/${'a'.repeat(int(c, 9000, 20_000))}` : `/${segs.join('/')}`;
    const h: Record<string, string> = {};
    for (let i = int(c, 0, 4); i > 0; i--) h[`x-fuzz-${i}`] = nasty(c).replace(/[^\x20-\x7e]/g, '').slice(0, 8000) || 'v';
    const method = pick(c, METHODS);
    return { family: 'random', method, path, headers: h, body: method === 'GET' || method === 'HEAD' ? undefined : malformed(c, '{"a":[1,2,{"b":"c"}]}') };
  } },
  raw: { weight: 2, make: (c) => {
    const body = '{"host":"x","results":[]}';
    const raw = pick(c, [
      `POST /api/v1/results HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 500}\r\n\r\n${body}`,
      `POST /api/v1/results HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n${body}`,
      `POST /api/v1/whitelist HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`,
      `GET /board HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n`,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
      `GET / HTTP/9.9\r\n\r\n`,
      `\u0000\u0001\u0002 garbage\r\n\r\n`,
      `POST /api/v1/results HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef`,
      `GET /api/v1/tasks HTTP/1.0\r\nAuthorization: Bearer ${pick(c, c.hosts).token}\r\n\r\n`,
    ]);
    return { family: 'raw', method: 'RAW', path: raw.split('\r\n', 1)[0]!.slice(0, 60), headers: {}, raw };
  } },
};

const total = Object.values(families).reduce((s, f) => s + f.weight, 0);

/** Draws the next request: a family by weight, then its generator. */
export function nextRequest(c: FuzzContext): FuzzRequest {
  let r = c.rng() * total;
  for (const f of Object.values(families)) {
    r -= f.weight;
    if (r < 0) return f.make(c);
  }
  return families.healthz!.make(c);
}
