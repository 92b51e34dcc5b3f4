// Charts, board views and the root-fault banner in a real Chromium against the real SQLite stores, with a DC outage
// like the demo's (idc-beijing-ct unreachable from ct and cu for the last 12 minutes) written as series records.
// Its screenshots go to a temp dir: the README's are taken during the demo incident (test/web/board-watch.ts, run by test/demo/start.test.ts).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FaultEpisode } from '../../core/model.js';
import type { StoredRecord } from '../../core/store/series.js';
import { skipUnless } from '../support/env.js';
import { ADMIN, startWeb, type TestWeb } from './harness.js';

const SHOTS = join(tmpdir(), `vipwatch-chart-shots-${process.pid}/`);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const hash = (s: string): number => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);

/** Every VIP from every group each minute; VIPs of `outDc` lose 95% from ct and cu from minute `outFrom` on. */
function records(w: TestWeb, minutes: number[], outDc: string, outFrom: number): StoredRecord[] {
  const out: StoredRecord[] = [];
  for (const [, hosts] of w.catalog.groups) {
    const host = hosts[0]!, dc = w.catalog.dcs.get(host.dc)!;
    for (const v of w.catalog.vips.values()) {
      for (const m of minutes) {
        const down = v.dc === outDc && dc.isp !== 'cm' && m >= outFrom;
        const rtt = 25 + (hash(`${dc.province}${v.ip}`) % 30) + (m / MIN) % 4;
        const recv = down ? 1 : 20;
        out.push({ ts: iso(m), host: host.id, vip: v.ip, method: 'icmp', sent: 20, recv, rttMin: rtt * 0.9, rttAvg: rtt, rttMax: rtt * 1.4, dc: dc.id, province: dc.province, isp: dc.isp, vipDc: v.dc, business: v.business });
      }
    }
  }
  return out;
}

const ep = (o: Partial<FaultEpisode> & Pick<FaultEpisode, 'type' | 'key' | 'start'>): FaultEpisode => ({
  id: `${o.type}:${o.key}`, detectedAt: o.start, end: null, isps: [], provinces: [], dcs: [], vips: [], businesses: [], parent: null, suppressed: false, signal: 'loss', ...o,
});

/** Per chart on the page: points per series that uPlot holds (non-null), and coloured canvas pixels. */
const drawn = (page: Page) => page.evaluate(() => {
  const charts = (window as unknown as { vipwatchCharts: Array<{ data: Array<Array<number | null>>; ctx: CanvasRenderingContext2D; root: HTMLElement }> }).vipwatchCharts;
  return charts.map((u) => {
    const canvas = u.root.querySelector('canvas')!;
    const img = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 0; i < img.length; i += 4) {
      const [r, g, b, a] = [img[i]!, img[i + 1]!, img[i + 2]!, img[i + 3]!];
      if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 80) coloured++;
    }
    return { points: u.data.slice(1).map((s) => s.filter((v) => v !== null && v !== undefined).length), coloured };
  });
});

