// The "sim" probe backend and the pieces `vipwatch start` adds: the pure latency model (distance, ISP crossing,
// jitter, loss, spikes, the scripted incident), the sim probe methods, --speed, the quick-start expectations,
// the .eml channel and the fault pages' view of the outbox.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LatencyModel, distanceKm, unit } from '../../agent/sim/model.js';
import { seededRandom } from '../../core/random.js';
import { simMethods } from '../../agent/sim/probe.js';
import { EmlFileNotifier } from '../../analyzer/alerting/notifiers/eml.js';
import type { AlertMessage } from '../../analyzer/alerting/types.js';
import { expectedTimes } from '../../bin/quick-start.js';
import { parseSpeed, simEnabled, startConfig } from '../../bin/start-config.js';
import { buildCatalog, groupKey } from '../../core/catalog.js';
import { parseConfig, type Config } from '../../core/config.js';
import { demoInventory } from '../../core/demo.js';
import { ValidationError } from '../../core/errors.js';
import { PROVINCES } from '../../core/geo.js';
import { withOutboxAlerts } from '../../web/fault-tree.js';

const cfg = (raw: Record<string, unknown> = {}): Config => parseConfig(raw, 'test config');
const catalog = buildCatalog(demoInventory());
const model = (sim: Record<string, unknown> = {}) => new LatencyModel(catalog, cfg({ sim }).sim);
const hostIn = (province: string, isp: string): string => catalog.groups.get(groupKey(province, isp))![0]!.id;
const vipIn = (dc: string): string => catalog.inventory.vips.find((v) => v.dc === dc)!.ip;
const province = (id: string) => PROVINCES.find((p) => p.id === id)!;

test('great-circle distance between province capitals', () => {
  // Beijing - Shanghai is about 1,070 km, Beijing - Urumqi about 2,400 km
  assert.ok(Math.abs(distanceKm(province('beijing'), province('shanghai')) - 1070) < 40);
  assert.ok(Math.abs(distanceKm(province('beijing'), province('xinjiang')) - 2410) < 60);
  assert.equal(distanceKm(province('hubei'), province('hubei')), 0);
});

test('base RTT grows with distance and pays the ISP-crossing penalty', () => {
  const m = model({ jitterMs: 0 });
  const near = m.path(hostIn('beijing', 'ct'), vipIn('idc-beijing-ct'))!;
  const far = m.path(hostIn('xinjiang', 'ct'), vipIn('idc-beijing-ct'))!;
  const cross = m.path(hostIn('beijing', 'cm'), vipIn('idc-beijing-ct'))!;
  assert.equal(near.crossIsp, false);
  assert.equal(cross.crossIsp, true);
  assert.ok(near.baseMs >= 3 && near.baseMs < 6, `same province, same isp: ${near.baseMs} ms`);
  assert.ok(far.baseMs > near.baseMs + 20, `2,400 km away: ${far.baseMs} ms`);
  assert.ok(cross.baseMs - near.baseMs > 24 && cross.baseMs - near.baseMs < 28, `isp crossing: +${cross.baseMs - near.baseMs} ms`);
  // methods shape the same path: tcp one round trip, http two plus server time
  assert.equal(m.probe(near, 'icmp', 0, 0.5, 0), near.baseMs);
  assert.ok(m.probe(near, 'http', 0, 0.5, 0)! > 2 * near.baseMs);
  assert.equal(m.path('no-such-host', vipIn('idc-beijing-ct')), null);
  assert.equal(m.path(hostIn('beijing', 'ct'), '192.0.2.1'), null);
});

test('the model is a pure function of the seed: the same draws give the same probes, another seed other spikes', () => {
  const a = model(), b = model();
  const p = a.path(hostIn('hunan', 'cu'), vipIn('idc-shanghai-cu'))!;
  for (let m = 0; m < 50; m++) assert.equal(a.probe(p, 'icmp', m, unit(1, `l${m}`), unit(1, `j${m}`)), b.probe(b.path(p.host, vipIn('idc-shanghai-cu'))!, 'icmp', m, unit(1, `l${m}`), unit(1, `j${m}`)));
  assert.notDeepEqual(model({ seed: 2 }).spikesBetween(0, 60), a.spikesBetween(0, 60));
  const r1 = seededRandom(7), r2 = seededRandom(7);
  assert.deepEqual([r1(), r1(), r1()], [r2(), r2(), r2()]);
});

