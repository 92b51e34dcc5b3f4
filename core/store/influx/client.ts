// The InfluxDB 1.x HTTP API (/write line protocol, /query InfluxQL, /ping), which InfluxDB 1.x, 2.x (v1 compatibility)
// and 3.x all serve. Requests go through @influxdata/influxdb-client's transport (keep-alive agent, timeouts, HttpError
// with the server's message); its write API is not used because it posts to /api/v2/write, which 1.x lacks. Writes
// themselves go out on node:http (the same keep-alive agent): the transport takes only a string body and encodes it
// again, while the ingest path hands over bodies already encoded (lines.ts `bodies`).
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { HttpError, InfluxDB, RequestTimedOutError, type Transport } from '@influxdata/influxdb-client';
import { StoreUnavailableError } from '../series.js';

export interface InfluxConnection {
  url: string;
  database: string;
  username?: string;
  password?: string;
  /** InfluxDB 2.x/3.x token (sent as "Authorization: Token ...") */
  token?: string;
  timeoutMs?: number;
}

/** One InfluxQL series in a /query answer. */
export interface QuerySeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values?: unknown[][];
}

/** An error the server gave for a well-formed request (bad query, field type conflict): retrying will not help. */
export class InfluxRequestError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'InfluxRequestError';
  }
}

/** Quotes an identifier (database, retention policy, measurement) for InfluxQL. */
export const ident = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
/** Quotes a string literal for InfluxQL. */
export const literal = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export class InfluxClient {
  private readonly transport: Transport;
  private readonly agent: Agent;
  private readonly headers: Record<string, string>;
  private readonly base: URL;
  private readonly send: typeof httpRequest;
  private readonly writeHeaders: Record<string, string>;

  constructor(readonly conn: InfluxConnection) {
    const https = conn.url.startsWith('https:');
    this.base = new URL(conn.url);
    this.send = https ? httpsRequest : httpRequest;
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 16 }) : new Agent({ keepAlive: true, maxSockets: 16 });
    this.transport = new InfluxDB({
      url: conn.url,
      token: conn.token,
      timeout: conn.timeoutMs ?? 10_000,
      transportOptions: { agent: this.agent },
    }).transport;
    this.headers = conn.username !== undefined
      ? { authorization: `Basic ${Buffer.from(`${conn.username}:${conn.password ?? ''}`).toString('base64')}` }
      : {};
    // the transport adds the token itself; the write request below needs it too
    this.writeHeaders = { 'content-type': 'text/plain; charset=utf-8', ...(conn.token ? { authorization: `Token ${conn.token}` } : {}), ...this.headers };
  }

  /**
   * Maps transport failures. Only 400 (bad points, e.g. outside the retention policy) and 413 are the request's fault;
   * no answer, a timeout, a 5xx, refused credentials (401/403) or a missing database (404, re-created by the next
   * init()) mean the store cannot take anything now: the agent should keep its batch.
   */
  private failure(what: string, e: unknown): Error {
    if (e instanceof HttpError) {
      const detail = (e.json as { error?: string } | undefined)?.error ?? e.body ?? e.message;
      const msg = `InfluxDB ${this.conn.url} ${what}: ${e.statusCode} ${detail}`.trim();
      return e.statusCode === 400 || e.statusCode === 413 ? new InfluxRequestError(msg, e.statusCode) : new StoreUnavailableError(msg, e);
    }
    if (e instanceof RequestTimedOutError) return new StoreUnavailableError(`InfluxDB ${this.conn.url} ${what}: timed out`, e);
    const code = (e as { code?: string }).code;
    return new StoreUnavailableError(`InfluxDB ${this.conn.url} ${what}: ${code ?? (e as Error).message ?? String(e)}`, e);
  }

  /** Posts line protocol (precision seconds) into the retention policy; resolves once the server confirmed (204). */
  write(lines: string | Buffer, retentionPolicy: string): Promise<void> {
    const body = typeof lines === 'string' ? Buffer.from(lines) : lines;
    const path = `${this.base.pathname.replace(/\/$/, '')}/write?db=${encodeURIComponent(this.conn.database)}&rp=${encodeURIComponent(retentionPolicy)}&precision=s`;
    const what = 'write';
    return new Promise((resolve, reject) => {
      const req = this.send({
        protocol: this.base.protocol, hostname: this.base.hostname, port: this.base.port, path, method: 'POST', agent: this.agent,
        headers: { ...this.writeHeaders, 'content-length': String(body.length) },
        timeout: this.conn.timeoutMs ?? 10_000,
      }, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => { if (status >= 300) chunks.push(c); });
        res.on('error', (e) => reject(this.failure(what, e)));
        res.on('end', () => {
          if (status < 300) return resolve();
          // as the transport's HttpError: the server's {"error": ...}, else its text, else X-Influxdb-Error
          const text = Buffer.concat(chunks).toString('utf8').slice(0, 1000);
          let detail = text || String(res.headers['x-influxdb-error'] ?? res.statusMessage ?? '');
          try { detail = (JSON.parse(text) as { error?: string }).error ?? detail; } catch { /* not JSON: the text */ }
          const msg = `InfluxDB ${this.conn.url} ${what}: ${status} ${detail}`.trim();
          reject(status === 400 || status === 413 ? new InfluxRequestError(msg, status) : new StoreUnavailableError(msg));
        });
      });
      req.on('timeout', () => req.destroy(new RequestTimedOutError()));
      req.on('error', (e) => reject(this.failure(what, e)));
      req.end(body);
    });
  }

  /**
   * Runs InfluxQL statements (";"-separated) and returns each statement's series. Answers are read chunked, so a server
   * max-row-limit never truncates them, and gathered once (not re-concatenated per chunk).
   */
  async query(q: string): Promise<QuerySeries[][]> {
    const path = `/query?db=${encodeURIComponent(this.conn.database)}&epoch=ms&chunked=true&chunk_size=10000`;
    const body = new URLSearchParams({ q }).toString();
    const parts: Buffer[] = [];
    try {
      for await (const chunk of this.transport.iterate(path, body, { method: 'POST', headers: { ...this.headers, 'content-type': 'application/x-www-form-urlencoded' } })) {
        parts.push(Buffer.from(chunk));
      }
    } catch (e) {
      throw this.failure(`query ${q.slice(0, 120)}`, e);
    }
    const out: QuerySeries[][] = [];
    for (const line of Buffer.concat(parts).toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      const doc = JSON.parse(line) as { error?: string; results?: Array<{ statement_id: number; error?: string; series?: QuerySeries[] }> };
      if (doc.error) throw new InfluxRequestError(`InfluxDB ${this.conn.url} query ${q.slice(0, 120)}: ${doc.error}`, 200);
      for (const r of doc.results ?? []) {
        if (r.error) throw new InfluxRequestError(`InfluxDB ${this.conn.url} query ${q.slice(0, 120)}: ${r.error}`, 200);
        (out[r.statement_id] ??= []).push(...(r.series ?? []));
      }
    }
    return out;
  }

  /** One statement's series, with every row as an object keyed by column (tags of the series merged in). */
  async rows(q: string): Promise<Array<Record<string, unknown>>> {
    const [series = []] = await this.query(q);
    const out: Array<Record<string, unknown>> = [];
    for (const s of series) {
      for (const v of s.values ?? []) {
        const row: Record<string, unknown> = { ...s.tags };
        s.columns.forEach((c, i) => { row[c] = v[i]; });
        out.push(row);
      }
    }
    return out;
  }

  async ping(): Promise<boolean> {
    try {
      await this.transport.request('/ping', '', { method: 'GET', headers: this.headers });
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
