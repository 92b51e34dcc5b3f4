// Latency faults (contract "Latency faults"): every rule, its boundaries, the decoys that must stay silent, and the
// correlation with loss faults. Expected episodes are worked out from the contract by hand, in the comments:
// with the defaults a cell's baseline needs 30 minutes that have left the 5-minute smoothing window, so in a
// scenario that starts at minute 0 a cell can be slow from minute 34 on (minutes 0..29 are in the baseline then).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultEpisode } from '../../core/model.js';
import { PROVINCES } from '../../core/geo.js';
import { at, range, run, runCli, Scenario, WithHttp } from './scenario.js';

const ps = PROVINCES.slice(0, 10).map((p) => p.id);
const lat = (es: FaultEpisode[]) => es.filter((e) => e.signal === 'latency');
const ids = (es: FaultEpisode[]) => es.map((e) => e.id).sort();

test('VIP latency fault: slow from ct in 6 of 10 provinces; shape, id, start, detectedAt, end', async () => {
  const s = new Scenario(60);
  const v = s.inventory.vips[0]!;
  // 32 ms -> 72 ms: above max(32 x 1.5, 32 + 20) = 52
  s.delay({ vips: [v.ip], isps: ['ct'], provinces: ps.slice(0, 6) }, range(40, 49), 40);
  const r = await run(s);
  assert.deepEqual(r.episodes, [{
    id: `vip:${v.ip}:latency`, type: 'vip', key: v.ip, start: at(40), detectedAt: at(42), end: at(50),
    isps: ['ct'], provinces: ps.slice(0, 6).sort(), dcs: ['idc-a'], vips: [v.ip], businesses: ['search'], parent: null, suppressed: false,
    signal: 'latency',
  }]);
  const open = r.transitions.find((t) => t.kind === 'open')!;
  assert.deepEqual(open.latency, [{ isp: 'ct', baselineMs: 32, currentMs: 72, slowProvinces: 6, provinces: 10 }]);
});

test('exactly 50% of the provinces slow is not a VIP fault', async () => {
  const s = new Scenario(60);
  s.delay({ vips: [s.inventory.vips[0]!.ip], isps: ['ct'], provinces: ps.slice(0, 5) }, range(40, 49), 40);
  assert.deepEqual((await run(s)).episodes, []);
});

test('exactly 1.5 x the baseline is not slow; above it is (baseline 100 ms, so the ratio decides)', async () => {
  const s = new Scenario(55, { rtt: () => 100 });
  const [a, b] = s.inventory.vips;
  s.delay({ vips: [a!.ip], isps: ['ct'] }, range(40, 49), 50); // 150 = 1.5 x 100 = threshold: not above
  s.delay({ vips: [b!.ip], isps: ['ct'] }, range(40, 49), 51); // 151 > max(150, 120)
  assert.deepEqual(ids((await run(s)).episodes), [`vip:${b!.ip}:latency`]);
});

test('exactly baseline + 20 ms is not slow; above it is (baseline 20 ms, so the delta decides)', async () => {
  const s = new Scenario(55, { rtt: () => 20 });
  const [a, b] = s.inventory.vips;
  s.delay({ vips: [a!.ip], isps: ['cu'] }, range(40, 49), 20); // 40 = max(30, 40): not above
  s.delay({ vips: [b!.ip], isps: ['cu'] }, range(40, 49), 21);
  assert.deepEqual(ids((await run(s)).episodes), [`vip:${b!.ip}:latency`]);
});

