// Reads a replay file (JSON Lines of result records, any order) into per-minute batches of integer ids.
// Streams the file in chunks (replay files can exceed the largest string V8 can hold). Each line is checked against
// the result-record contract (core/records.ts): the fast path scans the line's bytes (record-scan.ts) and checks its
// fields with the contract's fast check; a line it cannot take is parsed with JSON.parse and checked the same way;
// a refused line gets the schema's own words. Bad lines are reported all together (the first MAX_PROBLEMS problems),
// each with file, line number, field and value.
import { open } from 'node:fs/promises';
import { ValidationError, show, type Problem } from '../core/errors.js';
import { isValidRecord, recordProblems, validFields } from '../core/records.js';
import { BatchBuilder, latencyRank, type MinuteBatch } from './engine/batch.js';
import type { Topology } from './engine/topology.js';
import { IDS, INTS, NUMS, recordScanner } from './record-scan.js';

export interface LoadedResults {
  /** minute (ms) -> that minute's records */
  minutes: Map<number, MinuteBatch>;
  first: number | null;
  last: number | null;
  records: number;
}

const MAX_PROBLEMS = 20;
const CHUNK = 8 << 20;
/** lines per scanner call */
const SCAN_LINES = 4096;
/** an inventory index not looked up yet (indexes are >= 0, and -1 is "not in the inventory") */
const UNSET = -2;