test('spikes: one group, one minute per block, never 3 bad minutes in 5 for any group', () => {
  const m = model();
  const spikes = m.spikesBetween(0, 2000);
  assert.equal(spikes.length, 400);
  for (const s of spikes) assert.equal(m.spikeAt(s.minute), s.group);
  const byGroup = new Map<string, number[]>();
  for (const s of spikes) byGroup.set(s.group, [...(byGroup.get(s.group) ?? []), s.minute]);
  for (const [g, minutes] of byGroup) {
    for (const x of minutes) assert.ok(minutes.filter((y) => y >= x && y < x + 5).length <= 2, `${g} at ${x}`);
  }
  // a spike drops most probes of its group, to every VIP, for that minute only
  const s = spikes[3]!;
  const [p, i] = s.group.split('/') as [string, string];
  const path = m.path(hostIn(p, i), vipIn('idc-sichuan-ct'))!;
  assert.ok(m.lossPct(path, s.minute) > 85);
  assert.ok(m.lossPct(path, s.minute + 1) < 1 || m.spikeAt(s.minute + 1) === s.group);
  assert.deepEqual(model({ spikes: { everyMinutes: 0 } }).spikesBetween(0, 100), []);
});

test('the scripted incident hits only its DC, only from its isps, only in its minutes', () => {
  const m = model({ spikes: { everyMinutes: 0 } });
  assert.deepEqual(m.incident, { dc: 'idc-beijing-ct', isps: ['ct', 'cu'], from: 1, to: 5, lossPct: 98 });
  const ct = m.path(hostIn('guangdong', 'ct'), vipIn('idc-beijing-ct'))!;
  const cm = m.path(hostIn('guangdong', 'cm'), vipIn('idc-beijing-ct'))!;
  const other = m.path(hostIn('guangdong', 'ct'), vipIn('idc-shanghai-cu'))!;
  const lost = (path: typeof ct, minute: number) => {
    let n = 0;
    for (let k = 0; k < 2000; k++) if (m.probe(path, 'icmp', minute, unit(9, `${path.host} ${minute} ${k}`), 0.5) === null) n++;
    return n / 20; // percent
  };
  assert.ok(lost(ct, 0) < 1.5, 'before: background loss only');
  assert.ok(lost(ct, 1) > 95 && lost(ct, 4) > 95, 'during: ~all lost from ct');
  assert.ok(lost(ct, 5) < 1.5, 'after: recovered');
  assert.ok(lost(cm, 2) < 1.5, 'cm is not part of the outage');
  assert.ok(lost(other, 2) < 1.5, 'other DCs are fine');
  assert.equal(model({ incident: { minutes: 0 } }).incident, null);
});

test('the latency act: a detour adds addMs from its isps to its DC, only in its minutes; loss is untouched', () => {
  const m = model({ spikes: { everyMinutes: 0 }, jitterMs: 0, lossPct: 0 });
  assert.deepEqual(m.detour, { dc: 'idc-shanghai-cu', isps: ['cu'], from: 8, to: 12, addMs: 40 });
  const cu = m.path(hostIn('guangdong', 'cu'), vipIn('idc-shanghai-cu'))!;
  const ct = m.path(hostIn('guangdong', 'ct'), vipIn('idc-shanghai-cu'))!;
  const other = m.path(hostIn('guangdong', 'cu'), vipIn('idc-beijing-ct'))!;
  const rtt = (path: typeof cu, minute: number) => m.probe(path, 'icmp', minute, 0.99, 0.5)!;
  assert.equal(rtt(cu, 8) - rtt(cu, 7), 40);
  assert.equal(rtt(cu, 11) - rtt(cu, 12), 40);
  assert.equal(rtt(ct, 9), rtt(ct, 7), 'ct is not detoured');
  assert.equal(rtt(other, 9), rtt(other, 7), 'other DCs are not detoured');
  assert.equal(m.lossPct(cu, 9), 0);
  assert.equal(model({ latency: { minutes: 0 } }).detour, null);
  assert.throws(() => model({ latency: { dc: 'idc-nowhere' } }), /sim\.latency\.dc.*"idc-nowhere"/);
  // start's config: the simulated fleet starts from nothing, so the baseline is capped to what the story has
  const c = startConfig(cfg({ dataDir: '/tmp/x' }), { speed: 1, url: null });
  assert.deepEqual([c.analyzer.rules.baselineMinutes, c.analyzer.rules.baselineMinSamples], [60, 3]);
  const real = startConfig(cfg({ inventory: 'inv.yaml' }), { speed: 1, url: null });
  assert.deepEqual([real.analyzer.rules.baselineMinutes, real.analyzer.rules.baselineMinSamples], [1440, 30]);
});

