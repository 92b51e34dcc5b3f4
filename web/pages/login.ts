// Login and logout. Login is rate-limited per client IP and user name, per IP, and per account, and its form carries a CSRF token of its own
// (a double-submit cookie), since there is no session yet to hold one.
import { Router, urlencoded } from 'express';
import { Counter } from 'prom-client';
import { SESSION_COOKIE, type Access } from '../auth/access.js';
import { parseCookies, serializeCookie } from '../auth/cookies.js';
import { identify, requireCsrf } from '../auth/guards.js';
import { TokenBuckets } from '../auth/ratelimit.js';
import { randomToken, sameSecret } from '../auth/tokens.js';
import { ctxOf, sendPage, type WebDeps } from '../deps.js';
import { html } from '../html.js';
import { page } from '../views/layout.js';
import { safeNext, securityHeaders } from '../security.js';

const LOGIN_CSRF_COOKIE = 'vipwatch_login';

export function loginRoutes(deps: WebDeps, access: Access): Router {
  const web = deps.config.web;
  const router = Router();
  const buckets = new TokenBuckets(web.loginBurst, web.loginRefillSec * 1000, deps.now);
  // One IP guessing many names is held by a wider bucket of its own.
  const ipBuckets = new TokenBuckets(web.loginBurst * 4, web.loginRefillSec * 1000, deps.now);
  // One name guessed from many addresses (X-Forwarded-For from a trusted proxy, or a botnet) is held per account.
  const accountBuckets = new TokenBuckets(web.loginAccountBurst, web.loginRefillSec * 1000, deps.now);
  const logins = new Counter({ name: 'vipwatch_web_logins_total', help: 'login attempts by result', labelNames: ['result'], registers: [deps.registry] });
  const secure = web.secureCookies;
  const form = urlencoded({ extended: false, limit: '8kb' });

  const render = (req: Parameters<typeof ctxOf>[0], res: Parameters<typeof ctxOf>[1], status: number, user: string, error: string | null) => {
    const token = randomToken(24);
    res.append('Set-Cookie', serializeCookie(LOGIN_CSRF_COOKIE, token, { secure, maxAgeSec: 3600, path: '/login' }));
    const next = safeNext(req.query.next ?? (req.body as Record<string, unknown> | undefined)?.next);
    sendPage(res, page(ctxOf(req, res), 'Log in', html`
<form method="post" action="/login" class="card login">
  ${error ? html`<p class="notice bad" role="alert">${error}</p>` : ''}
  <input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="next" value="${next}">
  <label>User <input name="user" autocomplete="username" value="${user}" required autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit" class="primary">Log in</button>
</form>`), status);
  };

  router.get('/login', securityHeaders, identify(access, false), (req, res) => {
    if (ctxOf(req, res).principal) return res.redirect(303, safeNext(req.query.next));
    render(req, res, 200, '', null);
  });

  router.post('/login', securityHeaders, form, async (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const user = typeof b.user === 'string' ? b.user.trim() : '';
    const password = typeof b.password === 'string' ? b.password : '';
    const cookie = parseCookies(req.get('Cookie')).get(LOGIN_CSRF_COOKIE);
    if (!cookie || typeof b._csrf !== 'string' || !sameSecret(cookie, b._csrf)) {
      logins.inc({ result: 'csrf' });
      return render(req, res, 403, user, 'The login form expired (missing or invalid CSRF token): please try again.');
    }
    const ip = req.ip ?? 'unknown';
    const account = user.toLowerCase();
    const key = `${ip}|${account}`;
    const limited = [ipBuckets.take(ip), buckets.take(key), accountBuckets.take(account)].find((t) => !t.ok);
    if (limited) {
      logins.inc({ result: 'limited' });
      res.setHeader('Retry-After', String(limited.retryAfterSec));
      return render(req, res, 429, user, `Too many attempts: wait ${limited.retryAfterSec} s and try again.`);
    }
    const u = await access.checkPassword(user, password);
    if (!u) {
      logins.inc({ result: 'bad' });
      deps.log.info({ user, ip }, 'login refused');
      return render(req, res, 401, user, 'Wrong user name or password.');
    }
    buckets.reset(key);
    accountBuckets.reset(account);
    ipBuckets.refund(ip);
    const { cookie: sid } = await access.startSession(u.name);
    logins.inc({ result: 'ok' });
    deps.log.info({ user: u.name, role: u.role, ip }, 'login');
    res.append('Set-Cookie', serializeCookie(SESSION_COOKIE, sid, { secure, maxAgeSec: web.sessionTtlSec }));
    res.append('Set-Cookie', serializeCookie(LOGIN_CSRF_COOKIE, '', { secure, maxAgeSec: 0, path: '/login' }));
    res.redirect(303, safeNext(b.next));
  });

  router.post('/logout', securityHeaders, form, identify(access, false), requireCsrf(false), async (req, res) => {
    const sid = parseCookies(req.get('Cookie')).get(SESSION_COOKIE);
    if (sid) await access.endSession(sid);
    res.append('Set-Cookie', serializeCookie(SESSION_COOKIE, '', { secure, maxAgeSec: 0 }));
    res.redirect(303, '/login');
  });

  return router;
}
