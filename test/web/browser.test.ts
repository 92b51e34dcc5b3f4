// The web UI in a real browser (playwright-core driving Debian's Chromium) against the real SQLite stores:
// log in, whitelist add/edit/delete with the audit log, a viewer cannot write, an injected fault shows on the faults
// page, and the board follows new series records live (server-sent events, no reload). Screenshots go to
// test/artifacts/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FaultEpisode } from '../../core/model.js';
import type { EpisodeEvent } from '../../core/store/faults.js';
import { skipUnless } from '../support/env.js';
import { ADMIN, groupRecords, startWeb, VIEWER, type TestWeb } from './harness.js';

const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const MIN = 60_000;

/** Steady, plausible figures per group (deterministic), a few groups a little slow or lossy. */
const hash = (s: string): number => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
const normal = (group: string, minute: number) => {
  const h = hash(group);
  const rtt = 18 + (h % 55) + ((minute / MIN + h) % 5);
  const lossy = h % 23 === 0;
  return { sent: 20, recv: lossy ? 19 : 20, rtt: h % 29 === 0 ? rtt + 90 : rtt };
};

const ep = (o: Partial<FaultEpisode> & Pick<FaultEpisode, 'type' | 'key' | 'start'>): FaultEpisode => ({
  id: `${o.type}:${o.key}`, detectedAt: o.start, end: null, isps: [], provinces: [], dcs: [], vips: [], businesses: [], parent: null, suppressed: false, ...o,
});

