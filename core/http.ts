// The HTTP shell every server shares: request ids, request metrics, /healthz and /metrics, and one error policy.
// Parts mount their routers on it.
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { Histogram, type Registry } from 'prom-client';
import { ValidationError } from './errors.js';
import type { Logger } from './log.js';
import { StoreUnavailableError } from './store/series.js';

/** A named dependency /healthz checks; resolves true when it answers. */
export type HealthCheck = () => Promise<boolean>;

/** Route label of a request that matched no route: a fixed word, so odd URLs cannot grow /metrics. */
export const UNMATCHED = 'unmatched';

export function createHttpApp(log: Logger, registry: Registry, checks: Record<string, HealthCheck>): Express {
  const app = express();
  app.disable('x-powered-by');
  // the web part sets its own (web.trustProxy); nothing else reads the client address
  app.set('trust proxy', 'loopback');
  const duration = new Histogram({
    name: 'vipwatch_http_request_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
    registers: [registry],
  });
  app.use((req, res, next) => {
    const end = duration.startTimer();
    const requestId = randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    // nothing served here is meant to be sniffed into another type; API answers are per-caller and live
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.path.startsWith('/api/')) res.setHeader('Cache-Control', 'no-store');
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? UNMATCHED;
      end({ method: req.method, route: String(route), status: String(res.statusCode) });
      const line = { method: req.method, url: req.originalUrl, status: res.statusCode, requestId };
      if (res.statusCode >= 500) log.warn(line, 'request failed');
      else log.debug(line, 'request');
    });
    next();
  });
  app.get('/healthz', async (_req, res) => {
    const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => {
      const ok = await Promise.race([check().catch(() => false), new Promise<boolean>((r) => setTimeout(r, 2000, false))]);
      return [name, ok] as const;
    }));
    const ok = results.every(([, v]) => v);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', checks: Object.fromEntries(results) });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return app;
}

type HttpError = Error & { status?: number; statusCode?: number; type?: string };

/** What a client is told for a 4xx raised by a library (body parser, router): our words, never the library's. */
const CLIENT_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'body: not valid JSON',
  'entity.too.large': 'body: too large',
  'encoding.unsupported': 'body: unsupported content encoding',
  'charset.unsupported': 'body: unsupported charset',
  'request.aborted': 'request aborted',
  'request.size.invalid': 'body: size does not match Content-Length',
  'parameters.too.many': 'body: too many parameters',
};

const BY_STATUS: Record<number, string> = {
  400: 'bad request', 403: 'forbidden', 404: 'not found', 405: 'method not allowed', 413: 'body: too large', 415: 'unsupported media type',
};

export interface ErrorAnswer { status: number; error: string; retryAfterSec?: number; fields?: ValidationError['problems'] }

/**
 * The one error policy of every server: a store that is down is 503 with Retry-After; our own ValidationError is a
 * 400 naming each field; a library's 4xx keeps its status with a fixed message; anything else is a 500. Only 4xx
 * texts of our own making reach the client; the rest is logged under the request id the answer carries.
 */
export function answerFor(err: HttpError, retryAfterSec: number): ErrorAnswer {
  if (err instanceof StoreUnavailableError) return { status: 503, error: 'a store is unavailable; retry later', retryAfterSec };
  if (err instanceof ValidationError) return { status: 400, error: err.message, fields: err.problems };
  const status = err.status ?? err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const known = err.type ? CLIENT_ERRORS[err.type] : undefined;
    const decode = err instanceof URIError || /decode/i.test(err.message) ? 'bad percent-encoding in the URL' : undefined;
    return { status, error: known ?? decode ?? BY_STATUS[status] ?? 'bad request' };
  }
  return { status: status >= 500 && status < 600 ? status : 500, error: 'internal error' };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Ends unmatched requests and turns thrown errors into answers without leaking stacks or library text.
 * retryAfterSec: the Retry-After of a 503 (commands pass ingest.retryAfterSec, so web and gateway say the same).
 */
export function finishApp(app: Express, log: Logger, retryAfterSec = 5): void {
  app.use((_req, res) => { res.status(404).json({ error: 'not found' }); });
  app.use((err: HttpError, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const a = answerFor(err, retryAfterSec);
    const requestId = res.locals.requestId as string | undefined;
    if (a.status === 503) log.warn({ err: err.message, url: req.originalUrl, requestId }, 'store unavailable');
    else if (a.status >= 500) log.error({ err, url: req.originalUrl, requestId }, 'unhandled error');
    else log.info({ err: err.message, url: req.originalUrl, status: a.status, requestId }, 'request refused');
    if (res.headersSent) return;
    res.status(a.status);
    if (a.retryAfterSec !== undefined) res.setHeader('Retry-After', String(a.retryAfterSec));
    const message = a.status >= 500 ? `${a.error} (request ${requestId})` : a.error;
    // pages answer in HTML, the API and agents in JSON
    if (!req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html') {
      res.type('html').send(`<!doctype html><meta charset="utf-8"><title>Error ${a.status}</title><h1>Error ${a.status}</h1><p>${escapeHtml(message)}</p>`);
      return;
    }
    res.json({ error: a.error, ...(a.fields ? { fields: a.fields } : {}), requestId });
  });
}

/** Listens and resolves with the bound port (0 picks a free one). */
export function listen(app: Express, port: number, bind: string): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, bind, (err?: Error) => {
      if (err) return reject(err);
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : port,
        close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
      });
    });
    server.on('error', reject);
  });
}
