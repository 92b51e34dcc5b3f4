// Latency baselines: per (VIP, group) cell, the median of the cell's latency over the last `baselineMinutes`
// minutes before the smoothing window, slow minutes left out. Fixed size per cell, whatever the history length:
// - latencies are bucket codes (latency-code.ts: 1 ms wide up to 50 ms, then 2% wide; one byte), so the median of a bucket is within
//   1 ms or 2% of the exact one (the bucket's last exact value is kept, so a steady cell's baseline is exact);
// - a ring of SLOTS sub-histograms, each of SLOT_LEN minutes and SLOT_K buckets around its own base, lets old
//   minutes expire a slot at a time (cells rotate at staggered minutes, so no minute expires every cell at once);
// - a merged histogram of MERGED_K buckets around the cell's median holds the sum of the slots but the one the cell is
//   adding to (its current slot, counted in on demand), and the median's bucket and its count are tracked incrementally
//   (one sample a minute moves it by at most a bucket or two): a minute's sample touches only the current slot and a
//   few bytes of bookkeeping, not a cache line of the merged histogram (memory traffic is most of the lane's cost).
// Values outside a window are clamped to its edge: that keeps their side of the median, so the median is exact to
// its bucket as long as it lies inside the windows (which follow it).

import { CODE_MS, latencyCode, MAX_CODE } from './latency-code.js';

/** bytes per slot: [base code, SLOT_K counts] */
const SLOT_BYTES = 32;
const SLOT_K = SLOT_BYTES - 1;
const MERGED_K = 48;
const MERGED_CENTER = MERGED_K >> 1;
/** rebase the merged window when the median gets this close to an edge */
const MERGED_MARGIN = 6;
/** at most this many slots (a day: 12 slots of 2 hours) unless a slot would exceed 255 minutes */
const TARGET_SLOTS = 12;
/** `cur` of a cell whose every slot is in the merged histogram (after derive; baselineMinutes <= 20,160 gives < 80 slots) */
const NO_SLOT = 255;

/** Slot layout for a baseline window: slots of `len` minutes, `count` of them (count x len <= minutes). */
export function slotLayout(minutes: number): { len: number; count: number } {
  const len = Math.min(255, Math.max(1, Math.ceil(minutes / TARGET_SLOTS)));
  return { len, count: Math.max(1, Math.floor(minutes / len)) };
}

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** The code of `last` (`ms` as stored, float32) when it is a usable representative; `code` is ms's when known (non-zero). */
const lastCodeOf = (last: number, ms: number, code: number): number => (last > 0 ? (last === ms && code ? code : latencyCode(last)) : 0);

export class Baselines {
  readonly slotLen: number;
  readonly slotCount: number;
  /**
   * slotCount slots of SLOT_BYTES per cell (byte 0: base code, 0 = empty slot), slot-major: slot s of every cell, then
   * slot s + 1. A minute adds to one of two slots across all cells, so a pass over the cells in order reads and
   * writes this front to back (cell-major, a stride of 12 slots per cell, took twice as long)
   */
  readonly slots: Uint8Array;
  /** per cell: MERGED_K counts starting at mergedBase, of every slot but `cur` (countAt adds that one's) */
  readonly merged: Uint16Array;
  /** per cell: the slot it is adding to, whose samples `merged` leaves out; NO_SLOT: none left out */
  readonly cur: Uint8Array;
  /** per cell: the samples in the median's bucket (countAt(medIdx)): the median needs no look at `merged` */
  readonly medCount: Uint16Array;
  readonly mergedBase: Uint8Array;
  /** per cell: samples in the window */
  readonly total: Uint16Array;
  /** per cell: index (in merged) of the median's bucket, and the samples below that bucket */
  readonly medIdx: Uint8Array;
  readonly below: Uint16Array;
  /** per cell: the last exact latency added (ms); the representative of its bucket */
  readonly last: Float32Array;
  /** per cell: the bucket code of `last` (0 without one): the median's lookup then needs no logarithm */
  readonly lastCode: Uint8Array;

  constructor(readonly cells: number, readonly minutes: number) {
    const { len, count } = slotLayout(minutes);
    this.slotLen = len;
    this.slotCount = count;
    this.slots = new Uint8Array(cells * count * SLOT_BYTES);
    this.merged = new Uint16Array(cells * MERGED_K);
    this.cur = new Uint8Array(cells).fill(NO_SLOT);
    this.medCount = new Uint16Array(cells);
    this.mergedBase = new Uint8Array(cells);
    this.total = new Uint16Array(cells);
    this.medIdx = new Uint8Array(cells);
    this.below = new Uint16Array(cells);
    this.last = new Float32Array(cells);
    this.lastCode = new Uint8Array(cells);
  }