export async function loadResults(file: string, topo: Topology, minuteMs: number): Promise<LoadedResults> {
  const builders = new Map<number, BatchBuilder>();
  const problems: Problem[] = [];
  const scanner = recordScanner();
  const ints = new Int32Array(INTS * SCAN_LINES);
  const nums = new Float64Array(NUMS * SCAN_LINES);
  /** the scanner's strings by id, and per id the inventory index of the host or VIP of that name (UNSET: not looked up) */
  const names: string[] = [];
  const hostIds: number[] = [];
  const vipIds: number[] = [];
  /** per string id, its latencyRank (read only for a line's method) */
  const ranks: number[] = [];
  let badLines = 0;
  let records = 0;
  let lineNo = 0;
  let lastTs = '';
  let current: BatchBuilder | undefined;
  let fullest = 0;

  const bad = (field: string, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ file, entry: `line ${lineNo}`, field, message });
  };
  const add = (host: string, vip: string, ts: string, sent: number, recv: number, rttAvg: number | undefined, rank: number) =>
    addIds(topo.hostIndex.get(host) ?? -1, topo.vipIndex.get(vip) ?? -1, host, vip, ts, sent, recv, rttAvg, rank);
  /** `h`, `v`: the inventory indexes of host and vip, -1 for a name the inventory does not know */
  const addIds = (h: number, v: number, host: string, vip: string, ts: string, sent: number, recv: number, rttAvg: number | undefined, rank: number) => {
    if (h < 0 || v < 0) {
      badLines++;
      if (h < 0) bad('host', `unknown host (not in the inventory) (value ${show(host)})`);
      if (v < 0) bad('vip', `unknown VIP (not in the inventory) (value ${show(vip)})`);
      return;
    }
    if (ts !== lastTs) {
      const minute = Math.floor(Date.parse(ts) / minuteMs) * minuteMs;
      lastTs = ts;
      current = builders.get(minute);
      // sized as the fullest minute so far: minutes are alike, and growing copies the columns (and leaves garbage)
      if (!current) builders.set(minute, (current = new BatchBuilder(Math.max(1 << 16, fullest))));
    }
    current!.push(h, v, (100 * (sent - recv)) / sent, recv > 0 ? rttAvg : NaN, rank);
    if (current!.length > fullest) fullest = current!.length;
    records++;
  };
  /** A line the scanner did not take: JSON.parse, the same check, and the schema's words when it fails. */
  const slow = (text: string) => {
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (e) {
      if (text.trim() === '') return; // a blank line
      badLines++;
      bad('(line)', `not JSON: ${(e as Error).message} (value ${show(text)})`);
      return;
    }
    if (isValidRecord(o)) return add(o.host, o.vip, o.ts, o.sent, o.recv, o.rttAvg, latencyRank(o.method));
    badLines++;
    for (const p of recordProblems(o)) bad(p.field, p.message);
  };
  /** A line the scanner did not take (or a last line without a newline). */
  const line = (buf: Buffer, start: number, end: number) => {
    lineNo++;
    if (start < end) slow(buf.toString('utf8', start, end));
  };
  /** The lines of buf[0, filled): returns where the unfinished last line starts. */
  const lines = (buf: Buffer, filled: number): number => {
    let pos = 0;
    for (;;) {
      const n = scanner.scan(buf, pos, filled, ints, nums);
      if (n === 0) return pos;
      learn();
      for (let i = 0; i < n; i++) {
        const o = INTS * i;
        const q = NUMS * i;
        if (ints[o + 2] === 1) {
          const ts = names[ints[o + IDS]!];
          const hostId = ints[o + IDS + 1]!;
          const vipId = ints[o + IDS + 2]!;
          const host = names[hostId];
          const vip = names[vipId];
          const m = ints[o + IDS + 3]!;
          const sent = nums[q]!;
          const recv = nums[q + 1]!;
          const rttMin = nums[q + 2]!;
          const rttAvg = nums[q + 3]!;
          const rttMax = nums[q + 4]!;
          // NaN is the scanner's "absent" (JSON has no NaN)
          if (validFields(ts, host, vip, m < 0 ? undefined : names[m], sent === sent ? sent : undefined, recv === recv ? recv : undefined,
            rttMin === rttMin ? rttMin : undefined, rttAvg === rttAvg ? rttAvg : undefined, rttMax === rttMax ? rttMax : undefined)) {
            // the inventory indexes, looked up once per string id
            let h = hostIds[hostId]!;
            if (h === UNSET) h = hostIds[hostId] = topo.hostIndex.get(host!) ?? -1;
            let v = vipIds[vipId]!;
            if (v === UNSET) v = vipIds[vipId] = topo.vipIndex.get(vip!) ?? -1;
            lineNo++;
            addIds(h, v, host!, vip!, ts!, sent, recv, rttAvg, m < 0 ? 0 : ranks[m]!);
            continue;
          }
        }
        line(buf, ints[o]!, ints[o + 1]!);
      }
      pos = ints[INTS * (n - 1) + 1]! + 1;
    }
  };
  /** the strings the scanner interned since the last call, with no inventory index looked up yet */
  const learn = () => {
    const fresh = scanner.names(names.length);
    for (const name of fresh) { names.push(name); hostIds.push(UNSET); vipIds.push(UNSET); ranks.push(latencyRank(name)); }
  };

  const fh = await open(file, 'r').catch((e: Error) => { throw new ValidationError([{ file, message: `cannot read: ${e.message}` }]); });
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let carry = 0; // bytes of an unfinished line kept at the start of buf
    for (;;) {
      if (carry === buf.length) { // one line longer than the buffer: make room
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry, null);
      const filled = carry + bytesRead;
      if (bytesRead === 0) {
        if (carry) line(buf, 0, carry);
        break;
      }
      const pos = lines(buf, filled);
      carry = filled - pos;
      buf.copy(buf, 0, pos, filled);
    }
  } finally {
    await fh.close();
  }
  if (badLines > 0) {
    if (badLines > problems.length) problems.push({ file, message: `${badLines} bad lines in all; the first ${problems.length} problems are shown` });
    throw new ValidationError(problems);
  }
  const keys = [...builders.keys()];
  const minutes = new Map([...builders].map(([m, b]) => [m, b.build()]));
  return { minutes, first: keys.length ? Math.min(...keys) : null, last: keys.length ? Math.max(...keys) : null, records };
}
