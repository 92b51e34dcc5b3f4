// The cached `probe` line renderer against @influxdata/influxdb-client's Point, on generated records with every
// character line protocol must escape.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Point } from '@influxdata/influxdb-client';
import fc from 'fast-check';
import { lossPct } from '../../core/model.js';
import { ProbeLineRenderer, asIs } from '../../core/store/influx/lines.js';
import { HTTP_FIELDS } from '../../core/store/series-common.js';
import type { StoredRecord } from '../../core/store/series.js';

/** The line Point renders for a record: the reference. */
function pointLine(r: StoredRecord): string {
  const p = new Point('probe')
    .tag('host', r.host).tag('dc', r.dc).tag('province', r.province).tag('isp', r.isp)
    .tag('vip', r.vip).tag('vip_dc', r.vipDc).tag('business', r.business).tag('method', r.method)
    .intField('sent', r.sent).intField('recv', r.recv).floatField('loss', lossPct(r))
    .timestamp(Math.floor(Date.parse(r.ts) / 1000));
  if (r.rttAvg !== undefined) p.floatField('rtt_min', r.rttMin).floatField('rtt_avg', r.rttAvg).floatField('rtt_max', r.rttMax);
  for (const [k, name, type] of HTTP_FIELDS) {
    const v = r[k];
    if (v !== undefined) (type === 'int' ? p.intField(name, v) : p.floatField(name, v));
  }
  return p.toLineProtocol({ convertTime: asIs })!;
}

// Tag text with the characters line protocol escapes (space, comma, equals, newline, tab) and some that it does not.
const text = fc.string({ unit: fc.constantFrom('a', 'b', '1', '.', ' ', ',', '=', '\n', '\t', '"', '-', '中'), minLength: 1, maxLength: 8 });
const record = fc.record({
  minute: fc.integer({ min: 0, max: 100_000 }), host: text, vip: text, method: fc.constantFrom('icmp', 'tcp', 'http'),
  dc: text, province: text, isp: text, vipDc: text, business: text,
  sent: fc.integer({ min: 1, max: 100_000 }), recvShare: fc.double({ min: 0, max: 1, noNaN: true }),
  rtt: fc.tuple(fc.double({ min: 0, max: 600_000, noNaN: true }), fc.double({ min: 0, max: 600_000, noNaN: true }), fc.double({ min: 0, max: 600_000, noNaN: true })),
  // an http record's optional fields (only http records carry them)
  http: fc.option(fc.record({
    httpStatus: fc.integer({ min: 100, max: 999 }), httpDnsMs: fc.double({ min: 0, max: 1000, noNaN: true }), httpTotalMs: fc.double({ min: 0, max: 600_000, noNaN: true }),
    httpBodyMismatch: fc.integer({ min: 1, max: 100 }), certDaysLeft: fc.double({ min: -1000, max: 1000, noNaN: true }),
  }, { requiredKeys: ['httpStatus'] })),
}).map(({ minute, recvShare, rtt, http, ...r }): StoredRecord => {
  const recv = Math.floor(r.sent * recvShare);
  const [a, b, c] = [...rtt].sort((x, y) => x - y) as [number, number, number];
  return {
    ...r, ts: new Date(Date.UTC(2026, 10, 1) + minute * 60_000).toISOString(), recv,
    ...(recv > 0 ? { rttMin: a, rttAvg: b, rttMax: c } : {}),
    ...(r.method === 'http' && http ? http : {}),
  };
});

describe('probe line renderer', () => {
  it('renders exactly what Point renders, first time and from its cache', () => {
    const renderer = new ProbeLineRenderer();
    fc.assert(fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), (records) => {
      const want = records.map(pointLine);
      assert.deepEqual(renderer.render(records), want);
      assert.deepEqual(renderer.render(records), want, 'cached');
    }), { numRuns: 500, seed: 7 });
  });

  it('writes request bodies that are the rendered lines joined, UTF-8, in equal parts of at most maxLines', () => {
    const renderer = new ProbeLineRenderer();
    fc.assert(fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 50 }), (records, maxLines) => {
      const lines = records.map(pointLine);
      const bodies = renderer.bodies(records, maxLines).map((b) => b.toString('utf8'));
      assert.deepEqual(bodies.join('\n'), lines.join('\n'));
      const sizes = bodies.map((b) => b.split('\n').length);
      assert.equal(sizes.reduce((x, y) => x + y, 0), records.length);
      assert.ok(Math.max(...sizes) <= maxLines, `parts ${sizes.join(' ')} within ${maxLines}`);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `parts ${sizes.join(' ')} of equal size`);
    }), { numRuns: 300, seed: 11 });
  });

  it('grows a body past its first guess of the size (long tags)', () => {
    const long = 'x'.repeat(2000);
    const r: StoredRecord = { ts: '2026-11-23T14:05:00Z', host: long, vip: 'v', method: 'icmp', sent: 20, recv: 0, dc: long, province: '广东', isp: 'ct', vipDc: 'x', business: 'search' };
    const [body, ...rest] = new ProbeLineRenderer().bodies([r, { ...r, vip: 'w' }], 10);
    assert.equal(rest.length, 0);
    assert.equal(body!.toString('utf8'), [r, { ...r, vip: 'w' }].map(pointLine).join('\n'));
  });

  it('follows inventory changes of a cached series and stays within its bound', () => {
    const renderer = new ProbeLineRenderer(2);
    const r: StoredRecord = { ts: '2026-11-23T14:05:00Z', host: 'h', vip: 'v', method: 'icmp', sent: 20, recv: 0, dc: 'd', province: 'p', isp: 'ct', vipDc: 'x', business: 'search' };
    assert.deepEqual(renderer.render([r]), [pointLine(r)]);
    const moved = { ...r, business: 'video', vipDc: 'y' };
    assert.deepEqual(renderer.render([moved]), [pointLine(moved)]);
    const many = ['a', 'b', 'c', 'd'].map((host) => ({ ...r, host, method: 'tcp' as const }));
    assert.deepEqual(renderer.render([...many, r, moved]), [...many, r, moved].map(pointLine));
  });
});
