// Every fault rule and its boundaries, as scenarios replayed through the real replay path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, range, run, Scenario } from './scenario.js';

const ids = (r: { episodes: Array<{ id: string }> }) => r.episodes.map((e) => e.id).sort();

test('a healthy fleet has no faults', async () => {
  const r = await run(new Scenario(15));
  assert.deepEqual(r.episodes, []);
});

test('VIP fault: start, detectedAt, end, scope; it ends after 5 clean minutes', async () => {
  const s = new Scenario(25);
  const v = s.inventory.vips[0]!;
  s.loss({ vips: [v.ip], isps: ['ct'] }, range(3, 12));
  const r = await run(s);
  assert.deepEqual(r.episodes, [{
    id: `vip:${v.ip}`, type: 'vip', key: v.ip, start: at(3), detectedAt: at(5), end: at(13),
    isps: ['ct'], provinces: [...s.groups.keys()].filter((g) => g.endsWith('/ct')).map((g) => g.split('/')[0]!).sort(),
    dcs: ['idc-a'], vips: [v.ip], businesses: ['search'], parent: null, suppressed: false, signal: 'loss',
  }]);
  assert.deepEqual(r.transitions.map((t) => [t.kind, new Date(t.minute).toISOString().replace('.000Z', 'Z')]), [['open', at(5)], ['close', at(17)]]);
});

test('VIP fault boundary: lossy in exactly 50% of the provinces is not a fault, in 6 of 10 it is', async () => {
  const s = new Scenario(12);
  const provinces = [...new Set([...s.groups.values()].map((g) => g[0]!.province))];
  const v = s.inventory.vips[0]!.ip;
  s.loss({ vips: [v], isps: ['cu'], provinces: provinces.slice(0, 5) }, range(0, 11));
  assert.deepEqual((await run(s)).episodes, []);
  const s6 = new Scenario(12);
  s6.loss({ vips: [v], isps: ['cu'], provinces: provinces.slice(0, 6) }, range(0, 11));
  const r = await run(s6);
  assert.deepEqual(ids(r), [`vip:${v}`]);
  assert.deepEqual(r.episodes[0]!.provinces, provinces.slice(0, 6).sort());
  assert.deepEqual(r.episodes[0]!.isps, ['cu']);
});

test('spikes never count: isolated or paired bad minutes open nothing', async () => {
  const v = '198.19.0.1';
  const s = new Scenario(20).loss({ vips: [v] }, [2, 5, 8, 11, 14]);
  assert.deepEqual((await run(s)).episodes, []);
  const s2 = new Scenario(20).loss({ vips: [v] }, [4, 5]).loss({ vips: [v] }, [12, 13]);
  assert.deepEqual((await run(s2)).episodes, []);
});

test('smoothing: 3 bad minutes out of 5, not consecutive, make a fault', async () => {
  const v = '198.19.0.1';
  const r = await run(new Scenario(20).loss({ vips: [v] }, [4, 6, 8]));
  assert.equal(r.episodes.length, 1);
  const e = r.episodes[0]!;
  assert.deepEqual([e.start, e.detectedAt, e.end, e.isps], [at(4), at(8), at(9), ['cm', 'ct', 'cu']]);
});

test('flapping inside the recovery time stays one episode; 5 clean minutes end it', async () => {
  const v = '198.19.0.2';
  const flap = await run(new Scenario(30).loss({ vips: [v] }, [...range(3, 8), ...range(13, 15)]));
  assert.deepEqual(flap.episodes.map((e) => [e.start, e.detectedAt, e.end]), [[at(3), at(5), at(16)]]);
  assert.deepEqual(flap.transitions.map((t) => t.kind), ['open', 'close']);

  const two = await run(new Scenario(30).loss({ vips: [v] }, [...range(3, 8), ...range(14, 19)]));
  assert.deepEqual(two.episodes.map((e) => [e.start, e.detectedAt, e.end]), [[at(3), at(5), at(9)], [at(14), at(16), at(20)]]);
});

