// The web part's pure pieces: rate limiting, board levels, fault folding, whitelist input, VIP figures, escaping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCatalog } from '../../core/catalog.js';
import { demoInventory } from '../../core/demo.js';
import { ISPS, PROVINCES } from '../../core/geo.js';
import type { StoredEpisode } from '../../core/store/faults.js';
import { hashPassword, verifyPassword } from '../../web/auth/password.js';
import { TokenBuckets } from '../../web/auth/ratelimit.js';
import { boardView, cellOf, completeEnd, levelOf } from '../../web/board-view.js';
import { alertsOf, faultTree } from '../../web/fault-tree.js';
import { html } from '../../web/html.js';
import { safeNext } from '../../web/security.js';
import { vipRows } from '../../web/vip-view.js';
import { parseWhitelistInput } from '../../web/whitelist-input.js';

const TH = { lossWarnPct: 2, lossBadPct: 20, rttWarnMs: 100, rttBadMs: 200 };

describe('TokenBuckets', () => {
  it('allows a burst, then one per refill period, per key, and stays bounded', () => {
    let t = 0;
    const b = new TokenBuckets(3, 10_000, () => t, 100);
    assert.deepEqual([1, 2, 3, 4].map(() => b.take('ip|u').ok), [true, true, true, false]);
    assert.equal(b.take('ip|u').retryAfterSec, 10);
    assert.equal(b.take('ip|other').ok, true);
    t += 10_000;
    assert.deepEqual([b.take('ip|u').ok, b.take('ip|u').ok], [true, false]);
    for (let i = 0; i < 1000; i++) b.take(`flood-${i}`);
    assert.ok(b.size <= 100, `size ${b.size}`);
  });
});

describe('board view', () => {
  it('colours by the worse of loss and latency', () => {
    assert.equal(levelOf(30, 0, TH), 'ok');
    assert.equal(levelOf(150, 0, TH), 'warn');
    assert.equal(levelOf(30, 5, TH), 'warn');
    assert.equal(levelOf(250, 0, TH), 'bad');
    assert.equal(levelOf(null, 100, TH), 'bad');
    assert.equal(levelOf(null, null, TH), 'none');
  });

  it('builds the matrix with the latest minute per cell and a strip of the window', () => {
    const step = 60_000, now = Date.parse('2026-11-23T14:05:30Z'), m = (i: number) => Date.parse('2026-11-23T14:00:00Z') + i * step;
    const view = boardView([
      { minute: m(3), province: 'guangdong', isp: 'ct', rttAvg: 30, lossPct: 0, records: 4 },
      { minute: m(4), province: 'guangdong', isp: 'ct', rttAvg: 35, lossPct: 50, records: 4 },
      { minute: m(2), province: 'beijing', isp: 'cu', rttAvg: 120, lossPct: 0, records: 2 },
    ], { provinces: PROVINCES, isps: ISPS, slots: 5, stepMs: step, now, graceMs: 45_000, thresholds: TH }, m(4));
    assert.deepEqual(view.minutes, [m(0), m(1), m(2), m(3), m(4)]);
    assert.equal(view.rows.length, 31);
    const gd = view.rows.find((r) => r.province === 'guangdong')!.cells[0]!;
    assert.deepEqual([gd.key, gd.level, gd.loss, gd.rtt, gd.strip], ['guangdong/ct', 'bad', '50%', '35 ms', ['none', 'none', 'none', 'ok', 'bad']]);
    const bj = view.rows.find((r) => r.province === 'beijing')!.cells[1]!;
    assert.deepEqual([bj.level, bj.minute], ['warn', m(2)]);
    assert.deepEqual(view.counts, { ok: 0, warn: 1, bad: 1, none: 31 * 3 - 2 });
  });
});

