// Latency baselines: per (VIP, group) cell, the median of the cell's latency over the last `baselineMinutes`
// minutes before the smoothing window, slow minutes left out. Fixed size per cell, whatever the history length:
// - latencies are bucket codes (1 ms wide up to 50 ms, then 2% wide; one byte), so the median of a bucket is within
//   1 ms or 2% of the exact one (the bucket's last exact value is kept, so a steady cell's baseline is exact);
// - a ring of SLOTS sub-histograms, each of SLOT_LEN minutes and SLOT_K buckets around its own base, lets old
//   minutes expire a slot at a time (cells rotate at staggered minutes, so no minute expires every cell at once);
// - a merged histogram of MERGED_K buckets around the cell's median holds the sum of the slots, and the median's
//   bucket is tracked incrementally (one sample a minute moves it by at most a bucket or two).
// Values outside a window are clamped to its edge: that keeps their side of the median, so the median is exact to
// its bucket as long as it lies inside the windows (which follow it).

const LINEAR_MS = 50;
const RATIO = 1.02;
const LOG_RATIO = Math.log(RATIO);
const MAX_CODE = 255;
/** bytes per slot: [base code, SLOT_K counts] */
const SLOT_BYTES = 32;
const SLOT_K = SLOT_BYTES - 1;
const MERGED_K = 48;
const MERGED_CENTER = MERGED_K >> 1;
/** rebase the merged window when the median gets this close to an edge */
const MERGED_MARGIN = 6;
/** at most this many slots (a day: 12 slots of 2 hours) unless a slot would exceed 255 minutes */
const TARGET_SLOTS = 12;

/** Bucket code of a latency (1..255): 1 ms buckets below 50 ms, then 2% buckets (up to ~2.9 s, above is 255). */
export function latencyCode(ms: number): number {
  if (ms < LINEAR_MS) return ms < 0 ? 1 : 1 + Math.floor(ms);
  const c = LINEAR_MS + 1 + Math.floor(Math.log(ms / LINEAR_MS) / LOG_RATIO);
  return c > MAX_CODE ? MAX_CODE : c;
}

/** The middle of a bucket (its representative when no exact value of it is known). */
export const CODE_MS: Float64Array = (() => {
  const t = new Float64Array(MAX_CODE + 1);
  for (let c = 1; c <= MAX_CODE; c++) t[c] = c <= LINEAR_MS ? c - 0.5 : LINEAR_MS * RATIO ** (c - LINEAR_MS - 1) * Math.sqrt(RATIO);
  return t;
})();

/** Slot layout for a baseline window: slots of `len` minutes, `count` of them (count x len <= minutes). */
export function slotLayout(minutes: number): { len: number; count: number } {
  const len = Math.min(255, Math.max(1, Math.ceil(minutes / TARGET_SLOTS)));
  return { len, count: Math.max(1, Math.floor(minutes / len)) };
}

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

export class Baselines {
  readonly slotLen: number;
  readonly slotCount: number;
  /** per cell: slotCount slots of SLOT_BYTES (byte 0: base code, 0 = empty slot) */
  readonly slots: Uint8Array;
  /** per cell: MERGED_K counts starting at mergedBase */
  readonly merged: Uint16Array;
  readonly mergedBase: Uint8Array;
  /** per cell: samples in the window */
  readonly total: Uint16Array;
  /** per cell: index (in merged) of the median's bucket, and the samples below that bucket */
  readonly medIdx: Uint8Array;
  readonly below: Uint16Array;
  /** per cell: the last exact latency added (ms); the representative of its bucket */
  readonly last: Float32Array;

  constructor(readonly cells: number, readonly minutes: number) {
    const { len, count } = slotLayout(minutes);
    this.slotLen = len;
    this.slotCount = count;
    this.slots = new Uint8Array(cells * count * SLOT_BYTES);
    this.merged = new Uint16Array(cells * MERGED_K);
    this.mergedBase = new Uint8Array(cells);
    this.total = new Uint16Array(cells);
    this.medIdx = new Uint8Array(cells);
    this.below = new Uint16Array(cells);
    this.last = new Float32Array(cells);
  }

  /** Bytes held per cell. */
  static bytesPerCell(minutes: number): number {
    return slotLayout(minutes).count * SLOT_BYTES + MERGED_K * 2 + 1 + 2 + 1 + 2 + 4;
  }

  private slotOffset(cell: number, minuteIndex: number): number {
    const n = Math.floor((minuteIndex + (cell % this.slotLen)) / this.slotLen) % this.slotCount;
    return (cell * this.slotCount + n) * SLOT_BYTES;
  }

  /**
   * Expires the slots that start a new round at `minuteIndex` (minute / minuteMs): every cell's slot rotates once
   * per slot length, at a minute staggered by cell. Call once per minute, before adding that minute's samples.
   */
  rotate(minuteIndex: number): void {
    const L = this.slotLen;
    const first = (L - (minuteIndex % L)) % L;
    for (let c = first; c < this.cells; c += L) this.expire(c, minuteIndex);
  }

  /** Whether a cell starts a new slot at this minute (what `rotate` expires for every such cell). */
  rotatesAt(c: number, minuteIndex: number): boolean {
    return (minuteIndex + c) % this.slotLen === 0;
  }

