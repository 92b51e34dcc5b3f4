// The live board through the demo's scripted DC outage, in a real Chromium, beside the demo test that runs
// `vipwatch start --speed 10` (test/demo/start.test.ts: one demo run serves both). The board is sampled every 500 ms
// from before the outage until its DC fault has closed; afterwards the samples are checked against the series store
// itself (the SQLite file, read directly): no cell is red unless its minute was complete (as many records as the
// store has for it in the end) and that complete minute is truly bad; the banner names the DC fault once it opens and
// goes once it closes. Takes the README's screenshots during the incident (web/screenshots/, 1440x900; the board
// also at 390 px).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseConfig } from '../../core/config.js';
import type { FaultEpisode } from '../../core/model.js';

const SHOTS = new URL('../../web/screenshots/', import.meta.url).pathname;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TH = parseConfig({}, 'defaults').web.board;
/** the demo's 60 s minute at --speed 10 */
const DEMO_MINUTE_MS = 6000;

export interface BoardSample { at: number; banner: string | null; open: boolean; closed: boolean; cells: Array<{ key: string; cls: string; title: string }> }

export interface BoardWatch {
  samples: BoardSample[];
  /** the screenshots were taken while the DC fault was open */
  shot: boolean;
  /** script errors on the board page */
  errors: string[];
  /** API reads that failed under load and were retried */
  failedFetches: number;
}

/** The cells the board draws red now (both views), and the banner's text when it shows. */
const sample = (page: Page) => page.evaluate(() => {
  const banner = document.getElementById('fault-banner')!;
  const cells = [...document.querySelectorAll<HTMLElement>('td.cell[data-key]')]
    .filter((td) => td.classList.contains('lv-bad'))
    .map((td) => ({ key: td.dataset.key!, cls: td.className, title: td.title }));
  return { banner: banner.hidden ? null : banner.innerText, cells };
});

/**
 * Logs in as admin and samples the board every 500 ms until the DC fault `dcId` has closed and the banner has had
 * 15 s to go, or until `deadline` (ms since the epoch). `alive` says why the demo is gone when a read fails.
 */
