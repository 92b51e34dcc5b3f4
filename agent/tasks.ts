// The agent's task list: pulled from GET /api/v1/tasks with If-None-Match, kept on disk with the time the gateway
// last confirmed it, so a restart while the gateway is away goes on probing the last list, until it is too old.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../core/log.js';
import { METHODS, type TaskList } from '../core/model.js';
import type { Clock } from './clock.js';
import { errorOf, gatewayClient, type GatewayClient } from './http-client.js';
import type { AgentMetrics } from './metrics.js';

const taskListSchema = z.object({
  host: z.string().min(1),
  version: z.string(),
  intervalSec: z.number().positive(),
  targets: z.array(z.object({
    vip: z.string().min(1),
    method: z.enum(METHODS),
    port: z.number().int().min(1).max(65535).optional(),
    url: z.string().url().optional(),
    expectStatus: z.array(z.union([z.number().int(), z.string()])).optional(),
    bodyPattern: z.string().optional(),
  }).refine((t) => t.method !== 'tcp' || t.port !== undefined, 'a tcp target needs a port')
    .refine((t) => t.method !== 'http' || t.url !== undefined, 'an http target needs a url')),
});

const cacheSchema = z.object({ list: taskListSchema, etag: z.string().nullable(), confirmedAt: z.number() });
type Cached = z.infer<typeof cacheSchema>;

export interface TaskSourceDeps {
  gatewayUrl: string;
  token: string;
  /** where the last list is kept */
  file: string;
  clock: Clock;
  log: Logger;
  metrics: AgentMetrics;
  timeoutMs: number;
}

export type PullOutcome = 'new' | 'unchanged' | 'failed';

export class TaskSource {
  readonly #d: TaskSourceDeps;
  readonly #http: GatewayClient;
  #cached: Cached | null = null;

  constructor(deps: TaskSourceDeps) {
    this.#d = deps;
    this.#http = gatewayClient(deps.gatewayUrl, deps.token, deps.timeoutMs);
  }

  /** Reads the list kept on disk by an earlier run, if any (an unreadable file is reported and ignored). */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#d.file, 'utf8');
    } catch {
      return;
    }
    try {
      this.#cached = cacheSchema.parse(JSON.parse(text));
      this.#d.log.info({ file: this.#d.file, version: this.#cached.list.version, targets: this.#cached.list.targets.length }, 'task list from disk');
    } catch (e) {
      this.#d.log.error({ file: this.#d.file, err: (e as Error).message }, 'kept task list is unreadable: ignored');
    }
  }

  get list(): TaskList | null { return this.#cached?.list ?? null; }

  /** ms since the gateway last confirmed the list (Infinity when there is none). */
  age(): number { return this.#cached ? this.#d.clock.now() - this.#cached.confirmedAt : Infinity; }

  async pull(): Promise<PullOutcome> {
    const outcome = await this.#pull().catch((e: Error) => {
      this.#d.log.warn({ err: e.message, ageSec: Math.round(this.age() / 1000) }, 'task pull failed: keeping the last list');
      return 'failed' as const;
    });
    this.#d.metrics.pulls.inc({ outcome });
    return outcome;
  }

  async #pull(): Promise<PullOutcome> {
    const headers: Record<string, string> = {};
    if (this.#cached?.etag) headers['If-None-Match'] = this.#cached.etag;
    const res = await this.#http.request('GET', '/api/v1/tasks', { headers });
    const now = this.#d.clock.now();
    if (res.status === 304 && this.#cached) {
      this.#cached.confirmedAt = now;
      await this.#save();
      return 'unchanged';
    }
    if (res.status !== 200) {
      const why = errorOf(res.body);
      throw new Error(`GET /api/v1/tasks answered ${res.status}${why ? `: ${why}` : ''}`);
    }
    const r = taskListSchema.safeParse(res.body);
    if (!r.success) {
      const first = r.error.issues[0]!;
      throw new Error(`task list from the gateway is invalid: field ${first.path.join('.')}: ${first.message}`);
    }
    const etag = (res.headers.etag as string | undefined) ?? null;
    this.#cached = { list: r.data, etag, confirmedAt: now };
    await this.#save();
    return 'new';
  }

  async #save(): Promise<void> {
    await mkdir(dirname(this.#d.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.#d.file}.tmp`;
    await writeFile(tmp, JSON.stringify(this.#cached), { mode: 0o600 });
    await rename(tmp, this.#d.file);
  }
}

/**
 * The cron rule (seconds first) that fires every intervalSec at offsetSec into each period (0 <= offsetSec <
 * intervalSec). intervalSec divides a minute, or an hour in whole minutes, or a day in whole hours (config checks this).
 */
export function pullCron(intervalSec: number, offsetSec: number): string {
  const off = Math.floor(offsetSec) % intervalSec;
  if (intervalSec < 60) return `${off}/${intervalSec} * * * * *`;
  if (intervalSec < 3600) return `${off % 60} ${Math.floor(off / 60)}/${intervalSec / 60} * * * *`;
  return `${off % 60} ${Math.floor(off / 60) % 60} ${Math.floor(off / 3600)}/${intervalSec / 3600} * * *`;
}

/**
 * When a rule written by pullCron fires next, strictly after `after` (ms since the epoch). Periods are counted from
 * the epoch, i.e. in UTC: a period that divides a day lines up with UTC days. Other cron rules are refused.
 */
export function nextPull(cron: string, after: number): number {
  const f = cron.split(' ');
  const step = f.findIndex((x) => x.includes('/'));
  const ok = f.length === 6 && step >= 0 && step <= 2 && /^\d+\/\d+$/.test(f[step]!) && f.slice(0, step).every((x) => /^\d+$/.test(x)) && f.slice(step + 1).every((x) => x === '*');
  const [start, every] = ok ? f[step]!.split('/').map(Number) : [];
  if (!ok || !(every! > 0)) throw new Error(`pull rule ${JSON.stringify(cron)}: not a rule pullCron writes`);
  const unit = [1, 60, 3600][step]!;
  const periodMs = every! * unit * 1000;
  const offsetMs = (start! * unit + (step > 1 ? Number(f[1]) * 60 : 0) + (step > 0 ? Number(f[0]) : 0)) * 1000;
  return offsetMs + (Math.floor((after - offsetMs) / periodMs) + 1) * periodMs;
}
