// Builds the web part on a shared express app: the router, the first admin, and the "how to log in" line.
import type { Express } from 'express';
import type { WebDeps } from './deps.js';
import { loginHintText, seedFirstAdmin, type LoginHint } from './auth/seed.js';
import { webRouter, type WebRouter } from './router.js';

export interface WebPart {
  router: WebRouter;
  hint: LoginHint;
  /** the line the quick start prints: where to log in and with which password */
  hintText(baseUrl: string): string;
  close(): void;
}

/** Mounts the web routes on `app` (before finishApp) and seeds the first admin from config when needed. */
export async function mountWeb(app: Express, deps: WebDeps): Promise<WebPart> {
  const router = webRouter(deps);
  app.use(router);
  const hint = await seedFirstAdmin(router.access, deps.admin, deps.config);
  return { router, hint, hintText: (url) => loginHintText(hint, deps.config.web.url ?? url), close: () => router.close() };
}
