// Token buckets per key (client IP + user name) for login attempts, bounded so a flood of keys cannot grow memory.

export interface Take { ok: boolean; retryAfterSec: number }

export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly refillMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
  ) {}

  take(key: string): Take {
    const t = this.now();
    const b = this.#buckets.get(key);
    const tokens = b ? Math.min(this.capacity, b.tokens + (t - b.at) / this.refillMs) : this.capacity;
    if (tokens < 1) return { ok: false, retryAfterSec: Math.ceil(((1 - tokens) * this.refillMs) / 1000) };
    // Re-insert so the Map's order is least-recently-used first; evict from the front when full.
    this.#buckets.delete(key);
    if (this.#buckets.size >= this.maxKeys) this.#evict(t);
    this.#buckets.set(key, { tokens: tokens - 1, at: t });
    return { ok: true, retryAfterSec: 0 };
  }

  /** A successful login refills the bucket: the limit is for guessing, not for a user who logs in often. */
  reset(key: string): void { this.#buckets.delete(key); }

  /** Gives back the token a request took (a successful login does not count against its client IP). */
  refund(key: string): void {
    const b = this.#buckets.get(key);
    if (b) b.tokens = Math.min(this.capacity, b.tokens + 1);
  }

  get size(): number { return this.#buckets.size; }

  #evict(t: number): void {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + (t - b.at) / this.refillMs >= this.capacity) this.#buckets.delete(k);
    }
    // Still full: drop the least recently used tenth at once, so a flood does not rescan on every insert.
    const keep = Math.floor(this.maxKeys * 0.9);
    for (const k of this.#buckets.keys()) {
      if (this.#buckets.size <= keep) break;
      this.#buckets.delete(k);
    }
  }
}
