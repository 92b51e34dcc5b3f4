// The replay's fast path for JSON Lines records: the analyzer's addon (analyzer/native/record_scan.c, built by
// `npm run build`) reads whole lines of the plain shape agents and exports write (one flat object of the core keys in
// any order, ASCII strings without escapes, plain JSON numbers) straight from the file's bytes, many lines per call,
// without JSON.parse and without an object per line. Strings come back as ids of its interning table; numbers as
// doubles, NaN for absent. A line it does not take is the caller's to JSON.parse. Validation stays in
// core/records.ts (validFields): the scanner only reads. test/analyzer/record-scan.test.ts holds it to JSON.parse.
// Looked up next to this module in the source tree and in dist/ (build/Release/, where node-gyp writes it and
// build/build.js copies it).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface RecordScanner {
  /**
   * The whole lines of buf[start, end), as many as `ints` and `nums` hold; returns how many. Per line i:
   * ints[INTS*i ..] = start, end (its newline), taken (1, else 0: JSON.parse it), then the string ids of ts, host,
   * vip, method (-1 absent); nums[NUMS*i ..] = sent, recv, rttMin, rttAvg, rttMax (NaN absent). A last line without
   * its newline is not read.
   */
  scan(buf: Buffer, start: number, end: number, ints: Int32Array, nums: Float64Array): number;
  /** the interned strings from id `from` on, in id order */
  names(from: number): string[];
}

interface Addon {
  RecordScanner: new (maxNames: number) => RecordScanner;
  INTS: number;
  NUMS: number;
}

const NAME = 'record_scan.node';
const file = fileURLToPath(new URL(`./native/build/Release/${NAME}`, import.meta.url));
if (!existsSync(file)) throw new Error(`the analyzer's record scanner addon (${NAME}) is not built: run \`npm run build\` (looked at ${file})`);
const addon = createRequire(import.meta.url)(file) as Addon;

/** ints per line of scan()'s output */
export const INTS = addon.INTS;
/** numbers per line of scan()'s output */
export const NUMS = addon.NUMS;
/** the index of the first string id in a line's ints (ts, host, vip, method follow in that order) */
export const IDS = 3;

/**
 * A scanner whose interning table holds at most `maxNames` strings (a line naming a new one past that is not taken):
 * a file's hosts, VIPs, minutes and methods are a few thousand; the bound keeps a file of odd names from growing it
 * without end (each string costs ~16 bytes plus its own).
 */
export const recordScanner = (maxNames = 1 << 21): RecordScanner => new addon.RecordScanner(maxNames);

/** Line `i` of a scan's output as JSON.parse would give the object (for tests). */
export function scannedObject(ints: Int32Array, nums: Float64Array, names: readonly string[], i: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  ['ts', 'host', 'vip', 'method'].forEach((k, j) => { const id = ints[INTS * i + IDS + j]!; if (id >= 0) out[k] = names[id]; });
  ['sent', 'recv', 'rttMin', 'rttAvg', 'rttMax'].forEach((k, j) => { const v = nums[NUMS * i + j]!; if (!Number.isNaN(v)) out[k] = v; });
  return out;
}
