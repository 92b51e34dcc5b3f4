// A small JSON-over-HTTP(S) client for the agent's two calls to the gateway (task pull, result post), on node:http.
// No keep-alive: one request a minute (or an hour) does not need it, and a kept socket only risks a reset from a
// restarted gateway. (The http probe method, probes/http.ts, is on node:http too: the agent carries no HTTP library.)
import { request as httpRequest } from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';

export interface JsonResponse { status: number; headers: Record<string, string | string[] | undefined>; body: unknown }

export interface GatewayClient {
  /** `signal` aborts the request (the agent's shutdown does not wait out a slow gateway) */
  request(method: 'GET' | 'POST', path: string, opts?: { headers?: Record<string, string>; json?: unknown; /** JSON already serialized (sent instead of json) */ jsonText?: string; signal?: AbortSignal }): Promise<JsonResponse>;
}

const load = createRequire(import.meta.url);
/** node:https, loaded on first use: it (and node:tls under it) is ~1.3 MB of RSS an agent on plain http never needs */
export const https = (): typeof Https => load('node:https') as typeof Https;

/** Largest response body read (a task list of 100,000 targets is a few MB). */
const MAX_BODY = 64 << 20;

export function gatewayClient(baseUrl: string, token: string, timeoutMs: number): GatewayClient {
  const base = new URL(baseUrl);
  const send = base.protocol === 'https:' ? https().request : httpRequest;
  return {
    request: (method, path, opts = {}) => new Promise((resolve, reject) => {
      const payload = opts.jsonText !== undefined ? Buffer.from(opts.jsonText) : opts.json === undefined ? undefined : Buffer.from(JSON.stringify(opts.json));
      const req = send(new URL(path, base), {
        method,
        agent: false,
        timeout: timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
          ...opts.headers,
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) req.destroy(new Error(`${method} ${path}: response larger than ${MAX_BODY} bytes`));
          else chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (/json/.test(String(res.headers['content-type'] ?? ''))) {
            try { body = JSON.parse(text); } catch { /* kept as text; the caller reports it */ }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    }),
  };
}

/** The gateway's error message from a JSON {"error": ...} body, or the text. */
export const errorOf = (body: unknown): string =>
  body && typeof body === 'object' ? String((body as { error?: unknown }).error ?? '') : String(body ?? '');
