// Express guards: identify the caller, then require a login, the admin role and a CSRF token for writes.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Access, Principal } from './access.js';
import { sameSecret } from './tokens.js';
import { messagePage } from '../views/layout.js';

const refusePage = (req: Request, res: Response, status: number, title: string, message: string): void => {
  res.status(status).type('html').send(messagePage({ principal: principalOf(res), path: req.path }, title, message));
};

export const principalOf = (res: Response): Principal | null => (res.locals.principal as Principal | null | undefined) ?? null;

const wrap = (fn: (req: Request, res: Response) => Promise<boolean | void>): RequestHandler =>
  (req, res, next) => { fn(req, res).then((go) => { if (go !== false) next(); }, next); };

export const identify = (access: Access, allowBearer: boolean): RequestHandler => wrap(async (req, res) => {
  res.locals.principal = await access.identify(req, allowBearer);
});

/** Longest page address carried through the login; a longer one would make a Location header clients refuse. */
const MAX_NEXT = 2048;

/** Pages: anonymous GETs go to the login page and come back; anything else is 401. */
export const requirePageLogin: RequestHandler = (req, res, next) => {
  if (principalOf(res)) return next();
  if (req.method === 'GET' || req.method === 'HEAD') {
    // an over-long query is dropped (the page comes back without it), never echoed into a 16 KB+ header
    const back = [req.originalUrl, req.path, '/'].map((u) => encodeURIComponent(u)).find((u) => u.length <= MAX_NEXT)!;
    res.redirect(303, `/login?next=${back}`);
    return;
  }
  refusePage(req, res, 401, 'Log in first', 'This needs a signed-in user.');
};

export const requireApiLogin: RequestHandler = (_req, res, next) => {
  if (principalOf(res)) return next();
  res.status(401).setHeader('WWW-Authenticate', 'Bearer').json({ error: 'authentication required: a session cookie or Authorization: Bearer API_TOKEN' });
};

export const requireAdmin = (json: boolean): RequestHandler => (req, res, next) => {
  const p = principalOf(res);
  if (!p) {
    if (json) res.status(401).json({ error: 'authentication required' });
    else refusePage(req, res, 401, 'Log in first', 'This needs a signed-in admin.');
    return;
  }
  if (p.role === 'admin') return next();
  if (json) res.status(403).json({ error: `user ${p.user} has role ${p.role}; writing needs admin` });
  else refusePage(req, res, 403, 'Not allowed', `User ${p.user} has role ${p.role}; only admins can change this.`);
};

/**
 * Cookie-authenticated writes must carry the session's CSRF token (form field _csrf or header X-CSRF-Token).
 * Bearer-token requests carry no ambient credential, so they need none.
 */
export const requireCsrf = (json: boolean) => (req: Request, res: Response, next: NextFunction): void => {
  const p = principalOf(res);
  if (p?.via === 'token') return next();
  const sent = (req.get('X-CSRF-Token') ?? (req.body as Record<string, unknown> | undefined)?._csrf) as unknown;
  if (p?.session && typeof sent === 'string' && sameSecret(sent, p.session.csrf)) return next();
  if (json) res.status(403).json({ error: 'missing or invalid CSRF token (send X-CSRF-Token)' });
  else refusePage(req, res, 403, 'Form expired', 'Missing or invalid CSRF token: reload the page and try again.');
};