describe('board: complete minutes only', () => {
  const step = 6_000, m = (i: number) => 1_800_000_000_000 + i * step;
  const aggs = (minute: number, records: number) => [{ minute, records: records - 1 }, { minute, records: 1 }];
  it('shows a just-ended minute only once it holds (nearly) as many records as the minute before', () => {
    const base = [...aggs(m(0), 100), ...aggs(m(1), 100)];
    // 14:00:13 (m(2) + 1 s): m(1) ended 1 s ago with 100 records, m(0) had 100: complete
    assert.equal(completeEnd(base, step, m(2) + 1000, 4000), m(1));
    // m(1) has only 30 of 100 records so far: the board stays on m(0)
    const partial = [...aggs(m(0), 100), ...aggs(m(1), 30)];
    assert.equal(completeEnd(partial, step, m(2) + 1000, 4000), m(0));
    // ... until the settle time has passed
    assert.equal(completeEnd(partial, step, m(2) + 4000, 4000), m(1));
    // the running minute m(2) is never shown, however many records it has
    assert.equal(completeEnd([...base, ...aggs(m(2), 500)], step, m(2) + 5000, 4000), m(1));
    // no records at all: the last ended minute (shown as no data)
    assert.equal(completeEnd([], step, m(5) + 5000, 4000), m(4));
  });

  it('holds one cell back while its newest minute has fewer records than the 3 before, then draws it as partial', () => {
    const pt = (minute: number, records: number, lossPct: number) => [minute, { minute, rttAvg: 40, lossPct, records }] as const;
    const minutes = [m(0), m(1), m(2), m(3)];
    const grace = 4500;
    const at = (now: number) => ({ timing: { now, stepMs: step, graceMs: grace } });
    // m(3): 46 of the group's 66 records so far, and those few all lossy: within the grace the cell stays on m(2)
    const filling = new Map([pt(m(0), 66, 0), pt(m(1), 66, 0), pt(m(2), 66, 0), pt(m(3), 46, 90)]);
    const held = cellOf('hubei/cu', 'Hubei / cu', filling, minutes, TH, at(m(4) + 1000));
    assert.deepEqual([held.minute, held.level, held.partial, held.strip], [m(2), 'ok', false, ['ok', 'ok', 'ok', 'none']]);
    // past the grace and still short: drawn as partial, without a level, its title saying so
    const late = cellOf('hubei/cu', 'Hubei / cu', filling, minutes, TH, at(m(4) + grace));
    assert.deepEqual([late.minute, late.level, late.partial, late.lossLevel], [m(3), 'none', true, 'none']);
    assert.match(late.title, /partial minute \(46 of 66 records so far\)/);
    // one host two minutes late: m(2) and m(3) both short; a comparison with the minute before alone would draw m(3)
    const twoLate = new Map([pt(m(0), 66, 0), pt(m(1), 46, 0), pt(m(2), 46, 90), pt(m(3), 46, 90)]);
    const c = cellOf('hubei/cu', 'Hubei / cu', twoLate, minutes, TH, at(m(4) + 1000));
    assert.deepEqual([c.minute, c.level, c.partial], [m(2), 'none', true]);
    // once all 66 are in, m(3) is drawn, red
    const whole = cellOf('hubei/cu', 'Hubei / cu', new Map([pt(m(0), 66, 0), pt(m(1), 66, 0), pt(m(2), 66, 0), pt(m(3), 66, 90)]), minutes, TH, at(m(4) + 1000));
    assert.deepEqual([whole.minute, whole.level, whole.partial], [m(3), 'bad', false]);
    // a host that stopped for good stops counting after 3 minutes: m(3) is whole again at 46
    const stopped = new Map([pt(m(0), 46, 0), pt(m(1), 46, 0), pt(m(2), 46, 0), pt(m(3), 46, 90)]);
    assert.deepEqual(cellOf('hubei/cu', 'Hubei / cu', stopped, minutes, TH, at(m(4) + 1000)).level, 'bad');
    // with the plan's count (66): a fleet still starting (no minute before) is partial; a host stopped for 3 minutes is not
    const starting = cellOf('hubei/cu', 'Hubei / cu', new Map([pt(m(3), 2, 100)]), minutes, TH, { ...at(m(4) + grace), planned: 66 });
    assert.deepEqual([starting.minute, starting.level, starting.partial], [m(3), 'none', true]);
    assert.equal(cellOf('hubei/cu', 'Hubei / cu', stopped, minutes, TH, { ...at(m(4) + 1000), planned: 66 }).level, 'bad');
    // one of the 3 minutes before was whole: the plan's count stands
    const oneWhole = new Map([pt(m(0), 66, 0), pt(m(1), 46, 0), pt(m(2), 46, 0), pt(m(3), 46, 90)]);
    assert.equal(cellOf('hubei/cu', 'Hubei / cu', oneWhole, minutes, TH, { ...at(m(4) + grace), planned: 66 }).partial, true);
  });
});

const episode = (id: string, start: string, end: string | null, parent: string | null, history: StoredEpisode['history'] = []): StoredEpisode => {
  const [type, key] = id.split(':') as [StoredEpisode['type'], string];
  return { id, type, key, start, detectedAt: start, end, isps: [], provinces: [], dcs: [], vips: [], businesses: [], parent, suppressed: false, uid: `${id}@${start}`, history, updatedAt: start };
};