test('too little history: no cell is slow before baselineMinSamples minutes are in its baseline', async () => {
  const s = new Scenario(50);
  const v = s.inventory.vips[0]!.ip;
  s.delay({ vips: [v], isps: ['ct'] }, range(25, 40), 40);
  // minute 34 is the first with 30 samples (0..29; 25..29 delayed, the median is still 32): start 34, detected 36
  const def = await run(s);
  assert.deepEqual(def.episodes.map((e) => [e.id, e.start, e.detectedAt, e.end]), [[`vip:${v}:latency`, at(34), at(36), at(41)]]);
  // with 20 samples needed, minute 24 could already be slow: the fault starts with the delay, at 25
  const short = await run(s, { rules: { baselineMinSamples: 20 } });
  assert.deepEqual(short.episodes.map((e) => [e.start, e.detectedAt]), [[at(25), at(27)]]);
  // a file shorter than the baseline needs: nothing, and nothing said about it
  const brief = new Scenario(33).delay({ vips: [v], isps: ['ct'] }, range(5, 32), 80);
  assert.deepEqual((await run(brief)).episodes, []);
});

test('DC latency fault: ct and cu slow to every VIP of the DC; the VIP faults are its children', async () => {
  const s = new Scenario(55);
  const vips = s.vipsOf('idc-b');
  s.delay({ vipDcs: ['idc-b'], isps: ['ct', 'cu'] }, range(40, 49), 50);
  const r = await run(s);
  assert.deepEqual(ids(r.episodes), ['dc:idc-b:latency', ...vips.map((v) => `vip:${v}:latency`)].sort());
  const dc = r.episodes.find((e) => e.type === 'dc')!;
  assert.deepEqual([dc.isps, dc.vips, dc.parent, dc.start, dc.detectedAt, dc.end], [['ct', 'cu'], [...vips].sort(), null, at(40), at(42), at(50)]);
  for (const e of r.episodes.filter((e) => e.type === 'vip')) assert.equal(e.parent, 'dc:idc-b:latency');
  const open = r.transitions.find((t) => t.kind === 'open' && t.episode.type === 'dc')!;
  assert.deepEqual(open.latency, [
    { isp: 'ct', baselineMs: 32, currentMs: 82, slowProvinces: 10, provinces: 10 },
    { isp: 'cu', baselineMs: 32, currentMs: 82, slowProvinces: 10, provinces: 10 },
  ]);
});

test('a latency fault seen from one isp only is not a DC fault', async () => {
  // 2 of the DC's 6 VIPs (>= 1/3) from cm only; 2 of all 12 VIPs is too few for an ISP fault, and no province is slow-bad
  const s = new Scenario(55);
  const two = s.vipsOf('idc-b').slice(0, 2);
  s.delay({ vips: two, isps: ['cm'] }, range(40, 49), 50);
  const r = await run(s);
  assert.deepEqual(ids(r.episodes), two.map((v) => `vip:${v}:latency`).sort());
});

test('ISP latency fault: 4 of 10 ct provinces slow to every VIP (>= 1/3 slow-bad); no region faults beside it', async () => {
  const s = new Scenario(55);
  s.delay({ isps: ['ct'], provinces: ps.slice(0, 4) }, range(40, 49), 50);
  const r = await run(s);
  assert.deepEqual(ids(r.episodes), ['isp:ct:latency']);
  assert.deepEqual(r.episodes[0]!.provinces, ps.slice(0, 4).sort());
});

test('region latency fault: one province slow to every VIP, its isp otherwise fine', async () => {
  const s = new Scenario(55);
  s.delay({ isps: ['cm'], provinces: [ps[3]!] }, range(40, 49), 50);
  const r = await run(s);
  assert.deepEqual(r.episodes.map((e) => [e.id, e.type, e.isps, e.provinces, e.vips, e.parent]), [
    [`region:${ps[3]}/cm:latency`, 'region', ['cm'], [ps[3]], [], null],
  ]);
});

