// The gateway's body validator (gateway/results-validate.ts: the fast record check, the schema's words for refused
// records, a stop after MAX_PROBLEMS) against the shared zod schema (core/records.ts): generated bodies, mostly valid
// with every kind of bad field mixed in, must get the same verdict and the same parsed body; every problem it states
// is word for word one the schema states, and it states them all unless it stopped at MAX_PROBLEMS.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { schemaValidator } from './schema-validator.js';
import { MAX_PROBLEMS } from '../../gateway/results-check.js';
import { fastValidator, validatorWithLimit } from '../../gateway/results-validate.js';

const MISSING = Symbol('missing');
const field = <T>(good: fc.Arbitrary<T>, ...bad: Array<fc.Arbitrary<unknown>>) =>
  fc.oneof({ weight: 8, arbitrary: good }, ...bad.map((arbitrary) => ({ weight: 1, arbitrary })));
const anyJson = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 5 }), fc.constant([]), fc.constant({}));

const ts = field(
  fc.integer({ min: 0, max: 10_000 }).map((m) => new Date(Date.UTC(2026, 10, 1) + m * 60_000).toISOString().replace('.000Z', 'Z')),
  fc.constant('2026-11-23T14:05:00.000Z'), fc.constant('2026-11-23 14:05'), fc.constant(MISSING), anyJson,
);
const name = field(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constant(''), fc.constant('x'.repeat(254)), fc.constant(MISSING), anyJson,
);
const method = fc.oneof(fc.constant(MISSING), fc.constantFrom('icmp', 'tcp', 'http'), fc.constantFrom('udp', null, 3, ''));
const count = field(fc.integer({ min: 0, max: 30 }), fc.constantFrom(-1, 100_001, 2.5, '20', MISSING, null));
const ms = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: 0, max: 1000, noNaN: true }) },
  { weight: 3, arbitrary: fc.constant(MISSING) },
  { weight: 1, arbitrary: fc.constantFrom(-0.5, 600_001, '3', null) },
);
const extra = fc.oneof({ weight: 9, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.constantFrom({ rtt: 1 }, { a: 1, b: 2 }) });

const record = fc.record({ ts, host: name, vip: name, method, sent: count, recv: count, rttMin: ms, rttAvg: ms, rttMax: ms, extra })
  .map(({ extra: more, ...r }) => Object.fromEntries(Object.entries({ ...r, ...more }).filter(([, v]) => v !== MISSING)));
// Records that pass the type checks, so the cross-field rules (recv <= sent, rtt presence and order) get exercised.
const plausible = fc.record({
  ts: ts.filter((v) => typeof v === 'string'), sent: fc.integer({ min: 1, max: 20 }), recv: fc.integer({ min: 0, max: 22 }),
  rtts: fc.oneof(fc.constant(null), fc.tuple(fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }))),
}).map(({ ts: t, sent, recv, rtts }) => ({
  ts: t, host: 'h1', vip: '198.19.0.1', sent, recv,
  ...(rtts ? { rttMin: Math.min(...rtts), rttAvg: recv % 4 === 3 ? Math.max(...rtts) + 1 : rtts[1], rttMax: Math.max(...rtts) } : {}),
}));
const element = fc.oneof({ weight: 10, arbitrary: record }, { weight: 10, arbitrary: plausible }, { weight: 1, arbitrary: anyJson });
const body = fc.oneof(
  { weight: 20, arbitrary: fc.record({ host: name, results: field(fc.array(element, { maxLength: 6 }), fc.constant(MISSING), anyJson), extra })
    .map(({ extra: more, ...b }) => Object.fromEntries(Object.entries({ ...b, ...more }).filter(([, v]) => v !== MISSING))) },
  { weight: 1, arbitrary: anyJson },
);

function agree(raw: unknown, validate = fastValidator, limit = MAX_PROBLEMS): void {
  const z = schemaValidator(structuredClone(raw));
  const f = validate(structuredClone(raw));
  assert.equal(f.ok, z.ok, `verdicts differ for ${JSON.stringify(raw)}: ${JSON.stringify(z.ok ? [] : z.problems)}`);
  if (z.ok && f.ok) assert.deepEqual(f.body, z.body);
  else if (!z.ok && !f.ok) {
    for (const p of f.problems) assert.ok(z.problems.includes(p), `"${p}" is not what the schema says: ${JSON.stringify(z.problems)}`);
    if (f.problems.length < limit) assert.deepEqual([...f.problems].sort(), [...z.problems].sort(), `every problem of ${JSON.stringify(raw)}`);
    else assert.equal(f.problems.length, limit, 'stops at the limit');
  }
}

describe('gateway results validator', () => {
  it('agrees with the zod schema on generated bodies (verdict, parsed body, every problem)', () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(fc.property(body, (raw) => {
      agree(raw);
      agree(raw, validatorWithLimit(3), 3);
      if (schemaValidator(structuredClone(raw)).ok) valid++; else invalid++;
    }), { numRuns: 3000, seed: 20261123 });
    assert.ok(valid > 200 && invalid > 200, `both kinds generated (valid ${valid}, invalid ${invalid})`);
  });

  it('agrees on the edges: method default, the array limit, unknown keys, wrong containers', () => {
    const ok = { ts: '2026-11-23T14:05:00Z', host: 'h', vip: 'v', sent: 20, recv: 19, rttMin: 1, rttAvg: 2, rttMax: 3 };
    agree({ host: 'h', results: [ok] });
    const parsed = fastValidator({ host: 'h', results: [{ ...ok }] });
    assert.ok(parsed.ok && parsed.body.results[0]!.method === 'icmp', 'method defaults to icmp');
    agree({ host: 'h', results: [{ ...ok, extra: 1, more: 2 }], x: 1 });
    agree({ host: 'h', results: Array.from({ length: 200_001 }, () => 1) });
    agree({ host: 'h', results: Array.from({ length: 200_000 }, () => ok) });
    agree({ host: 'h', results: Array.from({ length: 1000 }, () => ({})) });
    for (const raw of [null, [], 'x', 3, { host: 'h' }, { host: 'h', results: {} }, { host: 'h', results: [null, [], 'x'] }]) agree(raw);
    const bad = fastValidator({ host: 'h', results: [ok, { ...ok, sent: 'twenty' }, { ...ok, recv: 0 }] });
    assert.ok(!bad.ok);
    assert.deepEqual(bad.problems, [
      'results[1].sent: Invalid input: expected number, received string (value "twenty")',
      'results[2].rttAvg: rtt fields must be absent when recv is 0 (value 2)',
    ]);
  });
});