test('a bad sim section is refused naming the field and the value', () => {
  assert.throws(() => model({ incident: { dc: 'idc-nowhere' } }), (e: ValidationError) => e instanceof ValidationError && /sim\.incident\.dc.*"idc-nowhere"/.test(e.message));
  assert.throws(() => model({ incident: { isps: ['ct', 'edu'] } }), (e: ValidationError) => /sim\.incident\.isps.*no host has isp edu/.test(e.message));
  assert.throws(() => cfg({ sim: { spikes: { everyMinutes: -1 } } }), /sim\.spikes\.everyMinutes/);
});

test('sim probe methods read the sim minute from the clock and honour the timeout', async () => {
  const m = model({ spikes: { everyMinutes: 0 } });
  let now = 0;
  const host = hostIn('shanxi', 'cu');
  const methods = simMethods({ model: m, host, clock: { now: () => now }, minuteOf: (ms) => Math.floor(ms / 60_000), random: seededRandom(3) });
  assert.deepEqual(Object.keys(methods).sort(), ['http', 'icmp', 'tcp']);
  const vip = { address: vipIn('idc-beijing-ct') };
  const before = await Promise.all(Array.from({ length: 100 }, () => methods.icmp.probe(vip, 2000)));
  now = 2 * 60_000; // sim minute 2: the outage
  const during = await Promise.all(Array.from({ length: 100 }, () => methods.icmp.probe(vip, 2000)));
  assert.ok(before.filter((r) => r === null).length <= 3);
  assert.ok(during.filter((r) => r === null).length >= 90);
  assert.equal(await methods.tcp.probe({ address: vipIn('idc-shanghai-cu'), port: 443 }, 1), null, 'slower than the timeout counts as lost');
  assert.equal(await methods.icmp.probe({ address: '192.0.2.7' }, 2000), null, 'an address outside the inventory never answers');
});

test('--speed divides the minute; the grace, reminders and board refresh shrink with it', () => {
  assert.equal(parseSpeed(undefined, 60), 1);
  assert.equal(parseSpeed('10', 60), 10);
  assert.throws(() => parseSpeed('7', 60), /--speed: expected a whole number that divides the 60 s minute .*\(value "7"\)/);
  assert.throws(() => parseSpeed('fast', 60), /value "fast"/);
  const base = cfg({ dataDir: '/tmp/x' });
  const c = startConfig(base, { speed: 10, url: 'http://127.0.0.1:9999' });
  assert.equal(c.minuteSec, 6);
  assert.equal(c.analyzer.graceSec, 4.5);
  assert.equal(c.alerting.reminderInterval, '360000ms');
  assert.equal(c.web.board.refreshSec, 1);
  assert.equal(c.agent.tickMs, 50, 'the agents\' 200 ms tick shrinks with the minute, to no less than 50 ms');
  assert.equal(startConfig(base, { speed: 1, url: null }).agent.tickMs, 200);
  assert.equal(c.alerting.webUrl, 'http://127.0.0.1:9999');
  assert.equal(c.alerting.emlDir, '/tmp/x/mail');
  // a configured channel or inventory file changes the defaults
  assert.equal(startConfig(cfg({ alerting: { smtp: { host: 'mail' } } }), { speed: 1, url: null }).alerting.emlDir, undefined);
  assert.equal(simEnabled(cfg({ inventory: 'inv.yaml' })), false);
  assert.equal(simEnabled(cfg({ inventory: 'inv.yaml', sim: { enabled: true } })), true);
  assert.equal(startConfig(cfg({ alerting: { webUrl: 'https://vipwatch.example.com' } }), { speed: 1, url: 'http://x:1' }).alerting.webUrl, 'https://vipwatch.example.com');
});