export async function watchBoard(o: { url: string; dir: string; dcId: string; deadline: number; alive: () => string | null }): Promise<BoardWatch> {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    // generous waits: the demo's 372 agents share the machine with the test and Chromium
    ctx.setDefaultTimeout(60_000);
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${o.url}/login`);
    await page.fill('input[name=user]', 'admin');
    await page.fill('input[name=password]', readFileSync(join(o.dir, 'web-admin-password'), 'utf8').trim());
    await Promise.all([page.waitForURL(/\/board/), page.click('button[type=submit]')]);
    await page.waitForSelector('#live-state[data-state=live]');

    // a fetch that fails under load (2 shared cores, 372 agents) keeps the last answer; the process must still be up
    let lastList: FaultEpisode[] = [];
    let failedFetches = 0;
    const faults = async (): Promise<FaultEpisode[]> => {
      try {
        lastList = (await (await fetch(`${o.url}/api/v1/faults?status=all`, { signal: AbortSignal.timeout(15_000) })).json()) as FaultEpisode[];
      } catch (e) {
        failedFetches++;
        const gone = o.alive();
        assert.equal(gone, null, `vipwatch start ${gone}: ${(e as Error).message}`);
      }
      return lastList;
    };
    const samples: BoardSample[] = [];
    let shot = false;
    for (let closedAt: number | null = null; Date.now() < o.deadline;) {
      const t0 = Date.now();
      const [s, list] = await Promise.all([sample(page), faults()]);
      const dc = list.find((f) => f.id === o.dcId);
      samples.push({ at: t0, ...s, open: !!dc && dc.end === null, closed: !!dc?.end });
      if (dc?.end && closedAt === null) closedAt = t0;
      if (closedAt !== null && s.banner === null && t0 - closedAt > 2000) break;
      if (closedAt !== null && t0 - closedAt > 15_000) break;
      // pictures once the DC fault is open and a banner shows (another root fault, e.g. an agent's, may come first)
      if (!shot && dc && dc.end === null && s.banner !== null) {
        shot = true;
        await screenshots(page, o.url, dc, browser);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 500 - (Date.now() - t0))));
    }
    return { samples, shot, errors, failedFetches };
  } finally {
    await browser.close();
  }
}

/** The banner named the DC fault while it was open (within a few seconds) and went once it had closed. */
export function checkBanner(samples: BoardSample[], dc: string): void {
  const firstOpen = samples.findIndex((s) => s.open);
  const firstBanner = samples.findIndex((s) => s.banner?.includes(`DC fault ${dc}`));
  assert.ok(firstOpen >= 0 && firstBanner >= 0, 'seen open, and in the banner');
  // the board pushes every refreshSec (5 s / speed 10, at least 1 s): the banner follows within a few seconds
  assert.ok(samples[firstBanner]!.at - samples[firstOpen]!.at < 8000, `banner ${(samples[firstBanner]!.at - samples[firstOpen]!.at) / 1000} s after the API showed the fault`);
  assert.ok(samples.slice(0, Math.max(0, firstOpen - 8)).every((s) => s.banner === null), 'no banner well before the fault opened');
  const firstClosed = samples.findIndex((s) => s.closed);
  const gone = samples.findIndex((s, i) => i >= firstClosed && s.banner === null);
  assert.ok(gone >= 0, 'the banner went after the fault closed');
  assert.ok(samples[gone]!.at - samples[firstClosed]!.at < 8000, `banner gone ${(samples[gone]!.at - samples[firstClosed]!.at) / 1000} s after the close`);
}

/** The minute a cell's title names ("... in the minute of 14:05:06Z"), on the day that puts it just before `at`. */
function minuteOf(title: string, at: number): number {
  const m = / in the minute of (\d\d):(\d\d)(?::(\d\d))?Z/.exec(title);
  assert.ok(m, `a drawn cell names its minute: ${title}`);
  const day = new Date(at);
  let t = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), Number(m[1]), Number(m[2]), Number(m[3] ?? 0));
  if (t > at) t -= 86_400_000;
  return t;
}

const levelOf = (rtt: number | null, loss: number): string =>
  (loss >= TH.lossBadPct || (rtt !== null && rtt >= TH.rttBadMs) ? 'bad' : loss >= TH.lossWarnPct || (rtt !== null && rtt >= TH.rttWarnMs) ? 'warn' : 'ok');

/**
 * Every red (cell, minute) the board drew was a complete minute (the records its title names are all the store has
 * for it in the end) and bad by the thresholds in the store. Returns how many distinct pairs were checked.
 */
export function checkRedCells(samples: BoardSample[], seriesFile: string): number {
  const db = new Database(seriesFile, { readonly: true, fileMustExist: true });
  try {
    const group = db.prepare('SELECT COUNT(*) AS n, SUM(sent) AS sent, SUM(recv) AS recv, AVG(rtt_avg) AS rtt FROM probe WHERE ts = ? AND province = ? AND isp = ?');
    const byDc = db.prepare('SELECT COUNT(*) AS n, SUM(sent) AS sent, SUM(recv) AS recv, AVG(rtt_avg) AS rtt FROM probe WHERE ts = ? AND vip_dc = ? AND isp = ?');
    const loss = (sent: number, recv: number) => (sent > 0 ? (100 * (sent - recv)) / sent : 100);
    const seen = new Set<string>();
    for (const s of samples) {
      for (const c of s.cells) {
        const minute = minuteOf(c.title, s.at);
        const id = `${c.key}@${minute}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const dcCell = c.key.startsWith('dc:');
        const [a, isp] = (dcCell ? c.key.slice(3) : c.key).split('/') as [string, string];
        const f = (dcCell ? byDc : group).get(minute, a, isp) as { n: number; sent: number; recv: number; rtt: number | null };
        const drawn = Number(/ over (\d+) records/.exec(c.title)?.[1]);
        const before = dcCell ? [] : [1, 2, 3].map((k) => (group.get(minute - k * DEMO_MINUTE_MS, a, isp) as { n: number }).n);
        assert.equal(drawn, f.n, `${id}: drawn red from ${drawn} records ${((s.at - minute) / 1000).toFixed(1)} s after the minute began; the store has ${f.n}${before.length ? ` (the 3 minutes before: ${before.join(', ')})` : ''}`);
        assert.equal(levelOf(f.rtt, loss(f.sent, f.recv)), 'bad', `${id}: red on the board, ${loss(f.sent, f.recv).toFixed(1)}% loss in the store`);
      }
    }
    return seen.size;
  } finally {
    db.close();
  }
}

/** The README's pictures of the incident: the board's three views, a VIP of the DC, the DC fault; the board narrow. */
async function screenshots(page: Page, url: string, dc: FaultEpisode, browser: Browser): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${SHOTS}board-grid.png` });
  await page.click('.view-tabs button[data-view=dc]');
  await page.screenshot({ path: `${SHOTS}board-by-dc.png` });
  await page.click('.view-tabs button[data-view=map]');
  await page.screenshot({ path: `${SHOTS}board-map.png` });
  await page.click('.view-tabs button[data-view=grid]');
  const other = await page.context().newPage();
  try {
    await other.goto(`${url}/vips/${dc.vips[0]}?minutes=15`);
    await other.waitForSelector('body[data-charts="1"]');
    await other.screenshot({ path: `${SHOTS}vip.png` });
    await other.goto(`${url}/faults/${encodeURIComponent(`${dc.id}@${dc.start}`)}`);
    await other.waitForSelector('body[data-charts="1"]');
    await other.screenshot({ path: `${SHOTS}fault.png` });
  } finally {
    await other.close();
  }
  // a phone-sized window: the board's cookies come along in a context of its own
  const narrow = await (await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await page.context().storageState() })).newPage();
  try {
    await narrow.goto(`${url}/board`);
    await narrow.waitForSelector('#live-state[data-state=live]');
    await narrow.screenshot({ path: `${SHOTS}board-narrow.png` });
  } finally {
    await narrow.context().close();
  }
}