test('charts, board views and the fault banner in Chromium', async (t) => {
  if (skipUnless(t, { commands: ['chromium'] })) return;
  mkdirSync(SHOTS, { recursive: true });
  const w = await startWeb({ timeZone: 'Asia/Shanghai' });
  t.after(() => w.stop());
  const browser: Browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  t.after(() => browser.close());
  const cur = Math.floor(Date.now() / MIN) * MIN;
  const minutes = Array.from({ length: 40 }, (_, i) => cur - (40 - i) * MIN);
  const outFrom = cur - 12 * MIN;
  const outDc = 'idc-beijing-ct';
  await w.series.write(records(w, minutes, outDc, outFrom));
  const vips = [...w.catalog.vips.values()].filter((v) => v.dc === outDc);
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${w.url}/login`);
  await page.fill('input[name=user]', ADMIN.user);
  await page.fill('input[name=password]', ADMIN.password);
  await Promise.all([page.waitForURL(/\/board/), page.click('button[type=submit]')]);

  const dc = ep({ type: 'dc', key: outDc, start: iso(outFrom), detectedAt: iso(outFrom + 4 * MIN), isps: ['ct', 'cu'], provinces: [...new Set([...w.catalog.dcs.values()].map((d) => d.province))], dcs: [outDc], vips: vips.map((v) => v.ip), businesses: [...new Set(vips.map((v) => v.business))] });
  const children = vips.map((v) => ep({ type: 'vip', key: v.ip, start: dc.start, detectedAt: dc.detectedAt, isps: ['ct', 'cu'], provinces: dc.provinces, dcs: [outDc], vips: [v.ip], businesses: [v.business], parent: dc.id }));

  await t.test('the banner names an open root fault and goes when it closes', async () => {
    await page.goto(`${w.url}/board`);
    await page.waitForSelector('#live-state[data-state=live]');
    assert.equal(await page.locator('#fault-banner').isVisible(), false);
    await w.faults.upsert([{ episode: dc, events: [{ at: dc.detectedAt, kind: 'open' }] }, ...children.map((episode) => ({ episode, events: [{ at: dc.detectedAt, kind: 'open' as const }] }))]);
    await page.waitForSelector('#fault-banner:visible', { timeout: 10_000 });
    const banner = await page.locator('#fault-banner').innerText();
    assert.match(banner, new RegExp(`Open root fault: DC fault ${outDc}.*${vips.length} child faults`));
    assert.equal(await page.locator('#fault-banner a').getAttribute('href'), `/faults/${encodeURIComponent(`${dc.id}@${dc.start}`)}`);
    // header counts carry words; the DC's outage makes ct and cu cells bad in the grid
    assert.match(await page.locator('#board-counts').innerText(), /\d+ bad\s+\d+ warning\s+\d+ ok\s+\d+ no data/);
    await page.waitForTimeout(400);
    await page.screenshot({ path: `${SHOTS}board-grid.png` });
  });

  await t.test('the board switches to the by-DC view (one bad row) and the map', async () => {
    await page.click('.view-tabs button[data-view=dc]');
    assert.equal(await page.locator('section.board-view[data-view=dc]').isVisible(), true);
    assert.equal(await page.locator('section.board-view[data-view=grid]').isVisible(), false);
    const row = page.locator(`.dc-matrix tr[data-dc="${outDc}"] td.cell`);
    assert.deepEqual(await row.evaluateAll((tds) => tds.map((td) => td.className)), ['cell lv-bad', 'cell lv-bad', 'cell lv-ok']);
    const others = await page.locator(`.dc-matrix tr:not([data-dc="${outDc}"]) td.cell.lv-bad`).count();
    assert.equal(others, 0, 'only the DC in trouble is red');
    await page.screenshot({ path: `${SHOTS}board-by-dc.png` });
    await page.click('.view-tabs button[data-view=map]');
    const tiles = page.locator('#tile-map .tile:visible');
    assert.equal(await tiles.count(), 31);
    await page.selectOption('#map-isp', 'cm');
    assert.equal(await page.locator('#tile-map .tile:visible.lv-ok').count(), 31);
    await page.selectOption('#map-isp', 'ct');
    assert.ok(await page.locator('#tile-map .tile:visible.lv-bad').count() > 0);
    await page.screenshot({ path: `${SHOTS}board-map.png` });
  });

  await t.test('a click on a cell drills down to that province x ISP against its VIPs', async () => {
    await page.click('.view-tabs button[data-view=grid]');
    await Promise.all([page.waitForURL(/\/board\/drill\?province=guangdong&isp=ct/), page.click('td.cell[data-key="guangdong/ct"]')]);
    await page.waitForSelector('body[data-charts="1"]');
    const [chart] = await drawn(page);
    assert.ok(chart!.points.every((n) => n > 0), `every series has points: ${chart!.points}`);
    assert.ok(chart!.coloured > 500, `coloured pixels ${chart!.coloured}`);
    const first = await page.locator('table.drill tbody tr').first().innerText();
    assert.match(first, new RegExp(`${vips.map((v) => v.ip.replace(/\./g, '\\.')).join('|')}`), 'a VIP of the DC in trouble is worst');
  });

  await t.test('a VIP page has a summary and a chart per ISP with the fault shaded', async () => {
    await page.goto(`${w.url}/vips/${vips[0]!.ip}`);
    await page.waitForSelector('body[data-charts="1"]');
    assert.match(await page.locator('#vip-summary').innerText(), /in fault[\s\S]*China Telecom\s+9\d%\s+loss/);
    const [chart] = await drawn(page);
    // ct, cu, cm: slowest, fastest, median, loss each; 60 one-minute points in the default hour window, 40 with data
    assert.equal(chart!.points.length, 12);
    assert.ok(chart!.points.every((n) => n >= 39 && n <= 41), `points per series ${chart!.points}`);
    assert.ok(chart!.coloured > 1000, `coloured pixels ${chart!.coloured}`);
    assert.equal(await page.locator('details.figures-box table.figures').isVisible(), false, 'the per-province table is folded');
    await page.screenshot({ path: `${SHOTS}vip.png` });
    await page.goto(`${w.url}/vips/${vips[0]!.ip}?minutes=10080`);
    await page.waitForSelector('body[data-charts="1"]');
    assert.match(await page.locator('p.windows').innerText(), /one point per 1 h 0 min \(hourly rollup\)/);
  });

  await t.test('the VIP list says which VIPs are in fault', async () => {
    await page.goto(`${w.url}/vips`);
    const status = await page.locator('table.vips tbody tr').evaluateAll((trs) => Object.fromEntries(trs.map((tr) => [(tr as HTMLElement).dataset.vip, tr.querySelector('[data-status]')!.getAttribute('data-status')])));
    for (const v of w.catalog.vips.values()) assert.equal(status[v.ip], v.dc === outDc ? 'in fault' : 'ok', v.ip);
  });

  await t.test('the fault page charts the affected cells with start, detection and end', async () => {
    await page.goto(`${w.url}/faults/${encodeURIComponent(`${dc.id}@${dc.start}`)}`);
    await page.waitForSelector('body[data-charts="1"]');
    const text = await page.locator('main').innerText();
    assert.match(text, /detection delay 4 min after the start/);
    assert.match(text, /\(\d\d-\d\d \d\d:\d\d Asia\/Shanghai\)/, 'local time beside UTC');
    assert.match(text, /Guangdong/, 'province names as the board shows them');
    const [chart] = await drawn(page);
    assert.ok(chart!.points.filter((n) => n > 0).length >= 8, `series with points: ${chart!.points}`);
    await page.screenshot({ path: `${SHOTS}fault.png` });
  });

  await t.test('the banner goes when the root fault closes', async () => {
    await page.goto(`${w.url}/board`);
    await page.waitForSelector('#fault-banner:visible');
    const end = iso(cur);
    await w.faults.upsert([dc, ...children].map((e) => ({ episode: { ...e, end }, events: [{ at: end, kind: 'close' as const }] })));
    await page.waitForSelector('#fault-banner', { state: 'hidden', timeout: 10_000 });
  });

  await t.test('narrow screens still show the board and a chart; the outbox fits a 390 px phone', async () => {
    const narrow = await (await browser.newContext({ viewport: { width: 420, height: 860 }, storageState: await page.context().storageState() })).newPage();
    await narrow.goto(`${w.url}/vips/${vips[0]!.ip}`);
    await narrow.waitForSelector('body[data-charts="1"]');
    const width = await narrow.evaluate(() => document.querySelector('figure.chart canvas')!.getBoundingClientRect().width);
    assert.ok(width <= 420, `chart fits: ${width}`);
    await narrow.screenshot({ path: `${SHOTS}vip-narrow.png` });

    // the outbox on a 390 px phone: messages with the demo's long subjects and recipient lists fit without a sideways scroll
    const at = Date.parse('2026-11-30T18:41:30Z');
    const to = ['lead-video@example.com', 'oncall-video@example.com'];
    const deliveries = ['open', 'diagnosis', 'recovery'].map((kind, i) => ({
      id: `m${i}>eml`, messageId: `m${i}`, notifier: 'eml', group: `m${i}>eml`, order: String(i), deliverAt: at + i * MIN,
      subject: `[vipwatch critical] ${kind.toUpperCase()}: DC fault idc-beijing-ct (isps ct,cu; provinces anhui,beijing,chongqing +28 more; 2 VIPs of video)`,
      message: { id: `m${i}`, uid: `dc:idc-beijing-ct@${iso(at)}`, kind, severity: 'critical', at: at + i * MIN, to },
    }));
    await w.outbox.commit((await w.outbox.loadState()) ?? ({} as never), deliveries as never);
    const overflow = (p: Page) => p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    await narrow.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/board', '/outbox']) {
      await narrow.goto(`${w.url}${path}`);
      const o = await overflow(narrow);
      assert.ok(o.scroll <= o.client && o.client === 390, `${path} at 390 px: no sideways scroll (${JSON.stringify(o)})`);
    }
    const rows = await narrow.locator('table.outbox tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().right));
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r <= 390), `every message inside the screen: ${rows}`);
    // the head is hidden: the recipients cell carries its own label
    assert.equal(await narrow.locator('table.outbox thead').isVisible(), false);
    assert.equal(await narrow.locator('table.outbox td.recipients').first().evaluate((td) => getComputedStyle(td, '::before').content), '"To "');
    await narrow.screenshot({ path: `${SHOTS}outbox-narrow.png` });
    await narrow.context().close();
    // at 1440 x 900 the outbox stays a table: one row per message, its head shown
    await page.goto(`${w.url}/outbox`);
    assert.equal(await page.locator('table.outbox thead').isVisible(), true);
    assert.deepEqual(await page.locator('table.outbox tbody tr').evaluateAll((trs) => trs.map((tr) => getComputedStyle(tr).display)), ['table-row', 'table-row', 'table-row']);
    const wide = await overflow(page);
    assert.ok(wide.scroll <= wide.client, `outbox at 1440 px: ${JSON.stringify(wide)}`);
  });

  await t.test('an unknown page is an HTML 404 for browsers, JSON for the API; there is a favicon', async () => {
    const res = await page.goto(`${w.url}/no/such/page`);
    assert.equal(res!.status(), 404);
    assert.match(await page.locator('h1').innerText(), /Page not found/);
    const api = await fetch(`${w.url}/api/v1/nothing`, { headers: { Accept: 'text/html' } });
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type') ?? '', /json/);
    const icon = await fetch(`${w.url}/favicon.svg`);
    assert.equal(icon.status, 200);
    assert.match(await icon.text(), /<svg/);
  });

  assert.deepEqual(errors, [], 'no script errors on any page');
});
