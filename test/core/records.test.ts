// The result-record contract's fast check (core/records.ts isValidRecord, used by the gateway's ingest path and the
// replay parser) against its zod schema: generated records, valid ones and every kind of bad field, must get the same
// verdict, and an accepted record must come out as the schema parses it (the default method filled in).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isValidRecord, recordIssues, recordSchema } from '../../core/records.js';

const MISSING = Symbol('missing');
const pick = <T>(good: fc.Arbitrary<T>, ...bad: unknown[]) =>
  fc.oneof({ weight: 6, arbitrary: good }, { weight: 2, arbitrary: fc.constantFrom(...bad) }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) });

const minute = fc.integer({ min: 0, max: 100_000 }).map((m) => new Date(Date.UTC(2026, 0, 1) + m * 60_000).toISOString());
const ts = pick(fc.oneof(minute.map((s) => s.replace('.000Z', 'Z')), minute),
  MISSING, '', '2026-11-23 14:05', '2026-11-23T14:05:00', '2026-11-23T14:05:00+08:00', '2026-11-23T14:05Z', 'x2026-11-23T14:05:00Z');
const name = pick(fc.string({ minLength: 1, maxLength: 20 }), MISSING, '', 'x'.repeat(253), 'x'.repeat(254), ['a']);
const method = fc.oneof(fc.constantFrom(MISSING, 'icmp', 'tcp', 'http'), fc.constantFrom(undefined, 'udp', 'ICMP', '', null, 1));
const count = pick(fc.integer({ min: 0, max: 30 }), MISSING, -1, 0, 1, 100_000, 100_001, 2.5, Number.NaN, Infinity, '20', null, -0);
const rtt = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: 0, max: 1000, noNaN: true }) },
  { weight: 3, arbitrary: fc.constant(MISSING) },
  { weight: 2, arbitrary: fc.constantFrom(-0.5, -0, 0, 600_000, 600_001, Number.NaN, Infinity, -Infinity, '3', null, undefined) },
);
const extra = fc.oneof({ weight: 8, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.constantFrom({ rtt: 1 }, { toString: 1 }, { constructor: 'x' }, { extra: undefined }) },
  // the optional http fields, good and bad
  { weight: 2, arbitrary: fc.constantFrom(
    { httpStatus: 200, httpDnsMs: 0, httpConnectMs: 0.2, httpTlsMs: 1.5, httpFirstByteMs: 2, httpTotalMs: 2.5, certDaysLeft: 9.99 },
    { httpStatus: 404, httpBodyMismatch: 3, certDaysLeft: -2 }, { httpStatus: 99 }, { httpStatus: 200.5 }, { httpTotalMs: -1 },
    { httpTlsMs: Number.NaN }, { httpBodyMismatch: 0 }, { certDaysLeft: Infinity }, { certDaysLeft: '3' }, { httpStatus: undefined }) });

const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== MISSING));
const record = fc.record({ ts, host: name, vip: name, method, sent: count, recv: count, rttMin: rtt, rttAvg: rtt, rttMax: rtt, extra })
  .map(({ extra: more, ...r }) => strip({ ...r, ...more }));
// records that get past the type checks, so recv <= sent and the rtt presence and order rules are exercised
const plausible = fc.record({
  sent: fc.integer({ min: 1, max: 20 }), recv: fc.integer({ min: 0, max: 22 }), method: fc.constantFrom(MISSING, 'icmp', 'http'),
  rtts: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 3, maxLength: 3 }).map((a) => a.sort((x, y) => x - y)) },
    { weight: 1, arbitrary: fc.array(fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constant(MISSING)), { minLength: 3, maxLength: 3 }) },
  ),
}).map(({ sent, recv, method: m, rtts }) => strip({
  ts: '2026-11-23T14:05:00Z', host: 'h1', vip: '198.19.0.1', method: m, sent, recv,
  ...(rtts ? { rttMin: rtts[0], rttAvg: rtts[1], rttMax: rtts[2] } : {}),
}));
const anyRecord = fc.oneof({ weight: 5, arbitrary: record }, { weight: 5, arbitrary: plausible }, { weight: 1, arbitrary: fc.anything() });

function agree(raw: unknown): boolean {
  const z = recordSchema.safeParse(structuredClone(raw));
  const copy = structuredClone(raw);
  const fast = isValidRecord(copy);
  assert.equal(fast, z.success, `verdicts differ for ${String(JSON.stringify(raw))}: ${z.success ? 'schema accepts' : JSON.stringify(z.error.issues)}`);
  if (fast && z.success) assert.deepEqual(copy, z.data, 'the record as the schema parses it');
  if (!fast) assert.ok(recordIssues(raw, 'r').length > 0, 'a refused record has the schema\'s words');
  return fast;
}

describe('result record: fast check = schema', () => {
  it('agrees with recordSchema on generated records (verdict and parsed record)', () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(fc.property(anyRecord, (raw) => { if (agree(raw)) valid++; else invalid++; }), { numRuns: 10_000, seed: 20261130 });
    assert.ok(valid > 1000 && invalid > 1000, `both kinds generated (valid ${valid}, invalid ${invalid})`);
  });

  it('agrees on records as JSON.parse makes them (own __proto__ key) and on the edges', () => {
    const ok = { ts: '2026-11-23T14:05:00Z', host: 'h', vip: 'v', sent: 20, recv: 19, rttMin: 1, rttAvg: 2, rttMax: 3 };
    assert.equal(agree(ok), true);
    assert.equal(agree(JSON.parse('{"ts":"2026-11-23T14:05:00Z","host":"h","vip":"v","sent":1,"recv":0,"__proto__":{}}')), false);
    assert.equal(agree({ ...ok, recv: 0 }), false);
    assert.equal(agree({ ...ok, rttMin: 3, rttMax: 1 }), false);
    assert.equal(agree({ ts: ok.ts, host: 'h', vip: 'v', sent: 5, recv: 0 }), true);
    for (const raw of [null, [], 'x', 3, {}, Object.create(null)]) agree(raw);
  });
});