  /** Bytes held per cell. */
  static bytesPerCell(minutes: number): number {
    return slotLayout(minutes).count * SLOT_BYTES + MERGED_K * 2 + 1 + 2 + 1 + 2 + 4 + 1 + 1 + 2;
  }

  /** The slot (0..slotCount-1) a cell's samples of `minuteIndex` go to. */
  slotOf(cell: number, minuteIndex: number): number {
    return Math.floor((minuteIndex + (cell % this.slotLen)) / this.slotLen) % this.slotCount;
  }

  /**
   * The slots of `minuteIndex` without a division per cell: cell c's slot is `first` while (rest + c % slotLen) is
   * below slotLen, else `second` (what slotOf gives; a pass over the cells in order tracks c % slotLen).
   */
  slotsAt(minuteIndex: number): { rest: number; first: number; second: number } {
    const q = Math.floor(minuteIndex / this.slotLen);
    return { rest: minuteIndex - q * this.slotLen, first: q % this.slotCount, second: (q + 1) % this.slotCount };
  }

  /**
   * Expires the slots that start a new round at `minuteIndex` (minute / minuteMs): every cell's slot rotates once
   * per slot length, at a minute staggered by cell. Call once per minute, before adding that minute's samples.
   * `from`..`to`: only those cells (a checkpoint part replayed on its own).
   */
  rotate(minuteIndex: number, from = 0, to = this.cells): void {
    const L = this.slotLen;
    const first = from + ((L - ((from + minuteIndex) % L)) % L);
    for (let c = first; c < to; c += L) this.expire(c, minuteIndex);
  }

  /** Whether a cell starts a new slot at this minute (what `rotate` expires for every such cell). */
  rotatesAt(c: number, minuteIndex: number): boolean {
    return (minuteIndex + c) % this.slotLen === 0;
  }

  /** Empties the slot a cell starts at this minute (its samples of one slot count of rounds ago leave the window). */
  expire(c: number, minuteIndex: number): void {
    const s = this.slotOf(c, minuteIndex);
    const off = (s * this.cells + c) * SLOT_BYTES;
    if (this.slots[off] === 0) return;
    let removed = 0;
    if (s === this.cur[c]) for (let j = 1; j < SLOT_BYTES; j++) removed += this.slots[off + j]!; // not in merged
    else removed = this.mergeSlot(c, s, -1);
    this.slots.fill(0, off, off + SLOT_BYTES);
    this.total[c] = this.total[c]! - removed;
    this.findMedian(c);
  }

  /** Adds one minute's latency (ms) of a cell, sampled at `minuteIndex`. */
  add(cell: number, ms: number, minuteIndex: number): void {
    this.addInSlot(cell, ms, this.slotOf(cell, minuteIndex));
  }

  /** `add` with the cell's slot known (slotOf / slotsAt); the common case kept small enough to inline in the lane's loop. */
  addInSlot(cell: number, ms: number, slot: number): void {
    if (slot !== this.cur[cell]) this.moveCur(cell, slot);
    const code = latencyCode(ms);
    const off = (slot * this.cells + cell) * SLOT_BYTES;
    const total = this.total[cell]!;
    if (total === 0) { this.addFirst(cell, ms, code, off); return; }
    let base = this.slots[off]!;
    if (base === 0) base = this.openSlot(cell, off);
    const j = clamp(code - base, 0, SLOT_K - 1);
    this.slots[off + 1 + j] = this.slots[off + 1 + j]! + 1;
    const mi = clamp(base + j - this.mergedBase[cell]!, 0, MERGED_K - 1);
    this.total[cell] = total + 1;
    this.last[cell] = ms;
    this.lastCode[cell] = lastCodeOf(this.last[cell]!, ms, code);
    // one new sample shifts the lower median's rank, (total + 1 - 1) >> 1, by at most one
    const idx = this.medIdx[cell]!;
    let below = this.below[cell]!;
    let n = this.medCount[cell]!;
    if (mi < idx) below++; else if (mi === idx) n++;
    const r = total >> 1;
    if (r < below || r >= below + n || idx < MERGED_MARGIN || idx >= MERGED_K - MERGED_MARGIN) { this.moveMedian(cell, idx, below, n, r); return; }
    this.below[cell] = below;
    this.medCount[cell] = n;
  }