  /** Empties the slot a cell starts at this minute (its samples of one slot count of rounds ago leave the window). */
  expire(c: number, minuteIndex: number): void {
    const off = this.slotOffset(c, minuteIndex);
    const base = this.slots[off]!;
    if (base === 0) return;
    const mb = this.mergedBase[c]!;
    const m0 = c * MERGED_K;
    let removed = 0;
    for (let j = 0; j < SLOT_K; j++) {
      const n = this.slots[off + 1 + j]!;
      if (n === 0) continue;
      const mi = clamp(base + j - mb, 0, MERGED_K - 1);
      this.merged[m0 + mi] = this.merged[m0 + mi]! - n;
      removed += n;
    }
    this.slots.fill(0, off, off + SLOT_BYTES);
    this.total[c] = this.total[c]! - removed;
    this.findMedian(c);
  }

  /** Adds one minute's latency (ms) of a cell, sampled at `minuteIndex`. */
  add(cell: number, ms: number, minuteIndex: number): void {
    const code = latencyCode(ms);
    const off = this.slotOffset(cell, minuteIndex);
    const total = this.total[cell]!;
    if (total === 0) this.mergedBase[cell] = clamp(code - MERGED_CENTER, 1, MAX_CODE - MERGED_K + 1);
    let base = this.slots[off]!;
    if (base === 0) {
      const center = total > 0 ? this.mergedBase[cell]! + this.medIdx[cell]! : code;
      base = clamp(center - (SLOT_K >> 1), 1, MAX_CODE - SLOT_K + 1);
      this.slots[off] = base;
    }
    const j = clamp(code - base, 0, SLOT_K - 1);
    this.slots[off + 1 + j] = this.slots[off + 1 + j]! + 1;
    const mi = clamp(base + j - this.mergedBase[cell]!, 0, MERGED_K - 1);
    const m0 = cell * MERGED_K;
    this.merged[m0 + mi] = this.merged[m0 + mi]! + 1;
    this.total[cell] = total + 1;
    this.last[cell] = ms;
    if (total === 0) { this.findMedian(cell); return; }
    // move the median's bucket: one new sample shifts the median rank by at most one
    let idx = this.medIdx[cell]!;
    let below = this.below[cell]!;
    if (mi < idx) below++;
    const r = total >> 1; // (total + 1 - 1) >> 1: the lower median's rank
    while (r < below) { idx--; below -= this.merged[m0 + idx]!; }
    while (r >= below + this.merged[m0 + idx]!) { below += this.merged[m0 + idx]!; idx++; }
    this.medIdx[cell] = idx;
    this.below[cell] = below;
    if (idx < MERGED_MARGIN || idx >= MERGED_K - MERGED_MARGIN) this.rebase(cell);
  }

  /** The median (ms), or NaN without samples. */
  median(cell: number): number {
    const total = this.total[cell]!;
    if (total === 0) return NaN;
    const m0 = cell * MERGED_K;
    const idx = this.medIdx[cell]!;
    const lo = this.valueOf(cell, this.mergedBase[cell]! + idx);
    if (total & 1 || this.below[cell]! + this.merged[m0 + idx]! > (total >> 1)) return lo;
    let k = idx + 1;
    while (k < MERGED_K - 1 && this.merged[m0 + k] === 0) k++;
    return (lo + this.valueOf(cell, this.mergedBase[cell]! + k)) / 2;
  }

  private valueOf(cell: number, code: number): number {
    const last = this.last[cell]!;
    return last > 0 && latencyCode(last) === code ? last : CODE_MS[code]!;
  }

  /** Recomputes the median's bucket from scratch (after a slot expired or the window moved). */
  private findMedian(cell: number): void {
    const total = this.total[cell]!;
    const m0 = cell * MERGED_K;
    if (total === 0) { this.medIdx[cell] = 0; this.below[cell] = 0; this.merged.fill(0, m0, m0 + MERGED_K); this.last[cell] = 0; return; }
    const r = (total - 1) >> 1;
    let below = 0;
    let idx = 0;
    while (r >= below + this.merged[m0 + idx]!) { below += this.merged[m0 + idx]!; idx++; }
    this.medIdx[cell] = idx;
    this.below[cell] = below;
  }

  /** Centres the merged window on the median and refills it from the slots. */
  private rebase(cell: number): void {
    const mb = clamp(this.mergedBase[cell]! + this.medIdx[cell]! - MERGED_CENTER, 1, MAX_CODE - MERGED_K + 1);
    const m0 = cell * MERGED_K;
    this.mergedBase[cell] = mb;
    this.merged.fill(0, m0, m0 + MERGED_K);
    for (let s = 0; s < this.slotCount; s++) {
      const off = (cell * this.slotCount + s) * SLOT_BYTES;
      const base = this.slots[off]!;
      if (base === 0) continue;
      for (let j = 0; j < SLOT_K; j++) {
        const n = this.slots[off + 1 + j]!;
        if (n) { const mi = clamp(base + j - mb, 0, MERGED_K - 1); this.merged[m0 + mi] = this.merged[m0 + mi]! + n; }
      }
    }
    this.findMedian(cell);
  }
}
