// Bit-history helpers: every per-minute history is an integer whose bit 0 is the newest minute.

/** Popcount of every 16-bit value, so the hot loop counts window bits with one lookup. */
export const POPCOUNT16: Uint8Array = (() => {
  const t = new Uint8Array(1 << 16);
  for (let i = 1; i < t.length; i++) t[i] = (i & 1) + t[i >> 1]!;
  return t;
})();

/** Mask of the newest `n` minutes (n <= 16: histories are Uint16). */
export const windowMask = (n: number): number => (n >= 16 ? 0xffff : (1 << n) - 1);

/** Index of the oldest set bit within the mask, i.e. how many minutes back the first flagged minute lies; -1 if none. */
export function oldestBit(bits: number, mask: number): number {
  const b = bits & mask;
  return b === 0 ? -1 : 31 - Math.clz32(b);
}

// Share thresholds compare counts against fractions such as 1/3; the epsilon keeps 1/3 * 6 from missing 2.
const EPS = 1e-9;
/** count >= share x total (and total > 0) */
export const atLeast = (count: number, share: number, total: number): boolean => total > 0 && count >= share * total - EPS;
/** count > share x total: "more than 50%", where exactly half is not enough */
export const moreThan = (count: number, share: number, total: number): boolean => total > 0 && count > share * total + EPS;
/** count < share x total */
export const under = (count: number, share: number, total: number): boolean => count < share * total - EPS;