  /** The first sample of an empty cell: its merged window is centred on it. */
  private addFirst(cell: number, ms: number, code: number, off: number): void {
    this.mergedBase[cell] = clamp(code - MERGED_CENTER, 1, MAX_CODE - MERGED_K + 1);
    let base = this.slots[off]!;
    if (base === 0) {
      base = clamp(code - (SLOT_K >> 1), 1, MAX_CODE - SLOT_K + 1);
      this.slots[off] = base;
    }
    const j = clamp(code - base, 0, SLOT_K - 1);
    this.slots[off + 1 + j] = this.slots[off + 1 + j]! + 1;
    this.total[cell] = 1;
    this.last[cell] = ms;
    this.lastCode[cell] = lastCodeOf(this.last[cell]!, ms, code);
    // the one sample is the median: its merged bucket, as countAt places it (findMedian's walk up to it cost ~24
    // countAt calls a cell, a third of a second when a fleet's cells all get their first sample in one minute)
    this.medIdx[cell] = clamp(base + j - this.mergedBase[cell]!, 0, MERGED_K - 1);
    this.below[cell] = 0;
    this.medCount[cell] = 1;
  }

  /** Opens an empty slot around the cell's median: its base code. */
  private openSlot(cell: number, off: number): number {
    const base = clamp(this.mergedBase[cell]! + this.medIdx[cell]! - (SLOT_K >> 1), 1, MAX_CODE - SLOT_K + 1);
    this.slots[off] = base;
    return base;
  }

  /** Moves the median's bucket to rank r from bucket idx (n samples, `below` under it), re-centring near an edge. */
  private moveMedian(cell: number, idx: number, below: number, n: number, r: number): void {
    while (r < below) { idx--; n = this.countAt(cell, idx); below -= n; }
    while (r >= below + n) { below += n; idx++; n = this.countAt(cell, idx); }
    this.medIdx[cell] = idx;
    this.below[cell] = below;
    this.medCount[cell] = n;
    // near an edge: re-centre, unless the window is already against the end of the codes (a cell of a few ms)
    if (idx < MERGED_MARGIN || idx >= MERGED_K - MERGED_MARGIN) {
      const mb = this.mergedBase[cell]!;
      if (clamp(mb + idx - MERGED_CENTER, 1, MAX_CODE - MERGED_K + 1) !== mb) this.rebase(cell);
    }
  }

  /** The median (ms), or NaN without samples. */
  median(cell: number): number {
    const total = this.total[cell]!;
    if (total === 0) return NaN;
    const idx = this.medIdx[cell]!;
    const lo = this.valueOf(cell, this.mergedBase[cell]! + idx);
    if (total & 1 || this.below[cell]! + this.medCount[cell]! > (total >> 1)) return lo;
    let k = idx + 1;
    while (k < MERGED_K - 1 && this.countAt(cell, k) === 0) k++;
    return (lo + this.valueOf(cell, this.mergedBase[cell]! + k)) / 2;
  }

  private valueOf(cell: number, code: number): number {
    return this.lastCode[cell] === code ? this.last[cell]! : CODE_MS[code]!;
  }

  /** Recomputes the median's bucket from scratch (after a slot expired or the window moved). */
  private findMedian(cell: number): void {
    const total = this.total[cell]!;
    const m0 = cell * MERGED_K;
    if (total === 0) {
      this.medIdx[cell] = 0; this.below[cell] = 0; this.medCount[cell] = 0; this.last[cell] = 0; this.lastCode[cell] = 0;
      this.merged.fill(0, m0, m0 + MERGED_K);
      return;
    }
    const r = (total - 1) >> 1;
    let below = 0;
    let idx = 0;
    let n = this.countAt(cell, 0);
    while (r >= below + n) { below += n; idx++; n = this.countAt(cell, idx); }
    this.medIdx[cell] = idx;
    this.below[cell] = below;
    this.medCount[cell] = n;
  }

  /** A cell's samples in merged bucket i: merged's plus those of its current slot that fall in it (clamped alike). */
  private countAt(cell: number, i: number): number {
    const n = this.merged[cell * MERGED_K + i]!;
    const s = this.cur[cell]!;
    if (s === NO_SLOT) return n;
    const off = (s * this.cells + cell) * SLOT_BYTES;
    const base = this.slots[off]!;
    if (base === 0) return n;
    // slot bucket j lands in merged bucket clamp(base + j - mergedBase): the edge buckets gather the clamped ones
    const j = i + this.mergedBase[cell]! - base;
    const lo = i === 0 ? 0 : Math.max(j, 0);
    const hi = i === MERGED_K - 1 ? SLOT_K - 1 : Math.min(j, SLOT_K - 1);
    let add = 0;
    for (let k = lo; k <= hi; k++) add += this.slots[off + 1 + k]!;
    return n + add;
  }

  /** Adds (sign 1) or takes out (-1) a cell's slot s in its merged histogram; the slot's samples. */
  private mergeSlot(cell: number, s: number, sign: 1 | -1): number {
    const off = (s * this.cells + cell) * SLOT_BYTES;
    const base = this.slots[off]!;
    if (base === 0) return 0;
    const mb = this.mergedBase[cell]!;
    const m0 = cell * MERGED_K;
    let moved = 0;
    for (let j = 0; j < SLOT_K; j++) {
      const n = this.slots[off + 1 + j]!;
      if (n === 0) continue;
      const mi = clamp(base + j - mb, 0, MERGED_K - 1);
      this.merged[m0 + mi] = this.merged[m0 + mi]! + sign * n;
      moved += n;
    }
    return moved;
  }