describe('fault tree', () => {
  it('folds children under the overlapping episode of their parent id, open roots first', () => {
    const oldDc = episode('dc:bj', '2026-11-23T08:00:00Z', '2026-11-23T09:00:00Z', null);
    const dc = episode('dc:bj', '2026-11-23T12:00:00Z', null, null);
    const v1 = episode('vip:1', '2026-11-23T12:01:00Z', null, 'dc:bj');
    const v2 = episode('vip:2', '2026-11-23T08:10:00Z', '2026-11-23T08:50:00Z', 'dc:bj');
    const orphan = episode('vip:3', '2026-11-23T10:00:00Z', null, 'isp:ct');
    const closed = episode('agent:h1', '2026-11-23T13:00:00Z', '2026-11-23T13:20:00Z', null);
    const roots = faultTree([closed, v1, dc, orphan, v2, oldDc]);
    assert.deepEqual(roots.map((r) => [r.episode.uid, r.children.map((c) => c.episode.uid)]), [
      [dc.uid, [v1.uid]], [orphan.uid, []], [closed.uid, []], [oldDc.uid, [v2.uid]],
    ]);
  });

  it('reads recipients from alert events', () => {
    const a = alertsOf([{ at: 'x', kind: 'open' }, { at: 'y', kind: 'alert', detail: { to: ['a@x', 'b@x'], business: 'search' } }]);
    assert.deepEqual(a, [{ at: 'y', recipients: ['a@x', 'b@x'], note: 'business: search' }]);
  });
});

describe('whitelist input', () => {
  const catalog = buildCatalog(demoInventory({ dcsPerGroup: 1, hostsPerDc: 1, vipDcs: 1, vipsPerDc: 2 }));
  const vip = [...catalog.vips.keys()][0]!;
  const now = Date.parse('2026-11-23T12:00:00Z');

  it('accepts the form and the API shapes alike, taking datetime-local times as UTC', () => {
    const a = parseWhitelistInput({ scope: 'vip', value: ` ${vip} `, reason: 'maintenance', until: '2026-11-23T18:00' }, catalog, now, true);
    const b = parseWhitelistInput({ vip, reason: 'maintenance', until: '2026-11-23T18:00:00Z' }, catalog, now, true);
    assert.deepEqual(a, b);
    assert.deepEqual(a, { ok: true, input: { vip, dc: null, business: null, reason: 'maintenance', until: '2026-11-23T18:00:00.000Z' } });
  });

  it('names every bad field and value at once', () => {
    const r = parseWhitelistInput({ vip: '203.0.113.99', dc: 'bj', reason: ' ', until: 'soon' }, catalog, now, true);
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.errors.map((e) => e.field), ['scope', 'reason', 'until']);
    const r2 = parseWhitelistInput({ dc: 'no-dc', reason: 'x', until: '2026-11-23T11:00Z' }, catalog, now, true);
    assert.deepEqual(!r2.ok && r2.errors.map((e) => e.message), ['dc "no-dc" is not in the inventory', 'until "2026-11-23T11:00Z" is already past']);
  });
});

describe('helpers', () => {
  it('summarises a VIP by province and isp, worst first', () => {
    const rows = vipRows([
      { minute: 1, province: 'hunan', isp: 'ct', rttMin: 10, rttAvg: 20, rttMax: 30, lossPct: 0 },
      { minute: 2, province: 'hunan', isp: 'ct', rttMin: 8, rttAvg: 30, rttMax: 50, lossPct: 10 },
      { minute: 1, province: 'hubei', isp: 'cm', rttMin: null, rttAvg: null, rttMax: null, lossPct: 100 },
    ]);
    assert.deepEqual(rows, [
      { province: 'hubei', isp: 'cm', rttMin: null, rttAvg: null, rttMax: null, lossAvg: 100, lossMax: 100, minutes: 1 },
      { province: 'hunan', isp: 'ct', rttMin: 8, rttAvg: 25, rttMax: 50, lossAvg: 5, lossMax: 10, minutes: 2 },
    ]);
  });

  it('escapes interpolated text and keeps only same-site redirects', () => {
    assert.equal(html`<p title="${'"><script>'}">${'<b>&'}</p>`.text, '<p title="&quot;&gt;&lt;script&gt;">&lt;b&gt;&amp;</p>');
    assert.equal(safeNext('/faults?status=all'), '/faults?status=all');
    for (const bad of ['//evil.example', 'https://evil.example', '/\\evil', undefined]) assert.equal(safeNext(bad), '/board');
  });

  it('hashes passwords with scrypt and verifies them', async () => {
    const h = await hashPassword('correct horse');
    assert.equal(await verifyPassword('correct horse', h), true);
    assert.equal(await verifyPassword('correct hors', h), false);
    assert.notEqual(await hashPassword('correct horse'), h);
  });
});
