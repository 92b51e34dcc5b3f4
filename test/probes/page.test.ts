// The probes page in Chromium against the simulated fleet (real agents on the "sim" backend): an operator starts
// an icmp job and watches its results arrive (a chart and a row per source), then a traceroute (a hop table per
// source ending at the VIP); a viewer sees no form. Screenshots go to test/artifacts/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { demoInventory } from '../../core/demo.js';
import { skipUnless } from '../support/env.js';
import { startStack } from './stack.js';

const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function logIn(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${url}/board`), page.click('button[type=submit]')]);
}

test('probes page: start a job, watch it arrive (chart, table, hop tables)', async (t) => {
  if (skipUnless(t, { commands: ['chromium'] })) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  const inventory = demoInventory({ dcsPerGroup: 1, hostsPerDc: 1, vipDcs: 2, vipsPerDc: 2 });
  const fleetHosts = inventory.hosts.slice(0, 30).map((h) => h.id);
  const s = await startStack({ inventory, fleetHosts, config: { probes: { intervalMs: 100 } } });
  t.after(() => s.stop());
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  t.after(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  await logIn(page, s.url, 'olga', 'operator-pass-1');
  await page.goto(`${s.url}/probes`);
  const vip = inventory.vips[0]!.ip;
  await page.fill('input[name=target]', vip);
  await page.selectOption('select[name=method]', 'icmp');
  await page.fill('input[name=sources]', '8');
  await page.fill('input[name=count]', '4');
  await page.fill('input[name=hosts]', fleetHosts.join(', '));
  await page.click('#probe-form button[type=submit]');
  await page.waitForFunction(() => /: done, 8 of 8 sources answered/.test(document.getElementById('probe-status')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.match(page.url(), /\/probes\?job=[A-Za-z0-9_-]+$/);
  assert.equal(await page.locator('#probe-results tbody tr').count(), 8);
  assert.equal(await page.locator('#probe-chart canvas').count(), 1, 'the uPlot chart is drawn');
  const cells = await page.locator('#probe-results tbody tr').first().locator('td').allTextContents();
  assert.ok(fleetHosts.includes(cells[0]!), cells.join(' | '));
  assert.deepEqual(cells.slice(1, 3), ['4', '4']);
  await page.screenshot({ path: `${ARTIFACTS}probes-icmp.png`, fullPage: true });

  await page.goto(`${s.url}/probes`);
  await page.fill('input[name=target]', vip);
  await page.selectOption('select[name=method]', 'traceroute');
  await page.fill('input[name=sources]', '3');
  await page.fill('input[name=hosts]', fleetHosts.join(', '));
  await page.click('#probe-form button[type=submit]');
  await page.waitForFunction(() => /: done, 3 of 3 sources answered/.test(document.getElementById('probe-status')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.equal(await page.locator('#probe-results h3').count(), 3);
  const lastHop = await page.locator('#probe-results table').first().locator('tbody tr').last().locator('td').nth(1).textContent();
  assert.equal(lastHop, vip, 'each hop table ends at the VIP');
  await page.screenshot({ path: `${ARTIFACTS}probes-traceroute.png`, fullPage: true });

  const viewer = await (await browser.newContext()).newPage();
  await logIn(viewer, s.url, 'vera', 'viewer-pass-12');
  await viewer.goto(`${s.url}/probes`);
  assert.equal(await viewer.locator('#probe-form').count(), 0);
  assert.match(await viewer.locator('main').textContent() ?? '', /needs the operator or admin role/);
});