  /**
   * Makes `slot` the cell's current slot (once per slot length, at its rotation; after derive, at its next sample):
   * the old one's samples go into merged, the new one's come out. Every bucket's count (countAt) stays the same, and
   * so do the median's bucket and the samples below it.
   */
  private moveCur(cell: number, slot: number): void {
    const s = this.cur[cell]!;
    if (s !== NO_SLOT) this.mergeSlot(cell, s, 1);
    this.mergeSlot(cell, slot, -1);
    this.cur[cell] = slot;
  }

  /**
   * Recomputes what follows from the slots, `mergedBase` and `last` (the merged histogram, then of every slot, the
   * median's bucket, its count and the samples below it, the code of `last`) for cells `from`..`to`: the checkpoint
   * leaves those out, since they are always the slots' sum (add, expire and rebase keep them so) and the median's
   * bucket is the one bucket holding the lower median.
   */
  derive(from: number, to: number): void {
    for (let c = from; c < to; c++) {
      const mb = this.mergedBase[c]!;
      const m0 = c * MERGED_K;
      this.lastCode[c] = lastCodeOf(this.last[c]!, this.last[c]!, 0);
      this.cur[c] = NO_SLOT;
      this.merged.fill(0, m0, m0 + MERGED_K);
      if (this.total[c] === 0) { this.findMedian(c); continue; }
      for (let s = 0; s < this.slotCount; s++) {
        const off = (s * this.cells + c) * SLOT_BYTES;
        const base = this.slots[off]!;
        if (base === 0) continue;
        for (let j = 0; j < SLOT_K; j++) {
          const n = this.slots[off + 1 + j]!;
          if (n) { const mi = clamp(base + j - mb, 0, MERGED_K - 1); this.merged[m0 + mi] = this.merged[m0 + mi]! + n; }
        }
      }
      this.findMedian(c);
    }
  }

  /** The slots of cells `from`..`to`, slot-major (slot 0 of each, then slot 1, ...): the checkpoint's form. */
  slotsOf(from: number, to: number): Uint8Array {
    if (from === 0 && to === this.cells) return this.slots;
    const n = (to - from) * SLOT_BYTES;
    const out = new Uint8Array(n * this.slotCount);
    for (let s = 0; s < this.slotCount; s++) out.set(this.slots.subarray((s * this.cells + from) * SLOT_BYTES, (s * this.cells + to) * SLOT_BYTES), s * n);
    return out;
  }

  /** Sets the slots of cells `from`..`to` from `slotsOf`'s form, or from the cell-major form of checkpoints before it. */
  setSlots(from: number, to: number, bytes: Uint8Array, slotMajor: boolean): void {
    const n = (to - from) * SLOT_BYTES;
    for (let s = 0; s < this.slotCount; s++) {
      if (slotMajor) { this.slots.set(bytes.subarray(s * n, (s + 1) * n), (s * this.cells + from) * SLOT_BYTES); continue; }
      for (let c = from; c < to; c++) {
        const src = ((c - from) * this.slotCount + s) * SLOT_BYTES;
        this.slots.set(bytes.subarray(src, src + SLOT_BYTES), (s * this.cells + c) * SLOT_BYTES);
      }
    }
  }

  /** Bytes of the slots of `cells` cells. */
  static slotBytes(minutes: number, cells: number): number {
    return slotLayout(minutes).count * SLOT_BYTES * cells;
  }

  /** Makes cell `to`'s summary a copy of cell `from`'s. */
  copyCell(to: number, from: number): void {
    for (let s = 0; s < this.slotCount; s++) this.slots.copyWithin((s * this.cells + to) * SLOT_BYTES, (s * this.cells + from) * SLOT_BYTES, (s * this.cells + from + 1) * SLOT_BYTES);
    this.merged.copyWithin(to * MERGED_K, from * MERGED_K, (from + 1) * MERGED_K);
    for (const a of [this.mergedBase, this.total, this.medIdx, this.below, this.last, this.lastCode, this.cur, this.medCount]) a[to] = a[from]!;
  }

  /** Centres the merged window on the median and refills it from the slots. */
  private rebase(cell: number): void {
    this.mergedBase[cell] = clamp(this.mergedBase[cell]! + this.medIdx[cell]! - MERGED_CENTER, 1, MAX_CODE - MERGED_K + 1);
    this.derive(cell, cell + 1);
  }
}
