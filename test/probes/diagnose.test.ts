// The path diagnosis (pure) on hand-made traceroutes, the capture plan, and hop names from a prefix file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../analyzer/pathcapture/diagnose.js';
import { parsePrefixFile } from '../../analyzer/pathcapture/names.js';
import { planCapture } from '../../analyzer/pathcapture/plan.js';
import { buildCatalog } from '../../core/catalog.js';
import type { PathTrace } from '../../core/diagnosis.js';
import { demoInventory } from '../../core/demo.js';
import { ValidationError } from '../../core/errors.js';
import type { FaultEpisode } from '../../core/model.js';

const VIP = '198.19.0.1';
/** a trace through the given hops (null = silent), each hop answering `ms` */
const trace = (side: 'inside' | 'outside', isp: string, host: string, hops: Array<[string | null, number]>, reached: boolean): PathTrace => ({
  side, isp, province: 'guangdong', host, target: VIP, reached,
  hops: hops.map(([ip, ms], i) => ({ ttl: i + 1, ip, rtt: ip ? [ms, ms + 0.2, ms + 0.1] : [], lost: ip ? 0 : 3 })),
});
const input = (paths: PathTrace[]) => ({ paths, jobs: ['j1'], at: '2026-11-30T10:00:00.000Z', tracesAt: '2026-11-30T09:59:58.000Z' });

test('stop: the inside paths agree on the last answering hop; outside paths reach the VIP', () => {
  const paths = [
    trace('inside', 'ct', 'a', [['198.18.1.2', 1], ['198.18.1.6', 2], [null, 0], [null, 0]], false),
    trace('inside', 'ct', 'b', [['198.18.2.2', 1], ['198.18.1.6', 2], [null, 0], [null, 0]], false),
    trace('inside', 'cu', 'c', [['198.18.3.2', 1], ['198.18.1.6', 3], [null, 0]], false),
    trace('outside', 'cm', 'd', [['198.18.4.2', 1], ['198.18.9.6', 2], [VIP, 4]], true),
    trace('outside', 'cm', 'e', [['198.18.5.2', 1], ['198.18.9.6', 2], [VIP, 6]], true),
  ];
  const d = diagnose(input(paths), parsePrefixFile('"198.18.1.4/30": CT backbone Guangzhou\n"198.18.0.0/16": lab\n', 'names.yaml'));
  assert.equal(d.kind, 'stop');
  assert.deepEqual(d.hop, { ip: '198.18.1.6', ttl: 2, name: 'CT backbone Guangzhou' });
  assert.equal(d.text, 'paths from ct, cu stop after CT backbone Guangzhou 198.18.1.6 (hop 2); paths from cm reach the VIP (4.0 ms)');
  assert.equal(d.paths.length, 5);
  assert.deepEqual(d.jobs, ['j1']);
});

test('stop without agreement names no hop; outside paths failing too is said', () => {
  const paths = [
    trace('inside', 'ct', 'a', [['198.18.1.2', 1], [null, 0]], false),
    trace('inside', 'ct', 'b', [['198.18.2.2', 1], [null, 0]], false),
    trace('inside', 'ct', 'c', [['198.18.3.2', 1], [null, 0]], false),
    trace('outside', 'cm', 'd', [['198.18.4.2', 1], [null, 0]], false),
  ];
  const d = diagnose(input(paths));
  assert.equal(d.kind, 'none');
  assert.equal(d.hop, null);
  assert.match(d.text, /^paths from ct stop, but not after one common hop \(198\.18\.1\.2, 198\.18\.2\.2, 198\.18\.3\.2\); paths from cm do not reach it either$/);
});

test('slow: the hop after which the inside RTTs jump by the same step', () => {
  const paths = [
    trace('inside', 'ct', 'a', [['198.18.1.2', 0.5], ['198.18.1.6', 1], ['198.18.1.10', 51], [VIP, 52]], true),
    trace('inside', 'ct', 'b', [['198.18.2.2', 0.4], ['198.18.1.6', 1.2], ['198.18.1.10', 52], [VIP, 53]], true),
    trace('outside', 'cm', 'c', [['198.18.4.2', 0.5], ['198.18.9.6', 1], [VIP, 2]], true),
  ];
  const d = diagnose(input(paths));
  assert.equal(d.kind, 'slow');
  assert.deepEqual(d.hop, { ip: '198.18.1.6', ttl: 2 });
  assert.equal(d.text, 'paths from ct turn slow after 198.18.1.6 (hop 2): +50 ms; paths from cm reach the VIP (2.0 ms)');
  // small steps are not "slow"
  const flat = diagnose(input([trace('inside', 'ct', 'a', [['198.18.1.2', 1], ['198.18.1.6', 5], [VIP, 9]], true)]));
  assert.equal(flat.kind, 'none');
});

test('prefix file: longest prefix wins; bad entries named with the file', () => {
  const name = parsePrefixFile('"198.18.0.0/15": bench\n"198.18.1.0/24": lab row 1\n', 'n.yaml');
  assert.equal(name('198.18.1.9'), 'lab row 1');
  assert.equal(name('198.19.5.5'), 'bench');
  assert.equal(name('203.0.113.1'), undefined);
  assert.throws(() => parsePrefixFile('"198.18.0.0/99": x\n"nope": y\n', 'n.yaml'), (e: unknown) => e instanceof ValidationError && e.problems.length === 2 && e.problems[0]!.file === 'n.yaml');
});

test('capture plan: inside hosts from the fault isps and provinces, outside from other isps, spread over DCs', () => {
  const inv = demoInventory({ dcsPerGroup: 2, hostsPerDc: 2, vipDcs: 2, vipsPerDc: 5 });
  const c = buildCatalog(inv);
  const vips = inv.vips.filter((v) => v.dc === inv.vips[0]!.dc).map((v) => v.ip);
  const e: FaultEpisode = {
    id: `dc:${inv.vips[0]!.dc}`, type: 'dc', key: inv.vips[0]!.dc, start: '2026-11-30T10:00:00Z', detectedAt: '2026-11-30T10:03:00Z', end: null,
    isps: ['ct', 'cu'], provinces: ['beijing', 'hebei', 'shanxi'], dcs: [inv.vips[0]!.dc], vips, businesses: [], parent: null, suppressed: false,
  };
  const p = planCapture(e, c, { vips: 3, inside: 6, outside: 3 })!;
  assert.deepEqual(p.vips, [...vips].sort().slice(0, 3));
  const dcOf = (h: string) => c.dcs.get(c.hosts.get(h)!.dc)!;
  assert.equal(p.inside.length, 6);
  assert.equal(new Set(p.inside.map((h) => dcOf(h).id)).size, 6, 'six different DCs');
  for (const h of p.inside) assert.ok(['ct', 'cu'].includes(dcOf(h).isp) && e.provinces.includes(dcOf(h).province));
  assert.equal(p.outside.length, 3);
  for (const h of p.outside) assert.equal(dcOf(h).isp, 'cm');
  assert.equal(planCapture({ ...e, vips: [] }, c, { vips: 3, inside: 6, outside: 3 }), null, 'no VIPs, nothing to trace');
});
