import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextDigestAt } from '../../analyzer/alerting/digest.js';
import { isActive, suppressedBy, type MaintenanceWindow } from '../../analyzer/alerting/maintenance.js';
import { buildDirectory, resolveBusinesses, route } from '../../analyzer/alerting/routing.js';
import { catalog, dcOutage, episode, inventory } from './fixtures/world.js';

const dir = buildDirectory(inventory.vips, inventory.businesses);
const cfg = { networkTeam: ['noc@example.com'] };

test('a DC outage touching three businesses routes one message per business, each with only its VIPs, plus the network team', () => {
  const { dc, vips } = dcOutage();
  const routes = route(dc, vips, dir, cfg);
  assert.deepEqual(routes.map((r) => r.key), ['business:pay', 'business:search', 'business:video', 'network']);
  const by = new Map(routes.map((r) => [r.key, r]));
  assert.deepEqual(by.get('business:search')!.vips.map((v) => v.ip), ['203.0.113.10', '203.0.113.11']);
  assert.deepEqual(by.get('business:video')!.vips.map((v) => v.ip), ['203.0.113.20', '203.0.113.21']);
  assert.deepEqual(by.get('business:pay')!.vips.map((v) => v.ip), ['203.0.113.30']);
  assert.deepEqual(by.get('business:video')!.to, ['video-a@example.com', 'video-b@example.com']);
  assert.deepEqual(by.get('network')!.to, ['noc@example.com']);
  assert.equal(by.get('network')!.vips.length, 5);
  // each business hears only of its own child faults; scope per VIP comes from its VIP fault
  assert.deepEqual(by.get('business:search')!.children.map((c) => c.key), ['203.0.113.10', '203.0.113.11']);
  assert.deepEqual(by.get('business:search')!.vips[0], { ip: '203.0.113.10', dc: 'bj-zw', business: 'search', isps: ['ct'], provinces: ['guangdong', 'hebei'] });
  assert.equal(by.get('network')!.children.length, 5);
});

test('children and suppressed faults route nowhere; a VIP fault goes to its business only', () => {
  const { dc, vips } = dcOutage();
  assert.deepEqual(route(vips[0]!, [], dir, cfg), []);
  assert.deepEqual(route({ ...dc, suppressed: true }, vips, dir, cfg), []);
  const v = episode({ type: 'vip', key: '203.0.113.50', isps: ['cu'], provinces: ['beijing'], vips: ['203.0.113.50'], businesses: ['search'] });
  const r = route(v, [], dir, cfg);
  assert.deepEqual(r.map((x) => [x.key, x.to]), [['business:search', ['oncall-search@example.com']]]);
});

test('region and agent faults go to the network team only; businesses resolve by name or department id', () => {
  const region = episode({ type: 'region', key: 'hebei/ct', isps: ['ct'], provinces: ['hebei'] });
  assert.deepEqual(route(region, [], dir, cfg).map((r) => r.key), ['network']);
  assert.deepEqual(route(episode({ type: 'agent', key: 'cdn-gz1-001', dcs: ['gd-ct-gz1'] }), [], dir, cfg).map((r) => r.key), ['network']);
  assert.deepEqual(resolveBusinesses(dir, '1002').map((b) => b.name), ['video']);
  assert.deepEqual(resolveBusinesses(dir, '2001').map((b) => b.name).sort(), ['mail', 'pay']);
  assert.deepEqual(resolveBusinesses(dir, 'nobody'), []);
  // a fault that names a department reaches every business of it
  const isp = episode({ type: 'isp', key: 'cu', isps: ['cu'], vips: ['203.0.113.60'], businesses: ['2001'] });
  assert.deepEqual(route(isp, [], dir, cfg).map((r) => r.key), ['business:mail', 'business:pay', 'network']);
  assert.equal(catalog.businesses.size, 4);
});

const win = (w: Partial<MaintenanceWindow>): MaintenanceWindow => ({ start: '2026-11-23T02:00', duration: '2h', repeat: 'none', timeZone: 'UTC', ...w });

test('maintenance windows: one-off, daily and weekly, in their own time zone', () => {
  const at = (iso: string) => Date.parse(iso);
  const once = win({ timeZone: 'Asia/Shanghai' }); // 02:00-04:00 CST = 18:00-20:00 UTC the day before
  assert.equal(isActive(once, at('2026-11-22T17:59:00Z')), false);
  assert.equal(isActive(once, at('2026-11-22T18:00:00Z')), true);
  assert.equal(isActive(once, at('2026-11-22T19:59:00Z')), true);
  assert.equal(isActive(once, at('2026-11-22T20:00:00Z')), false);
  assert.equal(isActive(once, at('2026-11-23T18:30:00Z')), false);
  const daily = win({ repeat: 'daily', timeZone: 'Asia/Shanghai' });
  assert.equal(isActive(daily, at('2026-11-25T18:30:00Z')), true);
  assert.equal(isActive(daily, at('2026-11-21T18:30:00Z')), false, 'not before the first start');
  const weekly = win({ repeat: 'weekly', start: '2026-11-23T23:00', duration: '3h', timeZone: 'UTC' });
  assert.equal(isActive(weekly, at('2026-11-24T01:00:00Z')), true, 'spans midnight');
  assert.equal(isActive(weekly, at('2026-12-01T01:00:00Z')), true, 'a week later');
  assert.equal(isActive(weekly, at('2026-11-25T01:00:00Z')), false);
  // DST: 01:30 New York daily keeps local time across the November change
  const ny = win({ repeat: 'daily', start: '2026-10-30T01:30', duration: '30m', timeZone: 'America/New_York' });
  assert.equal(isActive(ny, at('2026-10-31T05:40:00Z')), true); // EDT: 01:40 = 05:40Z
  assert.equal(isActive(ny, at('2026-11-03T06:40:00Z')), true); // EST: 01:40 = 06:40Z
  assert.equal(isActive(ny, at('2026-11-03T05:40:00Z')), false);
});

test('a window suppresses the routes whose whole scope it covers', () => {
  const { dc, vips } = dcOutage();
  const routes = route(dc, vips, dir, cfg);
  const hit = (w: MaintenanceWindow) => routes.filter((r) => suppressedBy([w], r, dc)).map((r) => r.key);
  assert.deepEqual(hit(win({ dc: 'bj-zw' })), ['business:pay', 'business:search', 'business:video', 'network']);
  assert.deepEqual(hit(win({ business: 'video' })), ['business:video']);
  assert.deepEqual(hit(win({ vip: '203.0.113.30' })), ['business:pay'], 'covers all of pay, part of the rest');
  assert.deepEqual(hit(win({})), ['business:pay', 'business:search', 'business:video', 'network']);
  assert.deepEqual(hit(win({ dc: 'gd-ct-gz1' })), []);
});

test('informational messages wait for the next daily digest time in its zone', () => {
  const d = { at: '09:00', timeZone: 'Asia/Shanghai' };
  assert.equal(new Date(nextDigestAt(Date.parse('2026-11-23T00:30:00Z'), d)).toISOString(), '2026-11-23T01:00:00.000Z');
  assert.equal(new Date(nextDigestAt(Date.parse('2026-11-23T01:00:00Z'), d)).toISOString(), '2026-11-23T01:00:00.000Z');
  assert.equal(new Date(nextDigestAt(Date.parse('2026-11-23T01:01:00Z'), d)).toISOString(), '2026-11-24T01:00:00.000Z');
});