test('an episode still open at the end of the file has end null', async () => {
  const r = await run(new Scenario(10).loss({ vips: ['198.19.0.3'] }, range(4, 9)));
  assert.deepEqual(r.episodes.map((e) => [e.start, e.detectedAt, e.end]), [[at(4), at(6), null]]);
});

test('DC fault: 2 isps each see 1/3 of the DC\'s VIPs faulted; its VIP faults are its children', async () => {
  const s = new Scenario(15);
  const [a, b] = s.vipsOf('idc-a');
  s.loss({ vips: [a!, b!], isps: ['ct', 'cu'] }, range(2, 14));
  const r = await run(s);
  assert.deepEqual(ids(r), [`dc:idc-a`, `vip:${a}`, `vip:${b}`].sort());
  const dc = r.episodes.find((e) => e.type === 'dc')!;
  assert.deepEqual([dc.start, dc.detectedAt, dc.end, dc.parent], [at(2), at(4), null, null]);
  assert.deepEqual([dc.isps, dc.dcs, dc.vips, dc.businesses], [['ct', 'cu'], ['idc-a'], [a, b].sort(), ['search', 'video']]);
  assert.equal(dc.provinces.length, 10);
  for (const e of r.episodes.filter((x) => x.type === 'vip')) {
    assert.equal(e.parent, 'dc:idc-a');
    assert.deepEqual(e.isps, ['ct', 'cu']);
  }
});

test('DC fault boundaries: under 1/3 of the VIPs, or one isp only, is no DC fault', async () => {
  const s = new Scenario(12);
  const [a, b, c] = s.vipsOf('idc-a');
  s.loss({ vips: [a!], isps: ['ct', 'cu'] }, range(0, 11));
  const one = await run(s);
  assert.deepEqual(ids(one), [`vip:${a}`]);
  assert.equal(one.episodes[0]!.parent, null);

  const s2 = new Scenario(12);
  s2.loss({ vips: [a!, b!, c!], isps: ['cm'] }, range(0, 11));
  const r = await run(s2);
  assert.deepEqual(ids(r), [a, b, c].map((v) => `vip:${v}`).sort());
  assert.ok(r.episodes.every((e) => e.parent === null));
});

test('ISP fault: at least 1/3 of the isp\'s provinces bad (exactly 1/3 counts); fewer give region faults', async () => {
  const provinces = (s: Scenario) => [...new Set([...s.groups.values()].map((g) => g[0]!.province))];
  const s = new Scenario(12, { provinces: 9 });
  s.loss({ isps: ['cm'], provinces: provinces(s).slice(0, 3) }, range(1, 11));
  const r = await run(s);
  assert.deepEqual(ids(r), ['isp:cm']);
  const e = r.episodes[0]!;
  assert.deepEqual([e.start, e.detectedAt, e.provinces, e.isps, e.vips], [at(1), at(3), provinces(s).slice(0, 3).sort(), ['cm'], []]);

  const s2 = new Scenario(12, { provinces: 9 });
  s2.loss({ isps: ['cm'], provinces: provinces(s2).slice(0, 2) }, range(1, 11));
  const r2 = await run(s2);
  assert.deepEqual(ids(r2), provinces(s2).slice(0, 2).map((p) => `region:${p}/cm`).sort());
  const region = r2.episodes[0]!;
  assert.deepEqual([region.isps, region.vips, region.businesses, region.dcs.length, region.parent], [['cm'], [], [], 2, null]);
});