test('quick-start expectations follow the rules: detected smoothNeed minutes in, closed after the recovery minutes', () => {
  const c = startConfig(cfg(), { speed: 10, url: null });
  const s = { epoch: 0, minuteMs: 6000, spikes: [], detour: null, incident: { dc: 'd', isps: ['ct', 'cu'], vips: 8, start: 6000, end: 30_000 } };
  assert.deepEqual(expectedTimes(c, s), { detected: 6000 + 3 * 6000 + 4500, closed: 30_000 + 5 * 6000 + 4500 });
  assert.equal(expectedTimes(c, { ...s, incident: { ...s.incident, end: 18_000 } }), null, 'two bad minutes never make a fault');
});

const message = (over: Partial<AlertMessage> = {}): AlertMessage => ({
  id: 'dc:d1@2026-11-23T14:05:00Z|open|network|2026-11-23T14:07:00.000Z', kind: 'open', severity: 'critical',
  audience: { kind: 'network' }, audienceKey: 'network', to: ['noc@example.com'], at: Date.parse('2026-11-23T14:07:00Z'),
  deliverAt: Date.parse('2026-11-23T14:07:00Z'), uid: 'dc:d1@2026-11-23T14:05:00Z',
  fault: { id: 'dc:d1', type: 'dc', key: 'd1', start: '2026-11-23T14:05:00Z', detectedAt: '2026-11-23T14:07:00Z', end: null, isps: ['ct', 'cu'], provinces: ['hubei'], dcs: ['d1'], vips: ['198.19.0.1'], businesses: ['search'], parent: null, suppressed: false },
  children: [], vips: [], openForMs: 0, ...over,
});

test('the eml channel writes one RFC 5322 file per envelope, and a retry rewrites the same file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-eml-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const n = new EmlFileNotifier(join(dir, 'mail'), { from: 'vipwatch <v@localhost>', webUrl: 'http://ui', grafanaUrl: 'http://g', timeZone: 'UTC' });
  assert.equal(n.accepts(message({ to: [] })), false);
  const envelope = { id: message().id, digest: false, messages: [message()] };
  await n.send(envelope);
  await n.send(envelope);
  const files = readdirSync(join(dir, 'mail'));
  assert.equal(files.length, 1);
  assert.match(files[0]!, /^20261123T140700Z-open-dc-d1-network-[0-9a-f]{12}\.eml$/);
  const text = readFileSync(join(dir, 'mail', files[0]!), 'utf8');
  assert.match(text, /^To: noc@example\.com$/m);
  assert.match(text, /^Subject: \[vipwatch critical\] OPEN: DC fault d1/m);
  assert.match(text, /http:\/\/ui\/faults\/dc%3Ad1%402026-11-23T14%3A05%3A00Z/);
});

test('fault pages see the outbox: one alert event per message, whatever the channels', () => {
  const ep = { ...message().fault, uid: message().uid, history: [], updatedAt: '2026-11-23T14:07:00Z' };
  const m1 = message(), m2 = message({ id: 'other', kind: 'recovery', to: ['a@x', 'b@x'] });
  const out = withOutboxAlerts([ep, { ...ep, uid: 'vip:1@x' }], [
    { notifier: 'email', status: 'done', message: m1 }, { notifier: 'eml', status: 'pending', message: m1 },
    { notifier: 'eml', status: 'pending', message: m2 },
  ]);
  assert.deepEqual(out[0]!.history, [
    { at: '2026-11-23T14:07:00Z', kind: 'alert', detail: { to: ['noc@example.com'], message: 'open', via: 'email eml', status: 'sent' } },
    { at: '2026-11-23T14:07:00Z', kind: 'alert', detail: { to: ['a@x', 'b@x'], message: 'recovery', via: 'eml', status: 'pending' } },
  ]);
  assert.deepEqual(out[1]!.history, []);
});
