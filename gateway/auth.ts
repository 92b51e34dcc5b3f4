// Agent authentication: a bearer token names its host and generation; no or bad token is 401, a token of an older
// generation (revoked or rotated) is 401 too, a host the inventory lacks is 403. Until this gateway could read the
// generations from the admin store, agents get 503 + Retry-After and keep their records.
import type { NextFunction, Request, Response } from 'express';
import { parseToken, type TokenGenerations } from './tokens.js';
import type { PlanState } from './tasks.js';

export const agentAuth = (secret: string, state: PlanState, generations: TokenGenerations, retryAfterSec: number) =>
  (req: Request, res: Response, next: NextFunction): void => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('Authorization') ?? '');
    if (!m) {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer').json({ error: 'missing bearer token (Authorization: Bearer TOKEN; see `vipwatch token HOST`)' });
      return;
    }
    const token = parseToken(secret, m[1]!);
    if (!token) {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer error="invalid_token"').json({ error: 'invalid token' });
      return;
    }
    const decide = (): void => {
      const current = generations.of(token.host);
      if (current === null) {
        res.status(503).setHeader('Retry-After', String(retryAfterSec)).json({ error: 'token state not loaded yet; retry later' });
        return;
      }
      if (token.generation !== current) {
        res.status(401).setHeader('WWW-Authenticate', 'Bearer error="invalid_token"').json({ error: 'token revoked: get the current one with `vipwatch token HOST`' });
        return;
      }
      if (!state.current.catalog.hosts.has(token.host)) {
        res.status(403).json({ error: `unknown host ${token.host}` });
        return;
      }
      res.locals.host = token.host;
      next();
    };
    if (generations.of(token.host) !== null) decide();
    else generations.ready().then(decide, next);
  };
