// The bounded on-disk spool: every minute's batch is written here first and removed only after the gateway's 200,
// so neither a gateway outage nor an agent restart loses a measurement. Oldest first; a full spool drops its
// oldest batch (counted and logged); an unreadable file is reported and set aside in corrupt/.
import { mkdir, readdir, readFile, rename, unlink, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import { checkResultsBody, type ResultsBody } from '../core/records.js';
import type { Clock } from './clock.js';
import type { AgentMetrics } from './metrics.js';

export interface SpoolDeps {
  dir: string;
  maxBatches: number;
  /** batches whose minute is older than this are dropped unsent (the gateway would refuse them) */
  maxAgeMs: number;
  clock: Clock;
  log: Logger;
  metrics: AgentMetrics;
}

export interface SpooledBatch { name: string; minute: number; body: ResultsBody; /** the file's text: the JSON to send */ text: string }

/** Sub-directories for files taken out of the queue, each kept to its newest few for an operator to read. */
const ASIDE_KEEP = 100;

// <minute ms>-<written ms>-<seq>-n<records>.json: names sort oldest minute first and tell the record count unread.
const NAME = /^(\d{15})-(\d{15})-(\d{6})-n(\d+)\.json$/;
const pad = (n: number, w: number) => String(n).padStart(w, '0');

export class Spool {
  readonly #d: SpoolDeps;
  #names: string[] = [];
  #seq = 0;
  /**
   * The batch written last, with its text: when the file still reads the same, oldest() takes this body instead of
   * parsing and checking the text again (it passed the schema before it was written). The file is read all the same,
   * so a batch changed on disk is still checked (and set aside when corrupt).
   */
  #fresh: { name: string; text: string; body: ResultsBody } | null = null;

  constructor(deps: SpoolDeps) { this.#d = deps; }

  async init(): Promise<void> {
    await mkdir(this.#d.dir, { recursive: true, mode: 0o700 });
    const all = await readdir(this.#d.dir);
    for (const f of all.filter((f) => f.startsWith('.tmp-'))) await unlink(join(this.#d.dir, f)).catch(() => {});
    const strangers = all.filter((f) => f.endsWith('.json') && !NAME.test(f));
    for (const f of strangers) await this.#setAside(f, 'corrupt', 'file name is not a spool batch name');
    this.#names = all.filter((f) => NAME.test(f)).sort();
    this.#d.metrics.spoolBatches.set(this.#names.length);
    if (this.#names.length) this.#d.log.info({ batches: this.#names.length, dir: this.#d.dir }, 'spool holds batches from before: they will be sent first');
  }

  get size(): number { return this.#names.length; }

  /** Writes a batch durably (temp file, fsync, rename), then enforces the bound by dropping the oldest. */
  async add(minute: number, body: ResultsBody): Promise<string> {
    const name = `${pad(minute, 15)}-${pad(this.#d.clock.now(), 15)}-${pad(this.#seq++ % 1_000_000, 6)}-n${body.results.length}.json`;
    const tmp = join(this.#d.dir, `.tmp-${name}`);
    const fh = await open(tmp, 'w', 0o600);
    const text = JSON.stringify(body);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.#d.dir, name));
    this.#names.push(name);
    this.#names.sort();
    this.#fresh = { name, text, body };
    while (this.#names.length > this.#d.maxBatches) await this.#drop(this.#names[0]!, 'full');
    this.#d.metrics.spoolBatches.set(this.#names.length);
    return name;
  }

  /** The oldest readable, unexpired batch; corrupt files are set aside and expired ones dropped on the way. */
  async oldest(): Promise<SpooledBatch | null> {
    while (this.#names.length) {
      const name = this.#names[0]!;
      const minute = Number(NAME.exec(name)![1]);
      if (this.#d.clock.now() - minute > this.#d.maxAgeMs) {
        await this.#drop(name, 'expired');
        continue;
      }
      let text: string;
      try {
        text = await readFile(join(this.#d.dir, name), 'utf8');
      } catch (e) {
        await this.#setAside(name, 'corrupt', `cannot read: ${(e as Error).message}`);
        continue;
      }
      const fresh = this.#fresh;
      if (fresh && fresh.name === name && fresh.text === text) return { name, minute, body: fresh.body, text };
      const problem = check(text);
      if (typeof problem === 'string') {
        await this.#setAside(name, 'corrupt', problem);
        continue;
      }
      return { name, minute, body: problem, text };
    }
    return null;
  }

  /** The gateway took it (200). */
  async remove(name: string): Promise<void> {
    await unlink(join(this.#d.dir, name)).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
    this.#forget(name);
  }

  /** The gateway refused it for good (400/403/413): it leaves the queue but stays on disk under rejected/. */
  async reject(name: string, why: string): Promise<void> {
    const n = recordsIn(name);
    this.#d.metrics.spoolDropped.inc({ reason: 'rejected' });
    this.#d.metrics.spoolDroppedRecords.inc({ reason: 'rejected' }, n);
    await this.#setAside(name, 'rejected', why);
  }

  async #drop(name: string, reason: 'full' | 'expired'): Promise<void> {
    const records = recordsIn(name);
    await unlink(join(this.#d.dir, name)).catch(() => {});
    this.#forget(name);
    this.#d.metrics.spoolDropped.inc({ reason });
    this.#d.metrics.spoolDroppedRecords.inc({ reason }, records);
    this.#d.log.warn({ file: name, records, reason, maxBatches: this.#d.maxBatches, maxAgeSec: this.#d.maxAgeMs / 1000 },
      reason === 'full' ? 'spool full: dropped its oldest batch' : 'spooled batch too old for the gateway: dropped');
  }

  async #setAside(name: string, sub: 'corrupt' | 'rejected', why: string): Promise<void> {
    const dir = join(this.#d.dir, sub);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await rename(join(this.#d.dir, name), join(dir, name)).catch(() => {});
    this.#forget(name);
    if (sub === 'corrupt') this.#d.metrics.spoolCorrupt.inc();
    this.#d.log.error({ file: join(this.#d.dir, name), movedTo: dir, problem: why },
      sub === 'corrupt' ? 'corrupt spool file skipped' : 'gateway refused a spooled batch for good');
    const kept = (await readdir(dir)).sort();
    for (const old of kept.slice(0, Math.max(0, kept.length - ASIDE_KEEP))) await unlink(join(dir, old)).catch(() => {});
  }

  #forget(name: string): void {
    if (this.#fresh?.name === name) this.#fresh = null;
    const i = this.#names.indexOf(name);
    if (i >= 0) this.#names.splice(i, 1);
    this.#d.metrics.spoolBatches.set(this.#names.length);
  }
}

const recordsIn = (name: string): number => Number(NAME.exec(name)?.[4] ?? 0);

/** The parsed batch, or what is wrong with the file's text. */
function check(text: string): ResultsBody | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  const r = checkResultsBody(raw, 3);
  return r.ok ? r.body : r.problems.join('; ');
}
