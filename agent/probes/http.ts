// HTTP(S) GET with axios: the RTT is the time from the request to the response headers, over a fresh connection
// each time (no keep-alive), so every probe measures the same path: connect (+TLS) + request. The body is not read.
// A response below 500 counts as a reply; 5xx, a timeout or a network error count as lost (the VIP serves no one).
// When the URL names a host, the connection still goes to the VIP's address (Host header and SNI keep the name).
// axios is imported on the first http probe, so agents whose lists have no http targets do not carry it.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import { msSince, type ProbeMethod, type ProbeTarget } from './method.js';

async function createClient(): Promise<AxiosInstance> {
  const { default: axios } = await import('axios');
  return axios.create({
    httpAgent: new HttpAgent({ keepAlive: false }),
    httpsAgent: new HttpsAgent({ keepAlive: false }),
    maxRedirects: 0,
    responseType: 'stream',
    validateStatus: () => true,
    proxy: false,
    headers: { 'User-Agent': 'vipwatch-agent' },
  });
}

export class HttpProbe implements ProbeMethod {
  readonly name = 'http' as const;
  #client: Promise<AxiosInstance> | null = null;
  readonly #controllers = new Set<AbortController>();

  async probe(target: ProbeTarget, timeoutMs: number): Promise<number | null> {
    if (!target.url) throw new Error(`http: target ${target.address} has no url`);
    const url = new URL(target.url);
    const ac = new AbortController();
    this.#controllers.add(ac);
    this.#client ??= createClient();
    const client = await this.#client;
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    const t0 = process.hrtime.bigint();
    try {
      const res = await client.get(target.url, { signal: ac.signal, lookup: pinTo(url.hostname, target.address) });
      const rtt = msSince(t0);
      (res.data as NodeJS.ReadableStream & { destroy(): void }).destroy();
      return res.status < 500 ? rtt : null;
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
      this.#controllers.delete(ac);
    }
  }

  async close(): Promise<void> {
    for (const ac of this.#controllers) ac.abort();
  }
}

/** A DNS lookup that answers the VIP's address for the URL's host name (undefined when the URL holds an address). */
function pinTo(hostname: string, address: string): AxiosRequestConfig['lookup'] {
  const family = isIP(address);
  if (isIP(hostname.replace(/^\[|\]$/g, '')) || !family) return undefined;
  return (_host, _opts, cb) => cb(null, address, family === 6 ? 6 : 4);
}
