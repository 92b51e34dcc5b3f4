// Sends spooled batches to POST /api/v1/results, oldest first. Only a 200 removes a batch. A failed post, a 5xx
// (503 while the gateway's storage is down), 401, 408 or 429 keeps it and waits (Retry-After, else a growing back-off
// up to one minute, with jitter so a fleet does not return in step). 400, 403 and 413 will never succeed: the batch
// is set aside under spool/rejected/ and the queue moves on.
import type { Logger } from '../core/log.js';
import type { ResultRecord } from '../core/model.js';
import { checkResultsBody } from '../core/records.js';
import type { Clock, Timers } from './clock.js';
import { errorOf, gatewayClient, type GatewayClient } from './http-client.js';
import type { MinuteBatch } from './engine.js';
import type { AgentMetrics } from './metrics.js';
import type { Spool } from './spool.js';

export interface ReporterDeps {
  gatewayUrl: string;
  token: string;
  spool: Spool;
  clock: Clock;
  timers: Timers;
  log: Logger;
  metrics: AgentMetrics;
  maxBatchRecords: number;
  postTimeoutMs: number;
  /** longest wait between two tries while the gateway is away */
  maxBackoffMs: number;
}

const PERMANENT = new Set([400, 403, 413]);

export class Reporter {
  readonly #d: ReporterDeps;
  readonly #http: GatewayClient;
  #draining: Promise<void> | null = null;
  #notBefore = 0;
  #failures = 0;
  #retry: unknown = null;
  #stopped = false;
  /** aborts the post in flight on stop: its batch stays in the spool (the gateway takes a re-post idempotently) */
  readonly #abort = new AbortController();

  constructor(deps: ReporterDeps) {
    this.#d = deps;
    this.#http = gatewayClient(deps.gatewayUrl, deps.token, deps.postTimeoutMs);
  }

  /** Spools a minute's records (in chunks of at most maxBatchRecords), then tries to send. */
  async submit(batch: MinuteBatch): Promise<void> {
    for (let i = 0; i < batch.records.length; i += this.#d.maxBatchRecords) {
      const results: ResultRecord[] = batch.records.slice(i, i + this.#d.maxBatchRecords);
      // what leaves the agent must pass the same check the gateway applies
      const checked = checkResultsBody({ host: batch.host, results }, 3);
      if (!checked.ok) throw new Error(`a minute's records fail the results contract: ${checked.problems.join('; ')}`);
      await this.#d.spool.add(batch.start, checked.body);
    }
    this.kick();
  }

  /** Starts a drain unless one runs or the gateway asked us to wait. */
  kick(): void {
    if (this.#stopped || this.#draining || this.#d.clock.now() < this.#notBefore) return;
    this.#draining = this.#drain().finally(() => { this.#draining = null; });
  }

  /** Resolves once the spool is empty (or the gateway is away); for shutdown and tests. */
  async settled(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry !== null) this.#d.timers.clearTimeout(this.#retry);
    this.#abort.abort();
    await this.settled();
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const batch = await this.#d.spool.oldest();
      if (!batch) return;
      let status: number | 'error';
      let retryAfter: string | undefined;
      let message = '';
      try {
        const res = await this.#http.request('POST', '/api/v1/results', { jsonText: batch.text, signal: this.#abort.signal });
        status = res.status;
        retryAfter = res.headers['retry-after'] as string | undefined;
        message = errorOf(res.body);
      } catch (e) {
        if (this.#stopped) return; // aborted by stop(): the batch stays spooled
        status = 'error';
        message = (e as Error).message;
      }
      this.#d.metrics.posts.inc({ status: String(status) });
      this.#d.metrics.postedRecords.inc({ status: String(status) }, Array.isArray(batch.body.results) ? batch.body.results.length : 0);
      if (status === 200) {
        await this.#d.spool.remove(batch.name);
        if (this.#failures) this.#d.log.info({ afterFailures: this.#failures, waiting: this.#d.spool.size }, 'gateway reachable again: replaying the spool');
        this.#failures = 0;
        continue;
      }
      if (typeof status === 'number' && PERMANENT.has(status)) {
        await this.#d.spool.reject(batch.name, `gateway answered ${status}: ${message}`);
        continue;
      }
      this.#backOff(status, retryAfter, message);
      return;
    }
  }

  #backOff(status: number | 'error', retryAfter: string | undefined, message: string): void {
    this.#failures++;
    const asked = retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : null;
    const grow = Math.min(this.#d.maxBackoffMs, 500 * 2 ** Math.min(this.#failures, 20));
    const wait = Math.min(this.#d.maxBackoffMs, asked ?? grow) * (0.75 + Math.random() * 0.5);
    this.#notBefore = this.#d.clock.now() + wait;
    const log = this.#failures === 1 ? this.#d.log.warn.bind(this.#d.log) : this.#d.log.debug.bind(this.#d.log);
    log({ status, message, retryInMs: Math.round(wait), spooled: this.#d.spool.size }, 'gateway did not take the results: kept in the spool');
    if (this.#retry !== null) this.#d.timers.clearTimeout(this.#retry);
    this.#retry = this.#d.timers.setTimeout(() => { this.#retry = null; this.kick(); }, wait);
  }
}
