// The keys of the records the gateway accepted lately, to count re-deliveries: on InfluxDB a record stored twice
// overwrites itself (same series and time), so a doubled delivery is invisible in the store and only the gateway
// can see it. Bounded and free of garbage: two generations of open-addressing tables of 64-bit fingerprints in typed
// arrays; when the current one holds `window / 2` keys it becomes the previous one and the oldest is cleared, so
// the last window / 2 .. window distinct keys are remembered.

/** One generation: fingerprints (hi, lo) by slot; lo is never 0, so 0 marks an empty slot. */
class Table {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  count = 0;
  constructor(slots: number) {
    this.hi = new Uint32Array(slots);
    this.lo = new Uint32Array(slots);
  }

  /** the slot holding the fingerprint, or the empty slot where it would go */
  slot(hi: number, lo: number): number {
    const mask = this.lo.length - 1;
    let i = hi & mask;
    while (this.lo[i] !== 0 && (this.lo[i] !== lo || this.hi[i] !== hi)) i = (i + 1) & mask;
    return i;
  }

  has(hi: number, lo: number): boolean {
    return this.lo[this.slot(hi, lo)] !== 0;
  }

  add(hi: number, lo: number): void {
    const i = this.slot(hi, lo);
    if (this.lo[i] !== 0) return;
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.count++;
  }

  clear(): void {
    this.hi.fill(0);
    this.lo.fill(0);
    this.count = 0;
  }
}

// Two independent 32-bit hashes (FNV-1a and a murmur-style multiply-rotate) over the key's fields, separated by a
// character that cannot occur in them: a false "seen before" needs all 64 bits to collide.
let h1 = 0;
let h2 = 0;
function mix(s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0xcc9e2d51);
    h2 = (h2 << 15) | (h2 >>> 17);
  }
  h1 = Math.imul(h1 ^ 0x0a, 0x01000193);
  h2 = Math.imul(h2 ^ 0x0a, 0x1b873593);
}

/** The time as a number: two spellings of one instant ("...:00Z", "...:00.000Z") are one key. */
function mixTime(ms: number): void {
  for (const part of [ms % 0x100000000, Math.floor(ms / 0x100000000)]) {
    h1 = Math.imul(h1 ^ (part >>> 0), 0x01000193);
    h2 = Math.imul(h2 ^ (part >>> 0), 0xcc9e2d51);
    h2 = (h2 << 15) | (h2 >>> 17);
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface RecordKey { host: string; vip: string; method: string; ts: string }

export class RecentKeys {
  private cur: Table;
  private prev: Table;
  private readonly generation: number;

  /** window: distinct keys to remember (at least window / 2 of the latest are always kept); 0 remembers nothing */
  constructor(readonly window: number) {
    this.generation = Math.max(1, Math.ceil(window / 2));
    // load factor at most 1/2: probes stay short
    let slots = 2;
    while (slots < 2 * this.generation) slots *= 2;
    this.cur = new Table(window > 0 ? slots : 1);
    this.prev = new Table(window > 0 ? slots : 1);
  }

  /** Counts the keys that were seen before and remembers every key; returns how many were seen before. */
  repeats(records: readonly RecordKey[]): number {
    if (this.window <= 0) return 0;
    let n = 0;
    let lastTs = '';
    let lastMs = 0;
    for (const r of records) {
      if (r.ts !== lastTs) {
        lastTs = r.ts;
        lastMs = Date.parse(r.ts);
      }
      h1 = 0x811c9dc5;
      h2 = 0x9747b28c;
      mix(r.host);
      mix(r.vip);
      mix(r.method);
      mixTime(lastMs);
      // murmur3's finaliser: every input bit reaches the low bits that pick the slot
      const hi = fmix(h1);
      const lo = (fmix(h2) | 1) >>> 0;
      if (this.cur.has(hi, lo)) {
        n++;
        continue;
      }
      if (this.prev.has(hi, lo)) n++;
      if (this.cur.count >= this.generation) {
        const old = this.prev;
        this.prev = this.cur;
        old.clear();
        this.cur = old;
      }
      this.cur.add(hi, lo);
    }
    return n;
  }
}
