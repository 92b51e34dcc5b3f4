// One batch per minute from two sources: the engine's own probes (http, and everything without an offload) and the
// offload's (the addon's ICMP/TCP schedule) count the same minutes apart and each hand a minute over once it is done.
// A host with http targets beside ICMP/TCP would otherwise send two batches (two spool files, two POSTs) a minute.
// A source's minute waits for the other source's same minute, but never for a source with no targets, never past a
// later minute of the other source (minutes come in order: it had nothing for this one), nor for one the other source
// already handed over, and never longer than holdMs.
import type { Timers } from './clock.js';
import type { MinuteBatch } from './engine.js';

export type Source = 0 | 1;

export interface MinuteJoinDeps {
  timers: Timers;
  /** the longest a minute waits for the other source's: their hand-overs differ by a probe timeout and a tick at most */
  holdMs: number;
  /** whether a source has targets now (one without will hand over no more minutes) */
  active(source: Source): boolean;
  emit(batch: MinuteBatch): void;
}

interface Held { source: Source; batch: MinuteBatch; timer: unknown }

export class MinuteJoin {
  readonly #d: MinuteJoinDeps;
  /** minute start -> the batch of the source that handed it first */
  readonly #held = new Map<number, Held>();
  /** the latest minute each source handed over */
  readonly #last: [number, number] = [-Infinity, -Infinity];

  constructor(deps: MinuteJoinDeps) {
    this.#d = deps;
  }

  add(source: Source, batch: MinuteBatch): void {
    const other: Source = source === 0 ? 1 : 0;
    this.#last[source] = Math.max(this.#last[source], batch.start);
    // the other source's minutes before this one wait for nothing more from this source
    for (const [start, h] of [...this.#held]) if (h.source === other && start < batch.start) this.#release(start);
    const h = this.#held.get(batch.start);
    if (h?.source === other) {
      this.#d.timers.clearTimeout(h.timer);
      this.#held.delete(batch.start);
      this.#d.emit({ ...batch, records: [...h.batch.records, ...batch.records] });
      return;
    }
    if (h) this.#release(batch.start); // the same source twice (its stop hands a partial minute): one batch each
    if (!this.#d.active(other) || this.#last[other] >= batch.start) {
      this.#d.emit(batch);
      return;
    }
    const timer = this.#d.timers.setTimeout(() => this.#release(batch.start), this.#d.holdMs);
    this.#held.set(batch.start, { source, batch, timer });
  }

  /** Hands over every minute still waiting, oldest first (at stop, once both sources handed their last). */
  flush(): void {
    for (const start of [...this.#held.keys()].sort((a, b) => a - b)) this.#release(start);
  }

  #release(start: number): void {
    const h = this.#held.get(start);
    if (!h) return;
    this.#d.timers.clearTimeout(h.timer);
    this.#held.delete(start);
    this.#d.emit(h.batch);
  }
}
