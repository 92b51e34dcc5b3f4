// Reads a replay file (JSON Lines of result records, any order) into per-minute batches of integer ids.
// Streams the file in chunks (replay files can exceed the largest string V8 can hold) and checks every line;
// bad lines are reported all together, each with file, line number, field and value.
import { open } from 'node:fs/promises';
import { ValidationError, show, type Problem } from '../core/errors.js';
import { METHODS } from '../core/model.js';
import { BatchBuilder, type MinuteBatch } from '../analyzer/engine/batch.js';
import type { Topology } from '../analyzer/engine/topology.js';

export interface LoadedResults {
  /** minute (ms) -> that minute's records */
  minutes: Map<number, MinuteBatch>;
  first: number | null;
  last: number | null;
  records: number;
}

const MAX_PROBLEMS = 20;
const METHOD_SET: ReadonlySet<unknown> = new Set(METHODS);
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const isMs = (x: unknown): boolean => x === undefined || (typeof x === 'number' && Number.isFinite(x) && x >= 0);

export async function loadResults(file: string, topo: Topology, minuteMs: number): Promise<LoadedResults> {
  const builders = new Map<number, BatchBuilder>();
  const problems: Problem[] = [];
  let badLines = 0;
  let records = 0;
  let lineNo = 0;
  let lastTs = '';
  let lastMinute = NaN;
  let current: BatchBuilder | undefined;

  let ok = true;
  const fail = (field: string, message: string, value?: unknown) => {
    ok = false;
    if (problems.length < MAX_PROBLEMS) problems.push({ file, entry: `line ${lineNo}`, field, message: `${message} (${value === undefined ? 'missing' : `value ${show(value)}`})` });
  };
  const line = (text: string) => {
    lineNo++;
    if (text.length === 0) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      if (text.trim() === '') return; // a blank line
      badLines++;
      fail('(line)', `not JSON: ${(e as Error).message}`, text);
      return;
    }
    ok = true;
    if (o === null || typeof o !== 'object' || Array.isArray(o)) { badLines++; fail('(line)', 'expected a JSON object', o); return; }
    const { ts, host, vip, sent, recv } = o;
    if (ts !== lastTs) {
      const ms = typeof ts === 'string' && TS.test(ts) ? Date.parse(ts) : NaN;
      if (Number.isNaN(ms)) { fail('ts', 'expected an ISO UTC time like 2026-11-23T14:05:00Z', ts); }
      else {
        lastTs = ts as string;
        lastMinute = Math.floor(ms / minuteMs) * minuteMs;
        current = builders.get(lastMinute);
        if (!current) builders.set(lastMinute, (current = new BatchBuilder(4096)));
      }
    }
    const h = typeof host === 'string' ? topo.hostIndex.get(host) : undefined;
    if (h === undefined) fail('host', typeof host === 'string' ? 'unknown host (not in the inventory)' : 'expected a host id', host);
    const v = typeof vip === 'string' ? topo.vipIndex.get(vip) : undefined;
    if (v === undefined) fail('vip', typeof vip === 'string' ? 'unknown VIP (not in the inventory)' : 'expected a VIP address', vip);
    if (o.method !== undefined && !METHOD_SET.has(o.method)) fail('method', `expected one of ${METHODS.join(', ')}`, o.method);
    if (!isCount(sent) || sent < 1) fail('sent', 'expected an integer >= 1', sent);
    if (!isCount(recv) || recv < 0 || (isCount(sent) && recv > sent)) fail('recv', 'expected an integer between 0 and sent', recv);
    if (!isMs(o.rttMin)) fail('rttMin', 'expected milliseconds (a number >= 0)', o.rttMin);
    if (!isMs(o.rttAvg)) fail('rttAvg', 'expected milliseconds (a number >= 0)', o.rttAvg);
    if (!isMs(o.rttMax)) fail('rttMax', 'expected milliseconds (a number >= 0)', o.rttMax);
    if (!ok) {
      badLines++;
      return;
    }
    current!.push(h!, v!, (100 * ((sent as number) - (recv as number))) / (sent as number));
    records++;
  };

  const fh = await open(file, 'r').catch((e: Error) => { throw new ValidationError([{ file, message: `cannot read: ${e.message}` }]); });
  try {
    const chunk = Buffer.allocUnsafe(8 << 20);
    let carry: Buffer | null = null;
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      const buf: Buffer = carry ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let pos = 0;
      for (let nl = buf.indexOf(10, pos); nl >= 0; nl = buf.indexOf(10, pos)) {
        line(buf.toString('utf8', pos, nl));
        pos = nl + 1;
      }
      carry = pos < buf.length ? Buffer.from(buf.subarray(pos)) : null;
    }
    if (carry) line(carry.toString('utf8'));
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
