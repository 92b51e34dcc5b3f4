// Combined faults (correlation) and whitelist suppression, as scenarios replayed through the real replay path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, range, run, Scenario } from './scenario.js';

const provincesOf = (s: Scenario) => [...new Set([...s.groups.values()].map((g) => g[0]!.province))];

test('ISP fault with child VIP faults and a region fault that opened before it', async () => {
  const s = new Scenario(16);
  const ps = provincesOf(s);
  s.loss({ isps: ['ct'], provinces: [ps[0]!] }, range(2, 15));
  s.loss({ isps: ['ct'], provinces: ps.slice(0, 6) }, range(8, 15));
  const r = await run(s);
  const region = r.episodes.find((e) => e.type === 'region')!;
  assert.deepEqual([region.id, region.start, region.detectedAt, region.parent], [`region:${ps[0]}/ct`, at(2), at(4), 'isp:ct']);
  const isp = r.episodes.find((e) => e.type === 'isp')!;
  assert.deepEqual([isp.start, isp.detectedAt, isp.parent, isp.provinces], [at(8), at(10), null, ps.slice(0, 6).sort()]);
  assert.deepEqual([isp.vips.length, isp.businesses, isp.dcs], [12, ['search', 'video'], ['idc-a', 'idc-b']]);
  const vips = r.episodes.filter((e) => e.type === 'vip');
  assert.equal(vips.length, 12);
  assert.ok(vips.every((e) => e.parent === 'isp:ct' && e.detectedAt === at(10)));
  // The other bad provinces opened no region faults: the ISP fault explains them.
  assert.equal(r.episodes.filter((e) => e.type === 'region').length, 1);
  assert.equal(r.episodes.filter((e) => e.type === 'dc').length, 0);
  // The region fault got its parent by an update in the minute the ISP fault opened.
  const upd = r.transitions.find((t) => t.kind === 'update' && t.episode.id === region.id)!;
  assert.equal(upd.minute, Date.parse(at(10)));
});

test('DC fault seen by every isp: children keep the DC as parent; no ISP or region fault for the same cause', async () => {
  // idc-b holds half of the VIPs: without leaving its VIPs out, every province would be "bad" (ISP faults).
  const s = new Scenario(12);
  const vips = s.vipsOf('idc-b');
  s.loss({ vipDcs: ['idc-b'] }, range(1, 11));
  const r = await run(s);
  assert.deepEqual(r.episodes.map((e) => e.id).sort(), ['dc:idc-b', ...vips.map((v) => `vip:${v}`)].sort());
  const dc = r.episodes.find((e) => e.type === 'dc')!;
  assert.deepEqual([dc.isps, dc.vips, dc.parent], [['cm', 'ct', 'cu'], [...vips].sort(), null]);
  assert.ok(r.episodes.filter((e) => e.type === 'vip').every((e) => e.parent === 'dc:idc-b'));
});

test('whitelist: by VIP, by business, by DC (DC fault and children); partial cover does not suppress', async () => {
  const s = new Scenario(12);
  const [a1, a2] = s.vipsOf('idc-a');
  const b1 = s.vipsOf('idc-b')[0]!;
  s.loss({ vips: [a1!, a2!], isps: ['ct', 'cu'] }, range(1, 11)).loss({ vips: [b1] }, range(1, 11));
  const by = async (entries: Parameters<typeof run>[1] extends infer O ? O extends { whitelist?: infer W } ? W : never : never) =>
    Object.fromEntries((await run(s, { whitelist: entries })).episodes.map((e) => [e.id, e.suppressed]));

  assert.deepEqual(await by([]), { 'dc:idc-a': false, [`vip:${a1}`]: false, [`vip:${a2}`]: false, [`vip:${b1}`]: false });
  assert.deepEqual(await by([{ vip: b1 }]), { 'dc:idc-a': false, [`vip:${a1}`]: false, [`vip:${a2}`]: false, [`vip:${b1}`]: true });
  assert.deepEqual(await by([{ dc: 'idc-a', reason: 'maintenance' }]), { 'dc:idc-a': true, [`vip:${a1}`]: true, [`vip:${a2}`]: true, [`vip:${b1}`]: false });
  // a1 and b1 are "search" (a2 is "video"): the DC fault lists both businesses, so it is not covered
  assert.deepEqual(await by([{ business: 'search' }]), { 'dc:idc-a': false, [`vip:${a1}`]: true, [`vip:${a2}`]: false, [`vip:${b1}`]: true });
});

test('whitelist expiry: suppressed until `until`, then an update un-suppresses the open episode', async () => {
  const s = new Scenario(14);
  const v = s.inventory.vips[3]!.ip;
  s.loss({ vips: [v] }, range(1, 13));
  const r = await run(s, { whitelist: [{ vip: v, until: at(7), reason: 'planned work' }] });
  assert.deepEqual(r.transitions.map((t) => [t.kind, new Date(t.minute).toISOString().replace('.000Z', 'Z'), t.episode.suppressed]),
    [['open', at(3), true], ['update', at(7), false]]);
  assert.equal(r.episodes[0]!.suppressed, false);
  // an entry that expired before the fault suppresses nothing
  const old = await run(s, { whitelist: [{ vip: v, until: at(0) }] });
  assert.deepEqual(old.transitions.map((t) => [t.kind, t.episode.suppressed]), [['open', false]]);
});

test('agent fault alongside a VIP fault: both roots; the agent\'s records make no region fault', async () => {
  const s = new Scenario(14);
  const v = s.inventory.vips[0]!.ip;
  s.loss({ vips: [v], isps: ['ct'] }, range(1, 13));
  // The second beijing/ct host probes the 6 odd VIPs: counted, beijing/ct would be lossy to 7 of 12 VIPs (bad).
  const host = s.groups.get('beijing/ct')![1]!;
  s.loss({ hosts: [host.id] }, range(1, 13));
  const r = await run(s);
  assert.deepEqual(r.episodes.map((e) => [e.id, e.parent]), [[`agent:${host.id}`, null], [`vip:${v}`, null]]);
  assert.equal(r.episodes[1]!.provinces.length, 10);
});
