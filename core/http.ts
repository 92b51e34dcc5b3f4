// The HTTP shell every server shares: request metrics, /healthz and /metrics. Parts mount their routers on it.
import express, { type Express } from 'express';
import { Histogram, type Registry } from 'prom-client';
import type { Logger } from './log.js';

/** A named dependency /healthz checks; resolves true when it answers. */
export type HealthCheck = () => Promise<boolean>;

export function createHttpApp(log: Logger, registry: Registry, checks: Record<string, HealthCheck>): Express {
  const app = express();
  app.disable('x-powered-by');
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
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : req.path);
      end({ method: req.method, route: String(route), status: String(res.statusCode) });
      if (res.statusCode >= 500) log.warn({ method: req.method, url: req.originalUrl, status: res.statusCode }, 'request failed');
      else log.debug({ method: req.method, url: req.originalUrl, status: res.statusCode }, 'request');
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

/** Ends unmatched requests and turns thrown errors into JSON without leaking stacks. */
export function finishApp(app: Express, log: Logger): void {
  app.use((_req, res) => { res.status(404).json({ error: 'not found' }); });
  app.use((err: Error & { status?: number; statusCode?: number; type?: string }, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = err.status ?? err.statusCode ?? 500;
    if (status >= 500) log.error({ err, url: req.originalUrl }, 'unhandled error');
    if (res.headersSent) return;
    res.status(status).json({ error: status >= 500 ? 'internal error' : err.message });
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
