// Builds the web part on a shared express app: the router, the first admin, and the "how to log in" line.
import type { Express } from 'express';
import type { WebDeps } from './deps.js';
import { loginHintText, seedFirstAdmin, type LoginHint } from './auth/seed.js';
import { webRouter, type WebRouter } from './router.js';

/** Said at start-up while web.apiReadAuth is false (the default): anyone who reaches the port reads faults and whitelist. */
export const API_READS_OPEN = 'API reads are open: GET /api/v1/faults and /api/v1/whitelist answer without a login (set web.apiReadAuth: true to require one)';

export interface WebPart {
  router: WebRouter;
  hint: LoginHint;
  /** the line the quick start prints: where to log in and with which password */
  hintText(baseUrl: string): string;
  close(): void;
}

/** Mounts the web routes on `app` (before finishApp) and seeds the first admin from config when needed. */
export async function mountWeb(app: Express, deps: WebDeps): Promise<WebPart> {
  // which proxies' X-Forwarded-For is believed: the client address the login limit keys on
  app.set('trust proxy', deps.config.web.trustProxy.length ? deps.config.web.trustProxy : false);
  const router = webRouter(deps);
  app.use(router);
  const hint = await seedFirstAdmin(router.access, deps.admin, deps.config);
  if (!deps.config.web.apiReadAuth) deps.log.warn(API_READS_OPEN);
  return { router, hint, hintText: (url) => loginHintText(hint, deps.config.web.url ?? url), close: () => router.close() };
}