async function logIn(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${url}/board`), page.click('button[type=submit]')]);
}

test('web UI in Chromium', async (t) => {
  if (skipUnless(t, { commands: ['chromium'] })) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  const w: TestWeb = await startWeb();
  t.after(() => w.stop());
  const browser: Browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  t.after(() => browser.close());
  const cur = Math.floor(Date.now() / MIN) * MIN;
  const minutes = Array.from({ length: 15 }, (_, i) => cur - (15 - i) * MIN);
  await w.series.write(groupRecords(w.catalog, minutes, normal));
  const admin = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  const [vip1, vip2] = [...w.catalog.vips.values()].filter((v) => v.dc === 'idc-beijing-ct');

  await t.test('an admin logs in and lands on the board', async () => {
    await admin.goto(`${w.url}/whitelist`);
    assert.match(admin.url(), /\/login\?next=%2Fwhitelist$/);
    await logIn(admin, w.url, ADMIN.user, ADMIN.password);
    assert.equal(await admin.textContent('header .who'), `${ADMIN.user} admin`);
  });

  await t.test('an admin adds, edits and deletes a whitelist entry, and the audit log shows each change', async () => {
    admin.on('dialog', (d) => { void d.accept(); });
    await admin.goto(`${w.url}/whitelist`);
    await admin.selectOption('form[data-scope-form] select[name=scope]', 'dc');
    await admin.fill('form[data-scope-form] input[name=value]', 'idc-beijing-ct');
    await admin.fill('form[data-scope-form] input[name=reason]', 'rack move in Beijing');
    await admin.fill('form[data-scope-form] input[name=until]', new Date(Date.now() + 6 * 3_600_000).toISOString().slice(0, 16));
    await Promise.all([admin.waitForURL(/done=added-\d+/), admin.click('form[data-scope-form] button[type=submit]')]);
    const id = Number(/added-(\d+)/.exec(admin.url())![1]);
    const row = admin.locator(`tr[data-entry="${id}"]`);
    assert.match(await row.innerText(), /dc\s+idc-beijing-ct\s+rack move in Beijing/);

    await Promise.all([admin.waitForURL(`${w.url}/whitelist/${id}/edit`), row.getByRole('link', { name: 'Edit' }).click()]);
    await admin.fill('input[name=reason]', 'rack move in Beijing, extended');
    await admin.fill('input[name=why]', 'vendor is late');
    await Promise.all([admin.waitForURL(/done=updated-/), admin.click('button[type=submit].primary')]);
    assert.match(await row.innerText(), /rack move in Beijing, extended/);

    await row.locator('input[name=why]').fill('move finished');
    await Promise.all([admin.waitForURL(/done=deleted-/), row.getByRole('button', { name: 'Delete' }).click()]);
    assert.equal(await admin.locator(`tr[data-entry="${id}"]`).count(), 0);
    const audit = await admin.locator('table.audit tbody tr').allInnerTexts();
    const mine = audit.filter((r) => r.includes(`#${id}`));
    assert.equal(mine.length, 3);
    assert.match(mine[0]!, /admin\s+delete\s+#\d+\s+dc idc-beijing-ct.*move finished/);
    assert.match(mine[1]!, /admin\s+update\s+#\d+\s+dc idc-beijing-ct: reason .* → “rack move in Beijing, extended”\s+vendor is late/);
    assert.match(mine[2]!, /admin\s+create\s+#\d+\s+dc idc-beijing-ct until .*rack move in Beijing/);
  });

  await t.test('a viewer sees the whitelist but cannot write it', async () => {
    const entry = await w.admin.addWhitelist({ vip: vip1!.ip, dc: null, business: null, reason: 'known flaky', until: null }, ADMIN.user, 'known flaky');
    const viewer = await (await browser.newContext()).newPage();
    await logIn(viewer, w.url, VIEWER.user, VIEWER.password);
    await viewer.goto(`${w.url}/whitelist`);
    assert.equal(await viewer.locator(`tr[data-entry="${entry.id}"]`).count(), 1);
    assert.equal(await viewer.locator('form[data-scope-form]').count(), 0);
    assert.equal(await viewer.locator('button.danger').count(), 0);
    assert.match(await viewer.textContent('main') ?? '', /changing it needs the admin role/);
    // Even a hand-made post with the viewer's own CSRF token is refused.
    const status = await viewer.evaluate(async (id) => {
      const csrf = (document.querySelector('input[name=_csrf]') as HTMLInputElement).value;
      const r = await fetch(`/whitelist/${id}/delete`, { method: 'POST', body: new URLSearchParams({ _csrf: csrf, why: 'x' }) });
      return r.status;
    }, entry.id);
    assert.equal(status, 403);
    assert.equal((await viewer.goto(`${w.url}/whitelist/${entry.id}/edit`))!.status(), 403);
    assert.equal((await w.admin.listWhitelist()).length, 1);
    await viewer.context().close();
  });

  await t.test('the whitelist shows expired entries as such, with the audit log', async () => {
    const gone = await w.admin.addWhitelist({ vip: null, dc: null, business: 'video', reason: 'launch week', until: new Date(Date.now() - 3_600_000).toISOString() }, ADMIN.user, 'launch week');
    await admin.goto(`${w.url}/whitelist`);
    const row = admin.locator(`tr[data-entry="${gone.id}"]`);
    assert.match(await row.getAttribute('class') ?? '', /expired/);
    assert.match(await row.innerText(), /business\s+video\s+launch week[\s\S]*expired/);
    await admin.fill('form.search input[name=q]', 'video');
    await Promise.all([admin.waitForURL(/q=video/), admin.click('form.search button')]);
    assert.equal(await admin.locator('table.whitelist tbody tr').count(), 1);
    await admin.goto(`${w.url}/whitelist`);
    await admin.screenshot({ path: `${ARTIFACTS}web-whitelist.png`, fullPage: true });
  });

  await t.test('an injected fault shows on the faults page, root first with its children folded', async () => {
    const start = new Date(cur - 6 * MIN).toISOString().replace('.000Z', 'Z');
    const detected = new Date(cur - 4 * MIN).toISOString().replace('.000Z', 'Z');
    const dc = ep({ type: 'dc', key: 'idc-beijing-ct', start, detectedAt: detected, isps: ['ct', 'cu'], provinces: ['guangdong', 'hunan', 'sichuan'], dcs: ['idc-beijing-ct'], vips: [vip1!.ip, vip2!.ip], businesses: [vip1!.business, vip2!.business] });
    const children = [vip1!, vip2!].map((v) => ep({ type: 'vip', key: v.ip, start, detectedAt: detected, isps: ['ct', 'cu'], provinces: ['guangdong', 'hunan'], dcs: [v.dc], vips: [v.ip], businesses: [v.business], parent: dc.id }));
    const past = ep({ type: 'agent', key: 'cdn-hebei-cm-1-001', start: new Date(cur - 90 * MIN).toISOString(), end: new Date(cur - 70 * MIN).toISOString(), isps: ['cm'], provinces: ['hebei'] });
    const alert: EpisodeEvent = { at: detected, kind: 'alert', detail: { to: ['oncall-search@example.com', 'netops@example.com'], subject: 'DC fault idc-beijing-ct opened' } };
    await w.faults.upsert([
      { episode: dc, events: [{ at: detected, kind: 'open' }, alert] },
      ...children.map((episode) => ({ episode, events: [{ at: detected, kind: 'open' as const }] })),
      { episode: past, events: [{ at: past.start, kind: 'open' }, { at: past.end!, kind: 'close' }] },
    ]);
    await admin.goto(`${w.url}/faults`);
    const roots = admin.locator('.faults > .fault');
    assert.equal(await roots.count(), 2);
    const root = roots.first();
    assert.match(await root.locator('summary').innerText(), /DC\s+idc-beijing-ct\s+open[\s\S]*2 child faults[\s\S]*alerted 1 message to oncall-search@example.com, netops@example.com/i);
    assert.equal(await root.locator('table.children').isVisible(), false);
    await root.locator('summary').click();
    assert.equal(await root.locator('table.children tbody tr').count(), 2);
    assert.match(await roots.nth(1).innerText(), /Agent\s+cdn-hebei-cm-1-001\s+closed/i);
    await admin.screenshot({ path: `${ARTIFACTS}web-faults.png`, fullPage: true });

    await Promise.all([admin.waitForURL(/\/faults\/dc%3Aidc-beijing-ct%40/), root.locator('a.key').click()]);
    const timeline = await admin.locator('ol.timeline').innerText();
    assert.match(timeline, /start\s+condition began[\s\S]*open\s+fault opened[\s\S]*alert\s+alert to oncall-search@example.com, netops@example.com/);
    assert.match(await admin.locator('main').innerText(), /Child faults \(2\)/);
    await admin.screenshot({ path: `${ARTIFACTS}web-fault.png`, fullPage: true });
  });

  await t.test('the board follows new records and faults live, without a reload', async () => {
    await admin.goto(`${w.url}/board`);
    await admin.waitForSelector('#live-state[data-state=live]');
    const cell = admin.locator('td.cell[data-key="guangdong/ct"]');
    assert.match(await cell.getAttribute('class') ?? '', /lv-ok/);
    assert.match(await admin.locator('#live-faults').innerText(), /idc-beijing-ct/);
    await admin.evaluate(() => { (window as unknown as { marker: number }).marker = 42; });

    await w.series.write(groupRecords(w.catalog, minutes.slice(-3), (g, m) => (g === 'guangdong/ct' ? { sent: 20, recv: 7, rtt: 48 } : normal(g, m))));
    await w.faults.upsert([{ episode: ep({ type: 'region', key: 'guangdong/ct', start: new Date(minutes.at(-3)!).toISOString().replace('.000Z', 'Z'), isps: ['ct'], provinces: ['guangdong'] }), events: [] }]);
    await admin.waitForFunction(() => document.querySelector('td.cell[data-key="guangdong/ct"]')!.classList.contains('lv-bad'), null, { timeout: 10_000 });
    assert.equal(await cell.locator('.loss').innerText(), '65%');
    await admin.waitForFunction(() => document.getElementById('live-faults')!.textContent!.includes('guangdong/ct'), null, { timeout: 10_000 });
    assert.equal(await admin.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the page was not reloaded');
    await admin.waitForTimeout(600); // let the cell's colour transition finish before the screenshot
    await admin.screenshot({ path: `${ARTIFACTS}web-board.png`, fullPage: true });

    const vipPage = await admin.goto(`${w.url}/vips/${encodeURIComponent([...w.catalog.vips.keys()][0]!)}`);
    assert.equal(vipPage!.status(), 200);
    await admin.click('details.figures-box > summary');
    const rows = await admin.locator('table.figures tbody tr').allInnerTexts();
    assert.equal(rows.length, w.catalog.groups.size);
    assert.match(rows[0]!, /^Guangdong\s+ct\s+/);
  });
});
