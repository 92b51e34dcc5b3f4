// Stable capacitated assignment by rendezvous scores: items propose to bins in score order (deferred acceptance);
// a full bin keeps its best-scoring items and rejects the worst. With symmetric scores the result is the unique
// stable matching, so it does not depend on processing order, and a small change of bins or capacities only
// displaces the items whose preferred bins changed (plus short rejection chains).

/** murmur3's 32-bit finaliser: a fast, well-mixed integer hash. */
export function fmix32(x: number): number {
  x ^= x >>> 16; x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13; x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a over the string's UTF-16 code units, finalised: the identity hash of a host, DC or VIP. */
export function hashId(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return fmix32(h);
}

export interface Market {
  items: number;
  bins: number;
  /** how many bins each item must get, each of a different class */
  need: number;
  /** the class of each bin (e.g. its DC): an item never holds two bins of one class */
  classOf: Int32Array;
  cap: Int32Array;
  /** score of (item, bin); higher is preferred on both sides; ties go to the lower index */
  score(item: number, bin: number): number;
  /** the item's bins, best first: the first few are enough for most items */
  prefs(item: number, limit: number): Int32Array;
}

/** Min-heap per bin keyed by (score, -item): the root is the item the bin would reject first. */
class BinHeap {
  items: number[] = [];
  scores: number[] = [];
  worse(i: number, j: number): boolean {
    const a = this.scores[i]!, b = this.scores[j]!;
    return a < b || (a === b && this.items[i]! > this.items[j]!);
  }
  swap(i: number, j: number): void {
    const it = this.items, sc = this.scores;
    const ti = it[i]!, si = sc[i]!;
    it[i] = it[j]!; sc[i] = sc[j]!; it[j] = ti; sc[j] = si;
  }
  push(item: number, score: number): void {
    this.items.push(item); this.scores.push(score);
    for (let i = this.items.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.worse(i, p)) break;
      this.swap(i, p); i = p;
    }
  }
  pop(): number {
    const top = this.items[0]!;
    const lastI = this.items.pop()!, lastS = this.scores.pop()!;
    if (this.items.length) {
      this.items[0] = lastI; this.scores[0] = lastS;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < this.items.length && this.worse(l, m)) m = l;
        if (r < this.items.length && this.worse(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m); i = m;
      }
    }
    return top;
  }
  /** true when (item, score) would be kept over the current worst */
  beats(item: number, score: number): boolean {
    const s = this.scores[0]!;
    return score > s || (score === s && item < this.items[0]!);
  }
}

/** Returns, per bin, the items it holds. An item that cannot be placed within capacity is forced into its best
 *  bins of classes it still lacks, over capacity (only possible when need > 1). */
export function stableAssign(m: Market, firstPrefs = 8): number[][] {
  const heaps = Array.from({ length: m.bins }, () => new BinHeap());
  const prefs: Int32Array[] = new Array(m.items);
  const next = new Int32Array(m.items);
  // the classes each item holds: need slots per item, -1 when free
  const classes = new Int32Array(m.items * m.need).fill(-1);
  const holdsClass = (item: number, c: number) => { for (let k = item * m.need; k < (item + 1) * m.need; k++) if (classes[k] === c) return true; return false; };
  const setClass = (item: number, from: number, to: number) => { for (let k = item * m.need; k < (item + 1) * m.need; k++) if (classes[k] === from) { classes[k] = to; return; } };
  const full = (item: number) => !holdsClass(item, -1);
  const take = (bin: number, item: number, s: number) => { heaps[bin]!.push(item, s); setClass(item, -1, m.classOf[bin]!); };
  const queue: number[] = [];
  const stuck: number[] = [];
  for (let i = 0; i < m.items; i++) { prefs[i] = m.prefs(i, Math.min(m.bins, firstPrefs)); queue.push(i); }
  for (let q = 0; q < queue.length; q++) {
    const item = queue[q]!;
    while (!full(item)) {
      let p = prefs[item]!;
      if (next[item]! >= p.length) {
        if (p.length >= m.bins) { stuck.push(item); break; }
        p = prefs[item] = m.prefs(item, Math.min(m.bins, p.length * 4));
      }
      const bin = p[next[item]!]!;
      next[item] = next[item]! + 1;
      if (holdsClass(item, m.classOf[bin]!)) continue;
      const heap = heaps[bin]!;
      const s = m.score(item, bin);
      if (heap.items.length < m.cap[bin]!) { take(bin, item, s); continue; }
      if (m.cap[bin]! > 0 && heap.beats(item, s)) {
        const loser = heap.pop();
        setClass(loser, m.classOf[bin]!, -1);
        take(bin, item, s);
        queue.push(loser);
      }
    }
  }
  for (const item of stuck) {
    for (const bin of m.prefs(item, m.bins)) {
      if (full(item)) break;
      if (!holdsClass(item, m.classOf[bin]!)) take(bin, item, m.score(item, bin));
    }
  }
  return heaps.map((h) => h.items);
}

/** The `limit` best bins of an item, by a score function, best first (ties to the lower index). */
export function topBins(bins: number, limit: number, score: (bin: number) => number): Int32Array {
  const best = new Int32Array(limit);
  const bestS = new Float64Array(limit);
  let n = 0;
  for (let b = 0; b < bins; b++) {
    const s = score(b);
    if (n === limit && s <= bestS[n - 1]!) continue;
    let i = n < limit ? n++ : n - 1;
    while (i > 0 && bestS[i - 1]! < s) { best[i] = best[i - 1]!; bestS[i] = bestS[i - 1]!; i--; }
    best[i] = b; bestS[i] = s;
  }
  return best.subarray(0, n);
}
