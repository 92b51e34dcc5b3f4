// Page and API response times with the real SQLite stores and 15 minutes of the demo inventory's records
// (every VIP from every province x ISP group each minute). Run: npm run bench:web
// Prints one line per path, then a summary on the last line.
import { buildCatalog } from '../../core/catalog.js';
import { demoInventory } from '../../core/demo.js';
import type { StoredRecord } from '../../core/store/series.js';
import { ADMIN, login, startWeb } from '../web/harness.js';

const MIN = 60_000, RUNS = 20;
const w = await startWeb();
try {
  const cat = buildCatalog(demoInventory());
  const cur = Math.floor(Date.now() / MIN) * MIN;
  const records: StoredRecord[] = [];
  for (let i = 1; i <= 15; i++) {
    const ts = new Date(cur - i * MIN).toISOString().replace('.000Z', 'Z');
    for (const hosts of cat.groups.values()) {
      cat.inventory.vips.forEach((v, j) => {
        const h = hosts[j % hosts.length]!, dc = cat.dcs.get(h.dc)!;
        records.push({ ts, host: h.id, vip: v.ip, method: 'icmp', sent: 20, recv: 19, rttMin: 20, rttAvg: 25 + (j % 7), rttMax: 40, dc: dc.id, province: dc.province, isp: dc.isp, vipDc: v.dc, business: v.business });
      });
    }
  }
  await w.series.write(records);
  const { cookie } = await login(w.url, ADMIN.user, ADMIN.password);
  const medians: string[] = [];
  for (const path of ['/board', '/faults', '/whitelist', `/vips/${cat.inventory.vips[0]!.ip}`, '/api/v1/faults?status=all']) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const res = await fetch(w.url + path, { headers: { Cookie: cookie } });
      await res.text();
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const median = times[RUNS / 2]!.toFixed(1);
    console.log(`${path}: median ${median} ms, max ${times[RUNS - 1]!.toFixed(1)} ms over ${RUNS} requests`);
    medians.push(`${path.split('?')[0]} ${median} ms`);
  }
  const agg: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await w.series.groupAggregates(Date.now() - 16 * MIN, Date.now() + MIN);
    agg.push(performance.now() - t0);
  }
  agg.sort((a, b) => a - b);
  console.log(`SeriesStore.groupAggregates over the board's window alone: median ${agg[RUNS / 2]!.toFixed(1)} ms`);
  medians.push(`groupAggregates alone ${agg[RUNS / 2]!.toFixed(1)} ms`);
  console.log(`web pages (${records.length} records in the window, median of ${RUNS}): ${medians.join(', ')}`);
} finally {
  await w.stop();
}

// The VIP page with 7 days of data for one VIP seen from 93 groups (one record per group and minute: 937,440
// records), rendered in Chromium: from navigation start until the chart has drawn. Median of 5 loads.
{
  const { chromium } = await import('playwright-core');
  const w7 = await startWeb();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const vip = [...w7.catalog.vips.values()][0]!;
    const cur = Math.floor(Date.now() / MIN) * MIN;
    let n = 0;
    for (let day = 0; day < 7; day++) {
      const batch: StoredRecord[] = [];
      for (let i = day * 1440 + 1; i <= (day + 1) * 1440; i++) {
        const ts = new Date(cur - i * MIN).toISOString().replace('.000Z', 'Z');
        for (const hosts of w7.catalog.groups.values()) {
          const h = hosts[0]!, dc = w7.catalog.dcs.get(h.dc)!;
          batch.push({ ts, host: h.id, vip: vip.ip, method: 'icmp', sent: 20, recv: i % 97 === 0 ? 15 : 20, rttMin: 20, rttAvg: 25 + (i % 13), rttMax: 40, dc: dc.id, province: dc.province, isp: dc.isp, vipDc: vip.dc, business: vip.business });
        }
      }
      await w7.series.write(batch);
      n += batch.length;
    }
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await page.goto(`${w7.url}/login`);
    await page.fill('input[name=user]', ADMIN.user);
    await page.fill('input[name=password]', ADMIN.password);
    await Promise.all([page.waitForURL(/\/board/), page.click('button[type=submit]')]);
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      await page.goto(`${w7.url}/vips/${vip.ip}?minutes=10080`);
      await page.waitForSelector('figure.chart[data-drawn]');
      if (i > 0) times.push(performance.now() - t0); // the first load warms the browser's cache of the scripts
    }
    const points = await page.evaluate(() => (window as unknown as { vipwatchCharts: Array<{ data: unknown[][] }> }).vipwatchCharts[0]!.data[0]!.length);
    times.sort((a, b) => a - b);
    console.log(`/vips/${vip.ip}?minutes=10080 in Chromium (${n} records, ${w7.catalog.groups.size} groups, ${points} hourly points): median ${times[2]!.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms over ${times.length} loads`);
    console.log(`VIP page, 7 days x ${w7.catalog.groups.size} groups, rendered in Chromium: median ${times[2]!.toFixed(0)} ms (target < 1000 ms)`);
  } finally {
    await browser.close();
    await w7.stop();
  }
}