test('decoys stay silent: diurnal drift within the ratio, a one-minute spike, one slow host of three, a lossy cell', async () => {
  // drift: 40 ms +/- 18 over an hour-long cycle, never 1.5 x nor +20 ms above the older minutes' median
  const drift = new Scenario(130, { rtt: (_h, _v, t) => 40 + 18 * Math.sin((2 * Math.PI * t) / 60) });
  assert.deepEqual((await run(drift)).episodes, []);
  // a one-minute spike of +200 ms for all of ct
  const spike = new Scenario(60).delay({ isps: ['ct'] }, [45], 200);
  assert.deepEqual((await run(spike)).episodes, []);
  // one host of three per group is 100 ms slower to everything in 6 provinces: the median of the group ignores it
  const host = new Scenario(55, { hostsPerGroup: 3, redundancy: 3 });
  const slowHosts = ps.slice(0, 6).map((p) => `h-${p}-ct-1`);
  host.delay({ hosts: slowHosts }, range(38, 50), 100);
  assert.deepEqual((await run(host)).episodes, []);
  // a lossy cell (60% loss, the replies slow) is never slow: one loss fault, no latency fault
  const lossy = new Scenario(55);
  const v = lossy.inventory.vips[0]!.ip;
  lossy.loss({ vips: [v], isps: ['ct'], provinces: ps.slice(0, 6) }, range(40, 49), 60).delay({ vips: [v], isps: ['ct'], provinces: ps.slice(0, 6) }, range(40, 49), 100);
  assert.deepEqual(ids((await run(lossy)).episodes), [`vip:${v}`]);
});

test('a VIP probed by icmp and http: an outage whose few replies are icmp ones leaves the baseline alone', async () => {
  // 95% lost in minutes 1-4 from ct and cu: each icmp record gets 1 reply of 20 (32 ms), each http record none.
  // A host's latency is its http record's (68 ms) or nothing. Were it "the slowest method that got replies", minutes
  // 1-4 would read 32 ms, the baseline at minute 7 (minutes 0-2: 68, 32, 32) 32 ms, and every minute from 5 on
  // 68 > max(48, 52): a latency fault from ct and cu that never closes (slow minutes stay out of the baseline).
  const s = new WithHttp(26);
  const v = s.inventory.vips[0]!.ip;
  const short = { baselineMinutes: 10, baselineMinSamples: 3 };
  s.loss({ vips: [v], isps: ['ct', 'cu'] }, range(1, 4), 95);
  assert.deepEqual(ids((await run(s, { rules: short })).episodes), [`vip:${v}`]);
  // a real slowdown still shows through http: +40 ms on the path is 148 ms against the baseline of 68 (minutes 0, 5-9)
  s.delay({ vips: [v], isps: ['ct'] }, range(14, 19), 40); // (latency-live.test.ts runs this one through the live analyzer)
  const r = await run(s, { rules: short });
  assert.deepEqual(lat(r.episodes).map((e) => [e.id, e.start, e.detectedAt, e.end]), [[`vip:${v}:latency`, at(14), at(16), at(20)]]);
  const open = r.transitions.find((t) => t.kind === 'open' && t.episode.signal === 'latency')!;
  assert.deepEqual(open.latency, [{ isp: 'ct', baselineMs: 68, currentMs: 148, slowProvinces: 10, provinces: 10 }]);
});

test('loss and latency at once for one DC: the latency DC fault is a child of the loss DC fault', async () => {
  const s = new Scenario(55);
  const vips = s.vipsOf('idc-a');
  const down = vips.slice(0, 3);
  const slow = vips.slice(3);
  s.loss({ vips: down, isps: ['ct', 'cu'] }, range(40, 49));
  s.delay({ vips: slow, isps: ['ct', 'cu'] }, range(40, 49), 60);
  const r = await run(s);
  const parents = Object.fromEntries(r.episodes.map((e) => [e.id, e.parent]));
  assert.deepEqual(parents, {
    'dc:idc-a': null, 'dc:idc-a:latency': 'dc:idc-a',
    ...Object.fromEntries(down.map((v) => [`vip:${v}`, 'dc:idc-a'])),
    ...Object.fromEntries(slow.map((v) => [`vip:${v}:latency`, 'dc:idc-a:latency'])),
  });
  assert.deepEqual(r.episodes.find((e) => e.id === 'dc:idc-a')!.signal, 'loss');
});

