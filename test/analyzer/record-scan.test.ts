// The replay's line scanner (the analyzer's addon, analyzer/native/record_scan.c, typed by analyzer/record-scan.ts)
// and the contract's field check against JSON.parse and the zod schema: for generated lines (the plain shape in any
// key order and spacing, and every kind of odd JSON), a line the scanner takes must give exactly JSON.parse's values,
// and the verdict must be the schema's. Then its interning table, its bounds and its batching of lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isValidRecord, recordSchema, validFields } from '../../core/records.js';
import { IDS, INTS, NUMS, recordScanner, scannedObject, type RecordScanner } from '../../analyzer/record-scan.js';

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

/** One scanner with its output arrays and the names learned so far, as the file reader keeps them. */
class Reader {
  readonly names: string[] = [];
  readonly ints: Int32Array;
  readonly nums: Float64Array;
  constructor(readonly scanner: RecordScanner = recordScanner(), lines = 1) {
    this.ints = new Int32Array(INTS * lines);
    this.nums = new Float64Array(NUMS * lines);
  }
  scan(buf: Buffer, start: number, end: number): number {
    const n = this.scanner.scan(buf, start, end, this.ints, this.nums);
    this.names.push(...this.scanner.names(this.names.length));
    return n;
  }
  taken(i: number): boolean { return this.ints[INTS * i + 2] === 1; }
  object(i: number): Record<string, unknown> { return scannedObject(this.ints, this.nums, this.names, i); }
  /** the string id of field j (0 ts, 1 host, 2 vip, 3 method) of line i */
  id(i: number, j: number): number { return this.ints[INTS * i + IDS + j]!; }
}

const CORE = ['ts', 'host', 'vip', 'method', 'sent', 'recv', 'rttMin', 'rttAvg', 'rttMax'] as const;

function check(text: string, r: Reader): 'scanned' | 'fallback' {
  const buf = Buffer.from(`xx${text}\nyy`, 'utf8'); // the line sits inside a larger buffer, as in the file reader
  assert.equal(r.scan(buf, 2, buf.length), 1, `one line read: ${text}`);
  assert.deepEqual([r.ints[0], r.ints[1]], [2, buf.length - 3], `the line's bounds for ${text}`);
  const took = r.taken(0);
  let parsed: unknown;
  let json = true;
  try { parsed = JSON.parse(text); } catch { json = false; }
  if (took) {
    assert.ok(json, `scanned a line JSON.parse refuses: ${text}`);
    const got = r.object(0);
    assert.deepEqual(got, parsed, `values differ from JSON.parse for ${text}`);
    for (const k of CORE) assert.ok(Object.is((parsed as Record<string, unknown>)[k], got[k]), `${k} of ${text}`);
    const o = got as Record<(typeof CORE)[number], unknown>;
    assert.equal(validFields(o.ts, o.host, o.vip, o.method, o.sent, o.recv, o.rttMin, o.rttAvg, o.rttMax), recordSchema.safeParse(parsed).success, `verdict for ${text}`);
  } else if (json) {
    assert.equal(isValidRecord(structuredClone(parsed)), recordSchema.safeParse(parsed).success, `verdict for ${text}`);
  }
  assert.equal(r.scan(buf, 2, buf.length - 3), 0, 'no newline before the end: not read');
  return took ? 'scanned' : 'fallback';
}

const line = (host: string, vip: string, ts = '2026-11-23T14:05:00Z') => `{"ts":"${ts}","host":"${host}","vip":"${vip}","sent":20,"recv":0}\n`;

