// Certificate-expiry warnings (analyzer/cert-expiry.ts): the pure rule, then the live analyzer on real SQLite stores
// (opened, kept across a restart without a second opening, closed when the certificate is renewed), and the alert it
// gives: informational, to the VIP's business owners, saying how many days are left.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { certStep, CertWatch } from '../../analyzer/cert-expiry.js';
import { policyContext } from '../../analyzer/alerting/context.js';
import { initialState, step } from '../../analyzer/alerting/policy.js';
import { render } from '../../analyzer/alerting/render.js';
import { LiveAnalyzer } from '../../analyzer/live.js';
import { buildCatalog } from '../../core/catalog.js';
import { parseConfig } from '../../core/config.js';
import { validateInventory } from '../../core/inventory.js';
import type { FaultTransition, ResultRecord } from '../../core/model.js';
import { engineFor, silentLog, stores, tagged } from './live-support.js';

const inventory = validateInventory({
  datacenters: [{ id: 'src', province: 'beijing', isp: 'ct' }, { id: 'vdc', province: 'shanghai', isp: 'cu' }],
  hosts: [{ id: 'h1', ip: '198.18.0.1', dc: 'src' }, { id: 'h2', ip: '198.18.0.2', dc: 'src' }],
  vips: [
    { ip: 'fd00::10', dc: 'vdc', business: 'shop', url: 'https://[fd00::10]/' },
    { ip: '198.19.0.1', dc: 'vdc', business: 'news', url: 'https://198.19.0.1/' },
  ],
  businesses: [{ name: 'shop', owners: ['shop@example.com'] }, { name: 'news', owners: ['news@example.com'] }],
}, 'inventory');
const catalog = buildCatalog(inventory);
const MIN = 60_000;
const T = Math.floor(Date.now() / MIN) * MIN - 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const http = (minute: number, host: string, vip: string, certDaysLeft?: number): ResultRecord => ({
  ts: iso(minute), host, vip, method: 'http', sent: 10, recv: 10, rttMin: 3, rttAvg: 4, rttMax: 5, httpStatus: 200,
  ...(certDaysLeft !== undefined ? { certDaysLeft } : {}),
});

describe('certStep (pure)', () => {
  it('opens below the threshold with the fewest days of the minute, keeps quiet while it stays, closes when renewed', () => {
    let open = new Map();
    const at = (m: number, records: ResultRecord[], whitelist = []) => {
      const r = certStep(open, T + m * MIN, records, catalog.vips, 14, whitelist);
      open = r.open;
      return r.transitions;
    };
    assert.deepEqual(at(0, [http(T, 'h1', 'fd00::10', 30)]), [], '30 days: nothing');
    const [opened, ...rest] = at(1, [http(T, 'h1', 'fd00::10', 13.5), http(T, 'h2', 'fd00::10', 12.25), http(T, 'h1', 'fd00::99', 1)]);
    assert.equal(rest.length, 0, 'a VIP outside the inventory is ignored');
    assert.equal(opened!.kind, 'open');
    assert.equal(opened!.certDaysLeft, 12.25, 'the fewest days any host saw');
    assert.deepEqual(opened!.episode, {
      id: 'vip:fd00::10:cert', type: 'vip', key: 'fd00::10', start: iso(T + MIN), detectedAt: iso(T + MIN), end: null, isps: [], provinces: [],
      dcs: ['vdc'], vips: ['fd00::10'], businesses: ['shop'], parent: null, suppressed: false, signal: 'cert',
    });
    assert.deepEqual(at(2, [http(T, 'h1', 'fd00::10', 12.2)]), [], 'still expiring: no new transition');
    assert.deepEqual(at(3, []), [], 'a minute without checks changes nothing');
    const sup = at(4, [http(T, 'h1', 'fd00::10', 12.1)], [{ business: 'shop' }] as never);
    assert.deepEqual(sup.map((t) => [t.kind, t.episode.suppressed]), [['update', true]], 'a whitelisted business: suppressed');
    const closed = at(5, [http(T, 'h1', 'fd00::10', 365)]);
    assert.deepEqual(closed.map((t) => [t.kind, t.episode.end]), [['close', iso(T + 5 * MIN)]], 'renewed: closed');
    assert.equal(open.size, 0);
  });
});

describe('live analyzer with certificate warnings (SQLite stores)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-cert-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(records: ResultRecord[], now: number): Promise<FaultTransition[]> {
    const { series, faults } = stores(dir);
    await Promise.all([series.init(), faults.init()]);
    try {
      await series.write(tagged(inventory, records));
      const seen: FaultTransition[] = [];
      const live = new LiveAnalyzer({
        engine: engineFor(catalog), series, faults, whitelist: async () => [], graceSec: 0, log: silentLog, now: () => now,
        listeners: [(_m, ts) => { seen.push(...ts); }],
        cert: new CertWatch({ vips: () => catalog.vips, warnDays: 14, faults }),
      });
      await live.runDue();
      return seen.filter((t) => t.episode.signal === 'cert');
    } finally {
      await Promise.all([series.close(), faults.close()]);
    }
  }

  it('opens once, survives a restart without a second opening, closes on renewal; the alert is informational with the days', async () => {
    const first = await run([http(T, 'h1', 'fd00::10', 20), http(T + MIN, 'h1', 'fd00::10', 9.5), http(T + MIN, 'h1', '198.19.0.1', 300)], T + 3 * MIN);
    assert.deepEqual(first.map((t) => [t.kind, t.episode.id, t.minute, t.certDaysLeft]), [['open', 'vip:fd00::10:cert', T + MIN, 9.5]]);
    // a new process: the open warning comes back from the fault store, so the next low minute opens nothing
    const second = await run([http(T + 4 * MIN, 'h2', 'fd00::10', 9.4)], T + 6 * MIN);
    assert.deepEqual(second, []);
    const third = await run([http(T + 7 * MIN, 'h1', 'fd00::10', 400)], T + 9 * MIN);
    assert.deepEqual(third.map((t) => [t.kind, t.episode.end]), [['close', iso(T + 7 * MIN)]]);
    const { faults } = stores(dir);
    await faults.init();
    const all = (await faults.list({ status: 'all' })).filter((e) => e.signal === 'cert');
    await faults.close();
    assert.deepEqual(all.map((e) => [e.id, e.start, e.end]), [['vip:fd00::10:cert', iso(T + MIN), iso(T + 7 * MIN)]], 'one stored warning, closed');

    const cfg = parseConfig({ alerting: { networkTeam: ['noc@example.com'] } }, 'test');
    const { messages } = step(initialState(), first, T + MIN, policyContext(cfg, catalog));
    assert.deepEqual(messages.map((m) => [m.kind, m.severity, m.to]), [['open', 'informational', ['shop@example.com']]], 'to the business owners only, informational');
    assert.ok(messages[0]!.deliverAt > messages[0]!.at, 'held for the digest like other informational messages');
    const text = render(messages[0]!, { webUrl: 'http://vw', grafanaUrl: 'http://gf', timeZone: 'UTC' }).text;
    assert.match(text, /VIP certificate expiry warning fd00::10 opened/);
    assert.match(text, /Certificate: 9\.5 days left/);
  });
});