test('a latency VIP fault whose VIP also has a loss VIP fault (other isp) is its child', async () => {
  const s = new Scenario(55);
  const v = s.inventory.vips[0]!.ip;
  s.loss({ vips: [v], isps: ['ct'] }, range(40, 49));
  s.delay({ vips: [v], isps: ['cm'] }, range(40, 49), 60);
  const r = await run(s);
  assert.deepEqual(r.episodes.map((e) => [e.id, e.parent]), [[`vip:${v}`, null], [`vip:${v}:latency`, `vip:${v}`]]);
});

test('a whitelisted slow VIP: recorded, suppressed', async () => {
  const s = new Scenario(55);
  const [a, b] = s.inventory.vips;
  s.delay({ vips: [a!.ip, b!.ip], isps: ['ct'] }, range(40, 49), 50);
  const r = await run(s, { whitelist: [{ vip: a!.ip, reason: 'known slow' }] });
  assert.deepEqual(r.episodes.map((e) => [e.id, e.suppressed]), [[`vip:${a!.ip}:latency`, true], [`vip:${b!.ip}:latency`, false]]);
});

test('a long fault does not become the baseline: slow minutes are left out, so it stays open for its length', async () => {
  const s = new Scenario(130);
  const v = s.inventory.vips[0]!.ip;
  // 80 minutes slow: were slow minutes counted, the median would reach 72 ms once they outnumber the 40 normal ones and the fault end
  s.delay({ vips: [v], isps: ['ct'] }, range(40, 119), 40);
  const r = await run(s);
  assert.deepEqual(r.episodes.map((e) => [e.id, e.start, e.end]), [[`vip:${v}:latency`, at(40), at(120)]]);
});

test('config: a short baseline window lets a short replay see latency faults', async () => {
  const s = new Scenario(30);
  const v = s.inventory.vips[0]!.ip;
  s.delay({ vips: [v], isps: ['ct'] }, range(15, 24), 40);
  assert.deepEqual((await run(s)).episodes, []);
  const r = await run(s, { rules: { baselineMinutes: 10, baselineMinSamples: 5 } });
  assert.deepEqual(r.episodes.map((e) => [e.id, e.start, e.detectedAt]), [[`vip:${v}:latency`, at(15), at(17)]]);
  // a higher ratio and delta: +40 ms on 32 is no longer slow
  assert.deepEqual((await run(s, { rules: { baselineMinutes: 10, baselineMinSamples: 5, latencyRatio: 3 } })).episodes, []);
  assert.deepEqual((await run(s, { rules: { baselineMinutes: 10, baselineMinSamples: 5, latencyMinDeltaMs: 40 } })).episodes, []);
});

test('CLI: `vipwatch analyze --config FILE` takes the latency settings from the file', () => {
  const s = new Scenario(30);
  const v = s.inventory.vips[0]!.ip;
  s.delay({ vips: [v], isps: ['ct'] }, range(15, 24), 40);
  assert.deepEqual(runCli(s).episodes, []);
  const short = runCli(s, { config: { analyzer: { rules: { baselineMinutes: 10, baselineMinSamples: 5 } } } });
  assert.equal(short.code, 0, short.stderr);
  assert.deepEqual(short.episodes.map((e) => [e.id, e.start, e.detectedAt, e.signal]), [[`vip:${v}:latency`, at(15), at(17), 'latency']]);
  assert.deepEqual(Object.keys(short.episodes[0]!).at(-1), 'signal');
  const off = runCli(s, { config: { analyzer: { rules: { baselineMinutes: 10, baselineMinSamples: 5, latencyFaults: false } } } });
  assert.deepEqual(off.episodes, []);
  const bad = runCli(s, { config: { analyzer: { rules: { baselineMinutes: 10, baselineMinSamples: 20 } } } });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /analyzer\.rules\.baselineMinSamples: must not exceed baselineMinutes/);
});
