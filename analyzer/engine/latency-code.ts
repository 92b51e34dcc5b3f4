// The latency scale of the baselines (baseline.ts): a latency as a one-byte bucket code, 1 ms wide up to 50 ms, then
// 2% wide, so the median of a bucket is within 1 ms or 2% of the exact one; and each code's representative value.

const LINEAR_MS = 50;
const RATIO = 1.02;
const LOG_RATIO = Math.log(RATIO);
/** the highest code (~2.9 s and above) */
export const MAX_CODE = 255;

/** The 2% buckets' code by the definition (a logarithm a call): what latencyCode gives, by a table. */
export function latencyCodeByLog(ms: number): number {
  if (ms < LINEAR_MS) return ms < 0 ? 1 : 1 + Math.floor(ms);
  const c = LINEAR_MS + 1 + Math.floor(Math.log(ms / LINEAR_MS) / LOG_RATIO);
  return c > MAX_CODE ? MAX_CODE : c;
}

/**
 * LOWEST[c]: the least double latencyCodeByLog puts in code c (c > LINEAR_MS + 1), found by bisecting the doubles
 * (the definition only ever grows with ms): comparing against these gives exactly the definition's code, rounding
 * at the edges included, without a logarithm per sample (one a cell a minute was a tenth of the latency lane).
 */
const LOWEST: Float64Array = (() => {
  const t = new Float64Array(MAX_CODE + 2).fill(Infinity);
  const f = new Float64Array(1);
  const bits = new BigInt64Array(f.buffer);
  for (let c = LINEAR_MS + 2; c <= MAX_CODE; c++) {
    // positive doubles order as their bit patterns do
    f[0] = LINEAR_MS; let lo = bits[0]!; // code < c
    f[0] = 1e6; let hi = bits[0]!; // code >= c
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      bits[0] = mid;
      if (latencyCodeByLog(f[0]!) >= c) hi = mid; else lo = mid;
    }
    bits[0] = hi;
    t[c] = f[0]!;
  }
  return t;
})();
/** per whole ms below COARSE_MS: the code of that ms (the code of any ms in [k, k + 1) is it or a little more) */
const COARSE_MS = 4096;
const COARSE: Uint8Array = (() => {
  const t = new Uint8Array(COARSE_MS);
  for (let k = 0; k < COARSE_MS; k++) t[k] = latencyCodeByLog(k);
  return t;
})();

/** Bucket code of a latency (1..255): 1 ms buckets below 50 ms, then 2% buckets (up to ~2.9 s, above is 255). */
export function latencyCode(ms: number): number {
  if (ms < LINEAR_MS) return ms < 0 ? 1 : 1 + Math.floor(ms);
  if (!(ms < COARSE_MS)) return latencyCodeByLog(ms); // NaN included
  let c = COARSE[ms | 0]!;
  while (c < MAX_CODE && ms >= LOWEST[c + 1]!) c++;
  return c;
}

/** The middle of a bucket (its representative when no exact value of it is known). */
export const CODE_MS: Float64Array = (() => {
  const t = new Float64Array(MAX_CODE + 1);
  for (let c = 1; c <= MAX_CODE; c++) t[c] = c <= LINEAR_MS ? c - 0.5 : LINEAR_MS * RATIO ** (c - LINEAR_MS - 1) * Math.sqrt(RATIO);
  return t;
})();