describe('replay line scanner', () => {
  it('takes a line only when its values are exactly JSON.parse\'s, and then agrees with the schema', () => {
    const r = new Reader(); // one scanner for every line, as the file reader uses it
    const seen = { scanned: 0, fallback: 0 };
    fc.assert(fc.property(anyLine, (text) => { seen[check(text, r)]++; }), { numRuns: 20_000, seed: 20261130 });
    assert.ok(seen.scanned > 5000 && seen.fallback > 2000, JSON.stringify(seen));
  });

  it('the bench\'s and the contract\'s lines are scanned, not parsed', () => {
    const r = new Reader();
    for (const text of [
      '{"ts":"2026-11-23T14:05:00Z","host":"cdn-gz1-001","vip":"203.0.113.10","method":"icmp","sent":20,"recv":19,"rttMin":31.2,"rttAvg":33.0,"rttMax":40.1}',
      '{"ts":"2026-11-23T14:05:00Z","host":"cdn-gz1-001","vip":"203.0.113.10","method":"icmp","sent":20,"recv":0}',
      '{"ts":"2026-11-23T14:05:00Z","host":"cdn-gz1-001","vip":"fd00:62::1","method":"tcp","sent":20,"recv":20,"rttMin":0.031,"rttAvg":0.0456,"rttMax":1.5}',
    ]) assert.equal(check(text, r), 'scanned');
  });

  it('reads many lines a call, as many as its arrays hold, and leaves a last line without its newline', () => {
    const r = new Reader(recordScanner(), 3);
    const texts = [line('h1', 'v1'), '{"bad"}\n', line('h2', 'v1'), '\n', line('h1', 'v2'), line('h3', 'v3').slice(0, -1)];
    const buf = Buffer.from(texts.join(''));
    const bounds = (i: number) => [r.ints[INTS * i], r.ints[INTS * i + 1]];
    const ends: number[] = [];
    for (let at = 0, i = 0; i < texts.length; i++) ends.push((at += texts[i]!.length) - 1);
    assert.equal(r.scan(buf, 0, buf.length), 3, 'three lines: the arrays hold three');
    assert.deepEqual([0, 1, 2].map(bounds), [[0, ends[0]], [ends[0]! + 1, ends[1]], [ends[1]! + 1, ends[2]]]);
    assert.deepEqual([0, 1, 2].map((i) => r.taken(i)), [true, false, true]);
    assert.deepEqual(r.object(2), JSON.parse(texts[2]!));
    assert.equal(r.scan(buf, ends[2]! + 1, buf.length), 2, 'the blank line and the fifth; the sixth has no newline');
    assert.deepEqual([r.taken(0), r.taken(1)], [false, true]);
    assert.deepEqual(bounds(0), [ends[2]! + 1, ends[3]]);
    assert.deepEqual(r.object(1), JSON.parse(texts[4]!));
    assert.equal(r.scan(buf, ends[4]! + 1, buf.length), 0);
    // every cut of a line at the very end of its buffer (nothing past it to read): no line
    const whole = '{"ts":"2026-11-23T14:05:00Z","host":"h","vip":"v","method":"icmp","sent":20,"recv":2,"rttMin":1,"rttAvg":1.5,"rttMax":2}';
    for (let cut = 0; cut <= whole.length; cut++) assert.equal(r.scan(Buffer.from(whole.slice(0, cut)), 0, cut), 0, `cut at ${cut}`);
    assert.throws(() => r.scanner.scan(buf, 5, 4, r.ints, r.nums), /bad arguments/);
    assert.throws(() => r.scanner.scan(buf, 0, buf.length + 1, r.ints, r.nums), /bad arguments/);
  });

  it('a string keeps its id across lines and calls; no name passes for its prefix or a longer one', () => {
    const r = new Reader();
    const ids = (host: string, vip: string) => {
      const b = Buffer.from(line(host, vip));
      assert.equal(r.scan(b, 0, b.length), 1);
      assert.ok(r.taken(0));
      assert.deepEqual([r.names[r.id(0, 1)], r.names[r.id(0, 2)]], [host, vip]);
      return [r.id(0, 1), r.id(0, 2)];
    };
    const first = ids('h', '198.19.0.1');
    for (const [a, b] of [['198.19.0.1', '198.19.0.1x'], ['198.19.0.10', '198.19.0.1'], ['198.19.0.1', '198.19.0.2']] as const) {
      const [, ia] = ids('h', a);
      const [, ib] = ids('h', b);
      assert.notEqual(ia, ib, `${a} and ${b}`);
      assert.deepEqual(ids('h', a), [first[0], ia]);
    }
    assert.deepEqual(ids('h', '198.19.0.1'), first, 'the same string, the same id');
    assert.equal(new Set(r.names).size, r.names.length, 'each string interned once');
  });

  it('100,000 distinct names (the table grows) all read back right, then keep their ids', () => {
    const r = new Reader(recordScanner(), 4096);
    const hosts = Array.from({ length: 100_000 }, (_, i) => `host-${i}`);
    const buf = Buffer.from(hosts.map((h, i) => line(h, `198.18.${i >> 8 & 255}.${i & 255}`)).join(''));
    const firstIds: number[] = [];
    for (const round of [0, 1]) {
      let pos = 0;
      let k = 0;
      while (pos < buf.length) {
        const n = r.scan(buf, pos, buf.length);
        assert.ok(n > 0);
        for (let i = 0; i < n; i++, k++) {
          assert.ok(r.taken(i), `line ${k}`);
          assert.equal(r.names[r.id(i, 1)], hosts[k], `round ${round}, line ${k}`);
          if (round === 0) firstIds.push(r.id(i, 1));
          else assert.equal(r.id(i, 1), firstIds[k], `line ${k} keeps its id`);
        }
        pos = r.ints[INTS * (n - 1) + 1]! + 1;
      }
      assert.equal(k, hosts.length);
    }
  });

  it('strings longer than 255 bytes, long number texts and new names past maxNames are left to JSON.parse', () => {
    const r = new Reader();
    for (const [host, taken] of [['h'.repeat(253), true], ['h'.repeat(255), true], ['h'.repeat(256), false]] as const) {
      assert.equal(check(line(host, 'v').slice(0, -1), r), taken ? 'scanned' : 'fallback', `host of ${host.length} bytes`);
    }
    assert.equal(check(`{"ts":"2026-11-23T14:05:00Z","host":"h","vip":"v","sent":20,"recv":1,"rttMin":1,"rttAvg":1.${'0'.repeat(62)}1,"rttMax":2}`, r), 'fallback', 'a 65-byte number');
    assert.equal(check(`{"ts":"2026-11-23T14:05:00Z","host":"h","vip":"v","sent":20,"recv":1,"rttMin":1,"rttAvg":1.${'0'.repeat(61)}1,"rttMax":2}`, r), 'scanned', 'a 64-byte number (strtod)');
    const small = new Reader(recordScanner(3));
    assert.equal(check(line('h1', 'v1').slice(0, -1), small), 'scanned', 'three strings: ts, h1, v1');
    assert.equal(check(line('h1', 'v2').slice(0, -1), small), 'fallback', 'a fourth string');
    assert.equal(check(line('h1', 'v1').slice(0, -1), small), 'scanned', 'the known strings still are');
    assert.deepEqual(small.names, ['2026-11-23T14:05:00Z', 'h1', 'v1']);
    assert.throws(() => recordScanner(0), /maxNames/);
  });
});
