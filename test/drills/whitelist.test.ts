// End to end: a whitelist entry made through the web API suppresses a fault in the running analyzer. Real processes
// (`vipwatch analyzer`, `vipwatch web`) on real stores: InfluxDB (series), MariaDB (admin store: users, tokens,
// whitelist), SQLite (fault store, shared by the two processes), and a real SMTP server. The test plays the fleet:
// every minute it writes each agent host's records into InfluxDB, with every probe lost to the VIPs it breaks.
// An admin API token (from `vipwatch user token`) adds {"dc": "vip-zj"} through POST /api/v1/whitelist; then two DCs
// break at once: vip-gd (the control: not whitelisted, must be alerted) and vip-zj (whitelisted: its fault must be
// recorded as suppressed, in the fault store and the API, and no message about it may reach the SMTP server).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isoTime } from '../../analyzer/engine/episodes.js';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import type { StoredRecord } from '../../core/store/series.js';
import { missing } from '../support/env.js';
import { startInfluxd } from '../support/influxd.js';
import { mariadbDatabase, stopMariadb } from '../support/mariadb.js';
import { freePort } from '../support/ports.js';
import { startSmtp } from '../support/smtp.js';
import { checkMail, expectedForDc, kindOf } from './mail.js';
import { answers200, CrashWatch, ROOT, VipwatchProc } from './procs.js';
import { inventoryOf, NETWORK_TEAM, VIP_DCS } from './system.js';

const MINUTE_SEC = 5;
const MINUTE_MS = MINUTE_SEC * 1000;
const ADMIN_PASSWORD = 'drill-admin-pass-123';
const CONTROL = VIP_DCS[0]; // vip-gd: search, video
const LISTED = VIP_DCS[1]; // vip-zj: pay, video
const ipsOf = (d: (typeof VIP_DCS)[number]): string[] => d.vips.map(([ip]) => ip as string);
// two more VIP DCs, so that two broken DCs (6 of 15 VIPs) leave every province lossy to fewer than half of its VIPs:
// DC faults, no ISP fault
const DCS = [...VIP_DCS,
  { id: 'vip-hb', province: 'hubei', isp: 'ct', vips: [['198.19.4.1', 'search'], ['198.19.4.2', 'video'], ['198.19.4.3', 'search']] },
  { id: 'vip-hn', province: 'hunan', isp: 'cu', vips: [['198.19.5.1', 'video'], ['198.19.5.2', 'search'], ['198.19.5.3', 'video']] },
] as const;

interface ApiEpisode { id: string; suppressed: boolean; end: string | null }

