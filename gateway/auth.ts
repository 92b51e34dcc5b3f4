// Agent authentication: a bearer token names its host; no or bad token is 401, a host the inventory lacks is 403.
import type { NextFunction, Request, Response } from 'express';
import { verifyToken } from './tokens.js';
import type { PlanState } from './tasks.js';

export const agentAuth = (secret: string, state: PlanState) => (req: Request, res: Response, next: NextFunction): void => {
  const m = /^Bearer\s+(\S+)$/i.exec(req.get('Authorization') ?? '');
  if (!m) {
    res.status(401).setHeader('WWW-Authenticate', 'Bearer').json({ error: 'missing bearer token (Authorization: Bearer TOKEN; see `vipwatch token HOST`)' });
    return;
  }
  const host = verifyToken(secret, m[1]!);
  if (!host) {
    res.status(401).setHeader('WWW-Authenticate', 'Bearer error="invalid_token"').json({ error: 'invalid token' });
    return;
  }
  if (!state.current.catalog.hosts.has(host)) {
    res.status(403).json({ error: `unknown host ${host}` });
    return;
  }
  res.locals.host = host;
  next();
};
