// The web part as one express Router, mounted on the shared app next to the gateway's /api/v1/tasks and /results.
// Every middleware is attached per route (never router-wide), so gateway requests never pass through it.
import express, { Router } from 'express';
import { fileURLToPath } from 'node:url';
import { Counter } from 'prom-client';
import { apiRoutes } from './api.js';
import { Access } from './auth/access.js';
import type { WebDeps } from './deps.js';
import { boardPages } from './pages/board.js';
import { faultPages } from './pages/faults.js';
import { loginRoutes } from './pages/login.js';
import { outboxPages } from './pages/outbox.js';
import { probePages } from './pages/probes.js';
import { vipPages } from './pages/vips.js';
import { whitelistPages } from './pages/whitelist.js';
import { vendorRoutes } from './vendor.js';
import { notFoundPage } from './pages/not-found.js';

export type { WebDeps } from './deps.js';

export type WebRouter = Router & {
  access: Access;
  /** ends the live board's streams so the HTTP server can close */
  close(): void;
};

const ASSETS = fileURLToPath(new URL('./assets', import.meta.url));

export function webRouter(deps: WebDeps): WebRouter {
  const access = new Access(deps.admin, deps.config.web.sessionTtlSec, deps.now);
  const changes = new Counter({ name: 'vipwatch_web_whitelist_changes_total', help: 'whitelist changes by action', labelNames: ['action'], registers: [deps.registry] });
  const board = boardPages(deps, access);
  const router = Router();
  router.get('/', (_req, res) => res.redirect(303, '/board'));
  router.use(vendorRoutes());
  router.get('/favicon.ico', (_req, res) => res.redirect(301, '/favicon.svg'));
  router.get('/favicon.svg', (_req, res) => res.sendFile('favicon.svg', { root: ASSETS, maxAge: '1d' }));
  router.use('/assets', express.static(ASSETS, { maxAge: '1h', index: false, fallthrough: false }));
  router.use(loginRoutes(deps, access));
  router.use(board.router);
  router.use(faultPages(deps, access));
  router.use(vipPages(deps, access));
  router.use(whitelistPages(deps, access, changes));
  router.use(outboxPages(deps, access));
  if (deps.probes) router.use(probePages(deps, deps.probes, access));
  router.use(apiRoutes(deps, access, changes));
  // last: what no route above answered (API paths and non-browsers fall through to the app's JSON 404)
  router.use(...notFoundPage(access));
  return Object.assign(router, { access, close: () => board.hub.close() });
}
