// The replay's line scanner (analyzer/record-scan.ts) and the contract's field check against JSON.parse and the
// zod schema: for generated lines (the plain shape in any key order and spacing, and every kind of odd JSON), a line
// the scanner takes must give exactly JSON.parse's values, and the verdict must be the schema's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isValidRecord, recordSchema, validFields } from '../../core/records.js';
import { RecordScanner, scannedObject, SLOT_INTS, UNSET, WAYS } from '../../analyzer/record-scan.js';

const KEYS = ['ts', 'host', 'vip', 'method', 'sent', 'recv', 'rttMin', 'rttAvg', 'rttMax'];
const num = fc.oneof(
  fc.integer({ min: -5, max: 100_001 }),
  fc.double({ min: -1, max: 700_000, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 20, 0.1, 31.2, 1e-7, 123456789012345678, 0.30000000000000004, 5e-324, 1.7976931348623157e308),
);
// number texts JSON allows and some it does not
const numText = fc.oneof(
  { weight: 6, arbitrary: num.map((n) => JSON.stringify(n)) },
  { weight: 1, arbitrary: fc.constantFrom('1e2', '1E+2', '-0', '-0.0', '2.50', '0.000001', '1.0e-3', '12345678901234567', '1234567890.12345678') },
  { weight: 1, arbitrary: fc.constantFrom('01', '1.', '.5', '+1', '-', '1e', '0x10', 'NaN', 'Infinity', '1_0', '--1', '1.2.3') },
);
const strText = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fc.constantFrom('2026-11-23T14:05:00Z', '2026-11-23T14:05:00.000Z', 'icmp', 'tcp', 'http', 'udp', '', 'cdn-gz1-001', '203.0.113.10'), fc.string({ maxLength: 8 })).map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.constantFrom('"a\\"b"', '"\\u0041"', '"é"', '"tab\there"', '"\u007f"', "'x'", '"open') },
);
const value = fc.oneof({ weight: 5, arbitrary: numText }, { weight: 5, arbitrary: strText }, { weight: 1, arbitrary: fc.constantFrom('null', 'true', '[]', '{}', '{"a":1}', '[1,2]') });
const ws = fc.constantFrom('', '', '', ' ', '  ', '\t', '\r');
const keyText = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...KEYS).map((k) => JSON.stringify(k)) }, { weight: 1, arbitrary: fc.constantFrom('"extra"', '"Ts"', '"t\\u0073"', 'ts', '"httpStatus"') });
// a plausible record, so that many lines pass the check
const good = fc.record({
  ts: fc.constantFrom('2026-11-23T14:05:00Z', '2026-11-23T14:06:00Z'), host: fc.constantFrom('h1', 'h2'), vip: fc.constant('198.19.0.1'),
  method: fc.constantFrom(undefined, 'icmp', 'tcp'), sent: fc.integer({ min: 1, max: 20 }), recv: fc.integer({ min: 0, max: 20 }),
  rtts: fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 3, maxLength: 3 }).map((a) => a.sort((x, y) => x - y)),
}).map(({ rtts, ...r }) => ({ ...r, ...(r.recv > 0 ? { rttMin: rtts[0], rttAvg: rtts[1], rttMax: rtts[2] } : {}) }));
const goodLine = fc.tuple(good, fc.boolean()).map(([r, reverse]) => {
  const entries = Object.entries(r).filter(([, v]) => v !== undefined);
  return `{${(reverse ? entries.reverse() : entries).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
});
const member = fc.tuple(ws, keyText, ws, ws, value, ws).map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`);
const anyLine = fc.oneof(
  { weight: 4, arbitrary: goodLine },
  { weight: 4, arbitrary: fc.tuple(ws, fc.array(member, { maxLength: 10 }), ws).map(([a, ms, b]) => `${a}{${ms.join(',')}}${b}`) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', '}', '[]', '{}', '{"ts":1,}', '{"ts":"x" "host":"y"}', '{"sent":1}x', 'null', '{"sent":1,"sent":2}') },
);

function check(text: string, scanner: RecordScanner): 'scanned' | 'fallback' {
  const buf = Buffer.from(`xx${text}\nyy`, 'utf8'); // the line sits inside a larger buffer, as in the file reader
  const end = scanner.scanLine(buf, 2, buf.length);
  const took = end >= 0;
  if (took) assert.equal(end, buf.length - 3, `the line's end for ${text}`);
  let parsed: unknown;
  let json = true;
  try { parsed = JSON.parse(text); } catch { json = false; }
  if (took) {
    assert.ok(json, `scanned a line JSON.parse refuses: ${text}`);
    assert.deepEqual(scannedObject(scanner), parsed, `values differ from JSON.parse for ${text}`);
    for (const k of KEYS) assert.ok(Object.is((parsed as Record<string, unknown>)[k], (scanner as unknown as Record<string, unknown>)[k]), `${k} of ${text}`);
    const s = scanner;
    assert.equal(validFields(s.ts, s.host, s.vip, s.method, s.sent, s.recv, s.rttMin, s.rttAvg, s.rttMax), recordSchema.safeParse(parsed).success, `verdict for ${text}`);
  } else if (json) {
    assert.equal(isValidRecord(structuredClone(parsed)), recordSchema.safeParse(parsed).success, `verdict for ${text}`);
  }
  assert.equal(scanner.scanLine(buf, 2, buf.length - 3), -1, 'no newline before the limit: not taken');
  return took ? 'scanned' : 'fallback';
}

describe('replay line scanner', () => {
  it('takes a line only when its values are exactly JSON.parse\'s, and then agrees with the schema', () => {
    const scanner = new RecordScanner(); // one scanner for every line, as the file reader uses it
    const seen = { scanned: 0, fallback: 0 };
    fc.assert(fc.property(anyLine, (text) => { seen[check(text, scanner)]++; }), { numRuns: 20_000, seed: 20261130 });
    assert.ok(seen.scanned > 5000 && seen.fallback > 2000, JSON.stringify(seen));
  });

  it('the bench\'s and the contract\'s lines are scanned, not parsed', () => {
    const scanner = new RecordScanner();
    for (const text of [
      '{"ts":"2026-11-23T14:05:00Z","host":"cdn-gz1-001","vip":"203.0.113.10","method":"icmp","sent":20,"recv":19,"rttMin":31.2,"rttAvg":33.0,"rttMax":40.1}',
      '{"ts":"2026-11-23T14:05:00Z","host":"cdn-gz1-001","vip":"203.0.113.10","method":"icmp","sent":20,"recv":0}',
    ]) assert.equal(check(text, scanner), 'scanned');
  });

  it('an inventory id attached to a name\'s slot is dropped when the slot takes another name', () => {
    const line = (host: string, vip: string) => Buffer.from(`{"ts":"2026-11-23T14:05:00Z","host":"${host}","vip":"${vip}","sent":20,"recv":0}\n`);
    // WAYS + 1 host names of one slot set: the last evicts the first
    const probe = new RecordScanner();
    const bySet = new Map<number, string[]>();
    let names: string[] | undefined;
    for (let i = 0; !names; i++) {
      const b = line(`host-${i}`, 'v');
      probe.scanLine(b, 0, b.length);
      const set = Math.floor(probe.hostSlot / (WAYS * SLOT_INTS)); // the slot set holding the name
      const got = [...(bySet.get(set) ?? []), `host-${i}`];
      bySet.set(set, got);
      if (got.length === WAYS + 1) names = got;
    }
    const s = new RecordScanner();
    const scan = (b: Buffer) => assert.equal(s.scanLine(b, 0, b.length), b.length - 1);
    const [n0, n1] = names;
    scan(line(n0!, n1!)); // the VIP named like another host: kinds have their own slots
    assert.equal(s.hostIds[s.hostSlot], UNSET);
    s.hostIds[s.hostSlot] = 7;
    s.vipIds[s.vipSlot] = 9;
    scan(line(n1!, n1!));
    assert.equal(s.hostIds[s.hostSlot], UNSET, 'another host name has no id yet');
    s.hostIds[s.hostSlot] = 8;
    scan(line(n0!, n1!));
    assert.equal(s.hostIds[s.hostSlot], 7, 'both names of a slot set keep their ids');
    assert.equal(s.vipIds[s.vipSlot], 9, 'reading hosts never touches the VIP ids');
    for (const n of names.slice(2, WAYS)) {
      scan(line(n, n1!));
      assert.equal(s.hostIds[s.hostSlot], UNSET);
    }
    scan(line(n0!, n1!));
    assert.equal(s.hostIds[s.hostSlot], 7, 'a full set keeps every name\'s id');
    scan(line(n1!, n1!));
    assert.equal(s.hostIds[s.hostSlot], 8);
    scan(line(names[WAYS]!, n1!)); // one name more than the set holds: the oldest (n0) leaves
    assert.equal(s.host, names[WAYS]);
    assert.equal(s.hostIds[s.hostSlot], UNSET);
    scan(line(n1!, n1!));
    assert.equal(s.hostIds[s.hostSlot], 8, 'the more recent names stay');
    scan(line(n0!, n1!));
    assert.equal(s.hostIds[s.hostSlot], UNSET, 'the evicted name comes back without its id');
  });

  it('names read again and again keep their ids; a name never passes for its prefix or a longer one; evicted names read right', () => {
    const s = new RecordScanner();
    const read = (host: string, vip: string) => {
      const b = Buffer.from(`{"ts":"2026-11-23T14:05:00Z","host":"${host}","vip":"${vip}","sent":20,"recv":0}\n`);
      assert.equal(s.scanLine(b, 0, b.length), b.length - 1);
      return [s.host, s.vip, s.hostIds[s.hostSlot], s.vipIds[s.vipSlot]];
    };
    // a cycle learned once, then read again and again; each name keeps its id whichever way it was found
    const vips = ['198.19.0.1', '198.19.0.10', '198.19.0.100', '198.19.0.1', '198.19.0.2', '198.19.0.10'];
    for (const [i, v] of vips.entries()) { read('h', v); if (s.vipIds[s.vipSlot] === UNSET) s.vipIds[s.vipSlot] = i; }
    const ids = new Map(vips.map((v) => { read('h', v); return [v, s.vipIds[s.vipSlot]]; }));
    for (let round = 0; round < 3; round++) {
      for (const v of vips) assert.deepEqual(read('h', v), ['h', v, UNSET, ids.get(v)], `round ${round}, ${v}`);
    }
    // a name seen before is a prefix of this one, or this one of it: never taken for it
    for (const [a, b] of [['198.19.0.1', '198.19.0.1x'], ['198.19.0.1x', '198.19.0.1'], ['198.19.0.1', '198.19.0.2']] as const) {
      read('h', a); read('h', b); read('h', a);
      assert.equal(read('h', b)[1], b);
      assert.equal(read('h', `${b}9`)[1], `${b}9`, 'a longer name after a shorter one');
    }
    // links to names that left their slot set: the names read are still the names in the file
    const many = Array.from({ length: 5000 }, (_, i) => `host-${i}`);
    for (const round of [0, 1]) for (const h of many) assert.equal(read(h, '198.19.0.1')[0], h, `round ${round}`);
  });

  it('names and a ts longer than a slot holds are read whole, and their ids are never kept', () => {
    const s = new RecordScanner();
    const long = (c: string, n: number) => c.repeat(n);
    for (const [host, vip, ts, method] of [
      [long('h', 49), long('v', 48), '2026-11-23T14:05:00Z', 'icmp'], // one byte over / exactly a slot's bytes
      [long('h', 253), long('v', 300), `2026-11-23T14:05:00${'0'.repeat(60)}Z`, long('m', 70)],
      [long('h', 253), long('v', 300), `2026-11-23T14:05:00${'0'.repeat(60)}Z`, 'tcp'], // the same long ts again
    ] as const) {
      const text = `{"ts":"${ts}","host":"${host}","vip":"${vip}","method":"${method}","sent":20,"recv":0}`;
      assert.equal(check(text, s), 'scanned');
      assert.equal(s.ts, ts);
      assert.equal(s.method, method);
      assert.equal(s.hostIds[s.hostSlot], UNSET, 'a long host has no id kept');
      s.hostIds[s.hostSlot] = 5;
      if (vip.length > 48) assert.equal(s.vipIds[s.vipSlot], UNSET);
    }
    // the 48-byte VIP is kept, the 49-byte host is not
    const b = Buffer.from(`{"ts":"2026-11-23T14:05:00Z","host":"${long('h', 49)}","vip":"${long('v', 48)}","sent":20,"recv":0}\n`);
    assert.equal(s.scanLine(b, 0, b.length), b.length - 1);
    assert.equal(s.hostIds[s.hostSlot], UNSET);
    s.vipIds[s.vipSlot] = 3;
    assert.equal(s.scanLine(b, 0, b.length), b.length - 1);
    assert.equal(s.vipIds[s.vipSlot], 3);
    assert.equal(s.hostIds[s.hostSlot], UNSET);
  });
});
