// Per-minute accounting: a probe counts in the minute it was SENT, whenever its reply (or timeout) comes.
// A minute is complete once it has ended and none of its probes is still in flight.
import type { Method, ResultRecord } from '../core/model.js';
import { isoSeconds } from './clock.js';
import type { HttpObservation, ProbeReply } from './probes/method.js';

/** One target's counts in one minute (`minute`: the minute they belong to). */
export interface Acc { minute: MinuteTally; vip: string; method: Method; sent: number; recv: number; min: number; max: number; sum: number; http?: HttpAcc }

/** An http target's minute: the last status, phase sums over the responses, body mismatches, the fewest cert days. */
interface HttpAcc { n: number; status: number; dns: number; connect: number; tls: number; tlsN: number; firstByte: number; total: number; mismatch: number; certDays?: number }

export interface MinuteTally { start: number; pending: number; byTarget: Map<string, Acc> }

/** A target's key in a minute's counts: one record per method and vip. */
export const tallyKey = (method: Method, vip: string): string => `${method} ${vip}`;

/** Rounds an RTT to µs, the precision fping prints. */
const us = (ms: number): number => Math.round(ms * 1000) / 1000;

export class Tally {
  readonly #minutes = new Map<number, MinuteTally>();
  /** the minute counted into last: nearly every probe goes to the same one as the one before */
  #last: MinuteTally | null = null;

  /**
   * Counts one probe sent in the minute starting at minuteStart to the target `key` (one string per method and vip,
   * built once per target list, not per probe); call settle(acc, reply) with its outcome, exactly once.
   */
  count(minuteStart: number, key: string, vip: string, method: Method): Acc {
    let m = this.#last;
    if (m?.start !== minuteStart) {
      m = this.#minutes.get(minuteStart) ?? { start: minuteStart, pending: 0, byTarget: new Map<string, Acc>() };
      this.#minutes.set(minuteStart, m);
      this.#last = m;
    }
    let acc = m.byTarget.get(key);
    if (!acc) m.byTarget.set(key, (acc = { minute: m, vip, method, sent: 0, recv: 0, min: Infinity, max: 0, sum: 0 }));
    acc.sent++;
    m.pending++;
    return acc;
  }

  /** The outcome of a probe counted with count(). */
  settle(a: Acc, reply: ProbeReply): void {
    a.minute.pending--;
    let rtt: number | null;
    if (reply === null || typeof reply === 'number') rtt = reply;
    else {
      rtt = reply.rtt;
      addHttp(a, reply.http);
    }
    if (rtt === null) return;
    a.recv++;
    a.sum += rtt;
    if (rtt < a.min) a.min = rtt;
    if (rtt > a.max) a.max = rtt;
  }

  /** count() for one-off callers: returns the function to call with the outcome (later calls are ignored). */
  sent(minuteStart: number, vip: string, method: Method): (reply: ProbeReply) => void {
    const a = this.count(minuteStart, tallyKey(method, vip), vip, method);
    let settled = false;
    return (reply) => {
      if (settled) return;
      settled = true;
      this.settle(a, reply);
    };
  }

  /** Minutes that ended before `now` with nothing in flight (or every minute when `all`), oldest first; removed from the tally. */
  takeComplete(now: number, minuteMs: number, host: string, all = false): { start: number; records: ResultRecord[] }[] {
    const out: { start: number; records: ResultRecord[] }[] = [];
    for (const m of [...this.#minutes.values()].sort((a, b) => a.start - b.start)) {
      if (!all && (m.start + minuteMs > now || m.pending > 0)) continue;
      this.#minutes.delete(m.start);
      if (this.#last === m) this.#last = null;
      const ts = isoSeconds(m.start);
      out.push({ start: m.start, records: [...m.byTarget.values()].map((a) => toRecord(ts, host, a)) });
    }
    return out;
  }

  get inFlight(): number {
    let n = 0;
    for (const m of this.#minutes.values()) n += m.pending;
    return n;
  }
}

function addHttp(a: Acc, o: HttpObservation): void {
  const h = (a.http ??= { n: 0, status: 0, dns: 0, connect: 0, tls: 0, tlsN: 0, firstByte: 0, total: 0, mismatch: 0 });
  h.n++;
  h.status = o.status;
  h.dns += o.dnsMs;
  h.connect += o.connectMs;
  if (o.tlsMs !== undefined) { h.tls += o.tlsMs; h.tlsN++; }
  h.firstByte += o.firstByteMs;
  h.total += o.totalMs;
  if (o.bodyMismatch) h.mismatch++;
  if (o.certDaysLeft !== undefined && !(h.certDays! <= o.certDaysLeft)) h.certDays = o.certDaysLeft;
}

/** The record's http fields: means over the minute's responses, in ms from the start of a probe (core/records.ts). */
function httpFields(h: HttpAcc): Partial<ResultRecord> {
  return {
    httpStatus: h.status,
    httpDnsMs: us(h.dns / h.n),
    httpConnectMs: us(h.connect / h.n),
    ...(h.tlsN ? { httpTlsMs: us(h.tls / h.tlsN) } : {}),
    httpFirstByteMs: us(h.firstByte / h.n),
    httpTotalMs: us(h.total / h.n),
    ...(h.mismatch ? { httpBodyMismatch: h.mismatch } : {}),
    ...(h.certDays !== undefined ? { certDaysLeft: h.certDays } : {}),
  };
}

// ICMP and TCP records as one object literal each, the timestamp formatted once per minute: object spreads and a
// Date per record took 31 ms per 2,500 records in the launcher's lite mode (bytecode only), this ~1 ms.
function toRecord(ts: string, host: string, a: Acc): ResultRecord {
  if (a.http) return httpRecord(ts, host, a, a.http);
  return sumsRecord(ts, host, a.vip, a.method, a.sent, a.recv, a.min, a.max, a.sum);
}

/** An ICMP or TCP minute's record from its sums (RTTs in ms): the JS tally's and the addon's schedule's alike. */
export function sumsRecord(ts: string, host: string, vip: string, method: Method, sent: number, recv: number, min: number, max: number, sum: number): ResultRecord {
  if (recv === 0) return { ts, host, vip, method, sent, recv: 0 };
  const lo = us(min);
  const hi = us(max);
  return { ts, host, vip, method, sent, recv, rttMin: lo, rttAvg: meanRtt(sum, recv, lo, hi), rttMax: hi };
}

function httpRecord(ts: string, host: string, a: Acc, h: HttpAcc): ResultRecord {
  const r: ResultRecord = { ts, host, vip: a.vip, method: a.method, sent: a.sent, recv: a.recv, ...httpFields(h) };
  if (a.recv === 0) return r;
  const min = us(a.min);
  const max = us(a.max);
  return { ...r, rttMin: min, rttAvg: meanRtt(a.sum, a.recv, min, max), rttMax: max };
}

/** rounding each figure separately must not break min <= avg <= max */
const meanRtt = (sum: number, recv: number, min: number, max: number): number => Math.min(max, Math.max(min, us(sum / recv)));
