// Probe timeouts on one timer: instead of a Timeout object, a list insert and a clearTimeout per probe, each probe's
// deadline goes into a queue in deadline order (probes of one method nearly always share the timeout, so a new one
// goes at the end) and one timer, armed for the head, expires every due probe at once. The timer fires at most every
// SLACK_MS: a lost probe is declared up to that much after its deadline, so the caller must also count as lost a reply
// that comes after the deadline but before the sweep (the probes do: RTT > timeout is lost).
import { performance } from 'node:perf_hooks';

/** The sweep's granularity, ms: fewer wake-ups for the lost probes, which come at the send rate when a VIP is down. */
export const SLACK_MS = 50;

/** What a deadline guards: `live` is false once the probe settled another way (its entry is then skipped). */
export interface Guarded { live: boolean }

export class Deadlines<T extends Guarded> {
  #items: T[] = [];
  #at: number[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | null = null;
  #armedFor = Infinity;

  /** onExpire is called for every item still live at its deadline, in deadline order. */
  constructor(private readonly onExpire: (item: T) => void) {}

  /** Expires `item` timeoutMs from now unless it is no longer live by then. */
  add(item: T, timeoutMs: number): void {
    const at = performance.now() + timeoutMs;
    const n = this.#at.length;
    if (n === this.#head || this.#at[n - 1]! <= at) {
      this.#items.push(item);
      this.#at.push(at);
    } else {
      // an earlier deadline than the last one (a shorter timeout): in its place
      let lo = this.#head;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.#at[mid]! <= at) lo = mid + 1;
        else hi = mid;
      }
      this.#items.splice(lo, 0, item);
      this.#at.splice(lo, 0, at);
    }
    if (at < this.#armedFor) this.#arm();
  }

  /** Expires everything now (close). */
  expireAll(): void {
    const items = this.#items.slice(this.#head);
    this.#reset();
    for (const item of items) if (item.live) this.onExpire(item);
  }

  get size(): number { return this.#items.length - this.#head; }

  #arm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedFor = Infinity;
    if (this.#head === this.#at.length) return;
    const at = this.#at[this.#head]!;
    this.#armedFor = at;
    this.#timer = setTimeout(this.#sweep, Math.max(SLACK_MS, Math.ceil(at - performance.now())));
  }

  readonly #sweep = (): void => {
    this.#timer = null;
    this.#armedFor = Infinity;
    const now = performance.now();
    while (this.#head < this.#at.length && this.#at[this.#head]! <= now) {
      const item = this.#items[this.#head]!;
      this.#items[this.#head] = undefined as unknown as T; // let it go now, not at the next compaction
      this.#head++;
      if (item.live) this.onExpire(item);
    }
    if (this.#head === this.#at.length) this.#reset();
    else if (this.#head > 1024 && this.#head * 2 > this.#at.length) {
      this.#items = this.#items.slice(this.#head);
      this.#at = this.#at.slice(this.#head);
      this.#head = 0;
    }
    if (this.#timer === null) this.#arm();
  };

  #reset(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedFor = Infinity;
    this.#items = [];
    this.#at = [];
    this.#head = 0;
  }
}
