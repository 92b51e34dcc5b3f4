// The gateway's side of the control channel: the live jobs (those agents may still start) indexed by source host,
// and the agents' held polls. One query a second to the job store per gateway, whatever the number of agents:
// every replica reads the same store, so a job made on one is handed out by all. A held poll costs a socket and a
// timer; no CPU while nothing happens.
import type { Job } from '../core/jobs.js';
import type { Logger } from '../core/log.js';
import type { JobStore } from '../core/store/jobs.js';

export interface Waiter {
  host: string;
  /** job seqs the agent already has */
  known: Set<number>;
  answer(jobs: Job[]): void;
}

export interface JobBoardDeps {
  store: JobStore;
  log: Logger;
  now: () => number;
  pollMs: number;
}

export class JobBoard {
  readonly #d: JobBoardDeps;
  readonly #jobs = new Map<number, Job>();
  readonly #byHost = new Map<string, Set<Job>>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  #timer: NodeJS.Timeout | null = null;
  #polling = false;
  #failing = false;

  constructor(d: JobBoardDeps) {
    this.#d = d;
  }

  start(): void {
    const tick = () => {
      void this.poll().finally(() => { if (this.#timer) this.#timer = setTimeout(tick, this.#d.pollMs).unref(); });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const set of this.#waiters.values()) for (const w of [...set]) w.answer([]);
    this.#waiters.clear();
  }

  get waiting(): number {
    let n = 0;
    for (const s of this.#waiters.values()) n += s.size;
    return n;
  }

  get live(): number { return this.#jobs.size; }

  /** Syncs with the store: adds new live jobs (waking their hosts' polls), forgets expired ones. */
  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const seqs = await this.#d.store.liveSeqs(new Date(this.#d.now()).toISOString());
      const live = new Set(seqs);
      for (const [seq, job] of this.#jobs) if (!live.has(seq)) this.#drop(job);
      const fresh = seqs.filter((s) => !this.#jobs.has(s));
      for (const job of await this.#d.store.bySeqs(fresh)) this.add(job);
      if (this.#failing) this.#d.log.info('job store answers again');
      this.#failing = false;
    } catch (e) {
      if (!this.#failing) this.#d.log.warn({ err: (e as Error).message }, 'job store poll failed: new jobs wait until it answers');
      this.#failing = true;
    } finally {
      this.#polling = false;
    }
  }

  /** A job made in this process (or just read from the store): its sources' held polls are answered now. */
  add(job: Job): void {
    if (this.#jobs.has(job.seq) || Date.parse(job.startBy) <= this.#d.now()) return;
    this.#jobs.set(job.seq, job);
    for (const host of job.sources) {
      let set = this.#byHost.get(host);
      if (!set) this.#byHost.set(host, (set = new Set()));
      set.add(job);
      for (const w of [...(this.#waiters.get(host) ?? [])]) this.#offer(w);
    }
  }

  /** The live jobs for a host that it does not have yet. */
  pending(host: string, known: Set<number>): Job[] {
    const now = this.#d.now();
    return [...(this.#byHost.get(host) ?? [])].filter((j) => !known.has(j.seq) && Date.parse(j.startBy) > now).sort((a, b) => a.seq - b.seq);
  }

  /** Answers at once when there is something, else holds the poll until a job comes or cancel() is called. */
  wait(w: Waiter): { cancel(): void } {
    if (this.#offer(w)) return { cancel: () => {} };
    let set = this.#waiters.get(w.host);
    if (!set) this.#waiters.set(w.host, (set = new Set()));
    set.add(w);
    return { cancel: () => this.#remove(w) };
  }

  #offer(w: Waiter): boolean {
    const jobs = this.pending(w.host, w.known);
    if (!jobs.length) return false;
    this.#remove(w);
    w.answer(jobs);
    return true;
  }

  #remove(w: Waiter): void {
    const set = this.#waiters.get(w.host);
    if (!set) return;
    set.delete(w);
    if (!set.size) this.#waiters.delete(w.host);
  }

  #drop(job: Job): void {
    this.#jobs.delete(job.seq);
    for (const host of job.sources) {
      const set = this.#byHost.get(host);
      set?.delete(job);
      if (set && !set.size) this.#byHost.delete(host);
    }
  }
}