test('a whitelist entry made through the web API suppresses a fault in the running analyzer: recorded as suppressed, no email',
  { skip: missing({ commands: ['influxd'] }) ?? false, timeout: 4 * 60_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vipwatch-drill-wl-'));
    t.after(() => { if (!process.env.DRILL_KEEP_LOGS) rmSync(dir, { recursive: true, force: true }); });
    const influxd = await startInfluxd();
    t.after(() => influxd.stop());
    const smtp = await startSmtp();
    t.after(() => smtp.stop());
    const db = await mariadbDatabase(t);
    if (!db) throw new Error('no MariaDB for the drill');
    t.after(async () => { await db.close(); await stopMariadb(); });

    const inventory = inventoryOf(DCS);
    const inventoryFile = join(dir, 'inventory.json');
    writeFileSync(inventoryFile, JSON.stringify(inventory));
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const series = { backend: 'influx', influx: { url: influxd.url, database: 'vipwatch' } };
    const base = {
      minuteSec: MINUTE_SEC, secret: 'drill-secret-0123456789abcdef', inventory: inventoryFile, series, dataDir, logLevel: 'info',
      admin: { backend: 'mysql', mysql: { url: db.url } },
      web: { adminUser: 'admin', adminPassword: ADMIN_PASSWORD },
      // a short baseline: the analyzer's start reads it back minute by minute
      analyzer: { graceSec: 2, rules: { baselineMinutes: 30, baselineMinSamples: 10 } },
      alerting: {
        from: 'vipwatch drill <vipwatch@drill.example>', networkTeam: [NETWORK_TEAM], timeZone: 'UTC',
        smtp: { host: '127.0.0.1', port: smtp.port, starttls: 'off', timeoutMs: 3000 },
        outbox: { pollMs: 300, retryBaseMs: 200, retryMaxMs: 2000 },
      },
    };
    const configFile = async (name: string) => {
      const port = await freePort();
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify({ ...base, port, bind: '127.0.0.1' }));
      return { file, url: `http://127.0.0.1:${port}` };
    };
    const [an, web] = [await configFile('analyzer'), await configFile('web')];
    const watch = new CrashWatch();
    const webProc = new VipwatchProc('web', ['web', '--config', web.file], { logDir: dir, watch });
    t.after(() => webProc.kill('SIGKILL'));
    const analyzer = new VipwatchProc('analyzer', ['analyzer', '--config', an.file], { logDir: dir, watch });
    t.after(() => analyzer.kill('SIGKILL'));

    // the fleet: one record per (host, VIP) each minute, written just after the minute ends (before the grace is over)
    const cfg = parseConfig({ ...base }, 'drill');
    const store = createSeriesStore(cfg, createLogger('silent'));
    await store.init();
    t.after(() => store.close());
    const broken = new Set<string>();
    const dcOf = new Map(inventory.datacenters.map((d) => [d.id, d]));
    const minuteRecords = (m: number): StoredRecord[] => inventory.hosts.flatMap((h) => inventory.vips.map((v) => {
      const lost = broken.has(v.ip);
      const src = dcOf.get(h.dc)!;
      return {
        ts: isoTime(m), host: h.id, vip: v.ip, method: 'icmp' as const, sent: 10, recv: lost ? 0 : 10,
        ...(lost ? {} : { rttMin: 30, rttAvg: 31, rttMax: 33 }),
        dc: h.dc, province: src.province, isp: src.isp, vipDc: v.dc, business: v.business,
      };
    }));
    let fleetError: Error | null = null;
    let stop = false;
    const fleet = (async () => {
      // bounded: at most 60 minutes (5 min of wall time), or until the test ends
      for (let i = 0; i < 60 && !stop; i++) {
        await new Promise((r) => setTimeout(r, MINUTE_MS - (Date.now() % MINUTE_MS) + 300));
        if (stop) break;
        await store.write(minuteRecords(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - MINUTE_MS));
      }
    })().catch((e: Error) => { fleetError = e; });
    t.after(async () => { stop = true; await fleet; });

    await Promise.all([
      webProc.startReady(() => answers200(`${web.url}/healthz`)),
      analyzer.startReady(() => answers200(`${an.url}/healthz`)),
    ]);
    // an admin API token from the command line, as an operator would make one
    const token = execFileSync(process.execPath, ['--no-warnings', join(ROOT, 'bin/vipwatch.js'), 'user', 'token', 'admin', '--config', web.file],
      { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').at(-1)!;
    const made = await fetch(`${web.url}/api/v1/whitelist`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dc: LISTED.id, reason: 'drill: planned maintenance' }),
    });
    const entry = await made.json() as Record<string, unknown>;
    assert.equal(made.status, 201, JSON.stringify(entry));
    t.diagnostic(`whitelist entry made through the web API: ${JSON.stringify(entry)}`);

    const brokeAt = Date.now();
    for (const ip of [...ipsOf(CONTROL), ...ipsOf(LISTED)]) broken.add(ip);
    const faultsNow = async (): Promise<ApiEpisode[]> => (await fetch(`${web.url}/api/v1/faults?status=all`)).json() as Promise<ApiEpisode[]>;
    const controlMail = expectedForDc(CONTROL);
    await watch.until(async () => {
      if (fleetError) throw fleetError;
      const open = (await faultsNow()).map((e) => e.id);
      return open.includes(`dc:${LISTED.id}`) && smtp.received.filter((m) => kindOf(m) === 'open').length >= controlMail.length;
    }, 40 * MINUTE_MS, `the DC faults of ${CONTROL.id} and ${LISTED.id} and the control's alerts`);
    const seenAt = Date.now();
    await watch.sleep(3 * MINUTE_MS); // a message about the whitelisted fault (late, or a follow-up) would arrive here
    assert.equal(fleetError, null);

    const episodes = await faultsNow();
    const listedApi = episodes.find((e) => e.id === `dc:${LISTED.id}`);
    const controlApi = episodes.find((e) => e.id === `dc:${CONTROL.id}`);
    const faultStore = createFaultStore(cfg, createLogger('silent'));
    await faultStore.init();
    const stored = await faultStore.list({ status: 'all' });
    await faultStore.close();
    const listedStored = stored.filter((e) => e.dcs.includes(LISTED.id) || e.vips.some((v) => ipsOf(LISTED).includes(v)));
    const aboutListed = smtp.received.filter((m) => [LISTED.id, ...ipsOf(LISTED)].some((x) => m.decoded.includes(x)) || m.to.includes('pay@drill.example'));
    t.diagnostic(`two DCs broken: faults opened and the control alerted ${((seenAt - brokeAt) / 1000).toFixed(1)} s after the break; `
      + `API: dc:${LISTED.id} suppressed ${String(listedApi?.suppressed)}, dc:${CONTROL.id} suppressed ${String(controlApi?.suppressed)}; `
      + `fault store: ${listedStored.length} episodes of ${LISTED.id} (suppressed: ${listedStored.map((e) => `${e.id}=${e.suppressed}`).join(' ')}); `
      + `messages received ${smtp.received.length} (${smtp.received.map((m) => `${m.to.join('+')}: ${m.headers.get('subject')}`).join(' | ')}), about ${LISTED.id}: ${aboutListed.length}`);

    assert.equal(controlApi?.suppressed, false, 'the control fault is not suppressed');
    assert.deepEqual(checkMail(smtp.received, 'open', CONTROL.id, controlMail), [], 'the control fault is alerted as usual');
    assert.equal(listedApi?.suppressed, true, `the whitelisted DC's fault shows suppressed in the API (${JSON.stringify(listedApi)})`);
    assert.ok(listedStored.some((e) => e.id === `dc:${LISTED.id}`), 'the whitelisted DC fault is recorded in the fault store');
    assert.ok(listedStored.every((e) => e.suppressed), 'every fault of the whitelisted DC is suppressed in the fault store');
    assert.deepEqual(aboutListed.map((m) => m.headers.get('subject')), [], 'no message about the whitelisted DC reached the SMTP server');
    watch.check();
  });