test('ISP fault by VIPs: 1/3 of the VIPs over 2 DCs under VIP faults for the isp, no DC fault explaining them', async () => {
  const s = new Scenario(12);
  const [a1, a2] = s.vipsOf('idc-a');
  const [b1, b2, b3] = s.vipsOf('idc-b');
  s.loss({ vips: [a1!, a2!, b1!, b2!], isps: ['cu'] }, range(0, 11));
  const r = await run(s);
  assert.deepEqual(ids(r), ['isp:cu', ...[a1, a2, b1, b2].map((v) => `vip:${v}`)].sort());
  const isp = r.episodes.find((e) => e.type === 'isp')!;
  assert.deepEqual([isp.vips, isp.dcs, isp.provinces.length], [[a1, a2, b1, b2].sort(), ['idc-a', 'idc-b'], 10]);
  assert.ok(r.episodes.filter((e) => e.type === 'vip').every((e) => e.parent === 'isp:cu'));

  // 3 of 12 VIPs: under 1/3
  const s3 = new Scenario(12).loss({ vips: [a1!, b1!, b3!], isps: ['cu'] }, range(0, 11));
  assert.deepEqual(ids(await run(s3)), [a1, b1, b3].map((v) => `vip:${v}`).sort());
  // 4 VIPs, all in one DC: not spread over 2 DCs (and one isp only: no DC fault either)
  const [, , a3, a4] = s.vipsOf('idc-a');
  const one = await run(new Scenario(12).loss({ vips: [a1!, a2!, a3!, a4!], isps: ['cu'] }, range(0, 11)));
  assert.deepEqual(ids(one), [a1, a2, a3, a4].map((v) => `vip:${v}`).sort());
});

test('agent fault: a host lossy to all its VIPs while its group is fine; its records do not make its province bad', async () => {
  const s = new Scenario(12);
  const host = s.groups.get('beijing/ct')![0]!;
  s.loss({ hosts: [host.id] }, range(1, 11));
  const r = await run(s);
  // Without leaving its records out, beijing/ct would be lossy to half of its VIPs: a region fault.
  assert.deepEqual(ids(r), [`agent:${host.id}`]);
  const e = r.episodes[0]!;
  assert.deepEqual([e.start, e.detectedAt, e.isps, e.provinces, e.dcs, e.vips, e.parent], [at(1), at(3), ['ct'], ['beijing'], [host.dc], [], null]);
});

test('agent fault boundaries: 80% of its VIPs is enough; another host lossy to 20% or more of its VIPs prevents it', async () => {
  const s = new Scenario(12);
  const [h1, h2] = s.groups.get('beijing/ct')!;
  const probedBy1 = s.inventory.vips.filter((_, i) => i % 2 === 0).map((v) => v.ip);
  const probedBy2 = s.inventory.vips.filter((_, i) => i % 2 === 1).map((v) => v.ip);
  // 5 of 6 VIPs (83%) lossy; the other host lossy to 1 of 6 (17%)
  s.loss({ hosts: [h1!.id], vips: probedBy1.slice(0, 5) }, range(1, 11)).loss({ hosts: [h2!.id], vips: probedBy2.slice(0, 1) }, range(1, 11));
  assert.deepEqual(ids(await run(s)), [`agent:${h1!.id}`]);

  // the other host lossy to 2 of 6 (33%): the group as a whole is lossy to 7 of 12 VIPs, a region fault
  const s2 = new Scenario(12);
  s2.loss({ hosts: [h1!.id], vips: probedBy1 }, range(1, 11)).loss({ hosts: [h2!.id], vips: probedBy2.slice(0, 2) }, range(1, 11));
  assert.deepEqual(ids(await run(s2)), ['region:beijing/ct']);

  // 4 of 6 (67%): not an agent fault, and 4 of 12 lossy VIPs do not make the province bad
  const s3 = new Scenario(12).loss({ hosts: [h1!.id], vips: probedBy1.slice(0, 4) }, range(1, 11));
  assert.deepEqual((await run(s3)).episodes, []);
});

test('an agent fault needs another reporting host in its group', async () => {
  const s = new Scenario(12);
  const [h1, h2] = s.groups.get('beijing/ct')!;
  s.loss({ hosts: [h1!.id] }, range(1, 11)).silent({ hosts: [h2!.id] }, range(0, 11));
  // h1 alone: no agent fault; beijing/ct then probes only h1's 6 VIPs, all lossy: a region fault
  assert.deepEqual(ids(await run(s)), ['region:beijing/ct']);
});
