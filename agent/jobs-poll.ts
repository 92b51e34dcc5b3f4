// The agent's long poll for jobs (GET /api/v1/jobs?wait=S): one kept-alive connection per agent, so a poll every
// ~25 s costs the gateway a request, not a TCP (or TLS) handshake as well. Abortable, for a prompt stop.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { https as loadHttps } from './http-client.js';

const MAX_BODY = 4 << 20;

export class JobPollClient {
  readonly #base: URL;
  readonly #agent: HttpAgent;
  readonly #send: typeof httpRequest;

  constructor(baseUrl: string, private readonly token: string) {
    this.#base = new URL(baseUrl);
    const https = this.#base.protocol === 'https:';
    this.#agent = https ? new (loadHttps().Agent)({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
    this.#send = https ? (loadHttps().request as typeof httpRequest) : httpRequest;
  }

  get(path: string, timeoutMs: number, signal: AbortSignal): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const req = this.#send(new URL(path, this.#base), {
        method: 'GET', agent: this.#agent, timeout: timeoutMs, signal,
        headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) req.destroy(new Error(`GET ${path}: response larger than ${MAX_BODY} bytes`));
          else chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try { body = JSON.parse(text); } catch { /* kept as text; the caller reports it */ }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void { this.#agent.destroy(); }
}
