// The one inventory source (core/inventory-source.ts): a valid change reaches every subscriber, a bad edit is refused
// once for all (logged with file, entry and field) and the previous inventory stays; and, on the running pipeline
// (gateway + live analyzer sharing one source, real SQLite stores, short minutes), a VIP added to the file gets its
// records taken and its fault opened by the running analyzer, without a restart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { startAnalyzer } from '../../analyzer/compose.js';
import { parseConfig } from '../../core/config.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { InventorySource, inventorySource } from '../../core/inventory-source.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import type { Inventory } from '../../core/model.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import { mountGateway } from '../../gateway/compose.js';

const dir = mkdtempSync(join(tmpdir(), 'vipwatch-invsrc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Four provinces, one China Telecom DC and one host each; VIPs in the first DC. */
const inventory = (vips: string[]): Inventory => ({
  datacenters: ['beijing', 'shanghai', 'guangdong', 'hubei'].map((p) => ({ id: `dc-${p}`, province: p, isp: 'ct' })),
  hosts: ['beijing', 'shanghai', 'guangdong', 'hubei'].map((p, i) => ({ id: `h-${p}`, ip: `198.18.1.${i + 1}`, dc: `dc-${p}`, probe: true })),
  vips: vips.map((ip) => ({ ip, dc: 'dc-beijing', business: 'search' })),
  businesses: [{ name: 'search', owners: ['oncall@example.com'] }],
  isps: [],
});

/** A logger whose lines the test reads (what an operator sees). */
function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  return { log: pino({ level: 'info' }, stream), lines };
}

const waitUntil = async (what: string, timeoutMs: number, ok: () => boolean | Promise<boolean>): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('inventory source', () => {
  it('publishes a valid change; refuses a bad edit, naming file, entry and field, and keeps the previous inventory', async () => {
    const file = join(dir, 'unit.json');
    writeFileSync(file, JSON.stringify(inventory(['198.19.0.1'])));
    const { log, lines } = capturedLog();
    const source = new InventorySource({ file, log, watchMs: 50 });
    const seen: string[][] = [];
    source.subscribe((snap) => seen.push(snap.inventory.vips.map((v) => v.ip)));
    source.start();
    try {
      writeFileSync(file, JSON.stringify(inventory(['198.19.0.1', '198.19.0.2'])));
      await waitUntil('the change', 5000, () => seen.length === 1);
      assert.deepEqual(seen, [['198.19.0.1', '198.19.0.2']]);
      assert.equal(source.current.version, 2);
      assert.ok(source.current.catalog.vips.has('198.19.0.2'));

      const bad = inventory(['198.19.0.1', '198.19.0.2', '198.19.0.3']);
      bad.vips[2]!.dc = 'dc-atlantis';
      writeFileSync(file, JSON.stringify(bad));
      await waitUntil('the refusal in the log', 5000, () => lines.some((l) => l.msg === 'inventory change refused; the previous inventory stays in force'));
      const refusal = lines.find((l) => l.msg === 'inventory change refused; the previous inventory stays in force')!;
      assert.deepEqual(refusal.problems, [`${file}: vips[2] ("198.19.0.3"): dc: unknown datacenter "dc-atlantis"`]);
      assert.equal(seen.length, 1, 'subscribers never see a bad inventory');
      assert.equal(source.current.version, 2);
      assert.ok(!source.current.catalog.vips.has('198.19.0.3'), 'the previous inventory stays in force');
    } finally {
      source.stop();
    }
  });

  it('a bad file at start is an error naming file, entry and field', () => {
    const file = join(dir, 'bad.json');
    const bad = inventory(['198.19.0.1']);
    bad.hosts[0]!.dc = 'nowhere';
    writeFileSync(file, JSON.stringify(bad));
    assert.throws(() => new InventorySource({ file, log: createLogger('silent'), watchMs: 50 }), /bad\.json: hosts\[0\] \("h-beijing"\): dc: unknown datacenter "nowhere"/);
  });

  it('on the running pipeline a VIP added to the file is planned, ingested and its fault opened by the live analyzer', async () => {
    const dataDir = mkdtempSync(join(dir, 'pipeline-'));
    const file = join(dataDir, 'inventory.json');
    writeFileSync(file, JSON.stringify(inventory(['198.19.0.1', '198.19.0.2'])));
    const cfg = parseConfig({
      secret: 'test-secret-0123456789', logLevel: 'silent', dataDir, inventory: file, inventoryWatchMs: 100,
      // two-second minutes and a short grace, so that confirming a fault (3 lossy minutes of 5) takes seconds
      minuteSec: 2, analyzer: { graceSec: 0.5, rules: { baselineMinutes: 30, baselineMinSamples: 10 } },
    }, 'test');
    const log = createLogger(cfg.logLevel, 'test');
    const registry = createRegistry();
    const series = createSeriesStore(cfg, log), faults = createFaultStore(cfg, log), admin = createAdminStore(cfg, log);
    await Promise.all([series.init(), faults.init(), admin.init()]);
    const source = inventorySource(cfg, log);
    const app = createHttpApp(log, registry, {});
    const gw = mountGateway(app, cfg, log, registry, { series, admin, inventory: source });
    const analyzer = await startAnalyzer({ cfg, log, registry, inventory: source, series, faults, admin });
    source.start();
    finishApp(app, log);
    const server = await listen(app, 0, '127.0.0.1');
    const url = `http://127.0.0.1:${server.port}`;
    const added = '198.19.0.9';
    let posting = true;
    let poster: Promise<void> = Promise.resolve();
    try {
      await waitUntil('the analyzer\'s first minutes', 15_000, async () => (await faults.checkpoint()) !== null);
      const before = await fetch(`${url}/api/v1/results`, {
        method: 'POST', headers: { authorization: `Bearer ${gw.tokenFor('h-beijing')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ host: 'h-beijing', results: [{ ts: new Date(Math.floor(Date.now() / 2000) * 2000).toISOString(), host: 'h-beijing', vip: added, sent: 10, recv: 0 }] }),
      });
      assert.equal(before.status, 403, 'before the change the VIP is nobody\'s task');
      writeFileSync(file, JSON.stringify(inventory(['198.19.0.1', '198.19.0.2', added])));
      await waitUntil('the gateway to plan the new VIP', 5000, () => gw.state.current.catalog.vips.has(added));
      const pickedUp = Date.now();
      const hosts = [...gw.state.current.allowed].filter(([, vips]) => vips.has(added)).map(([h]) => h);
      assert.equal(hosts.length, 4, 'one host of each of the four groups probes it');

      // the agents: every minute from now on, the new VIP loses everything from every group
      const minuteMs = cfg.minuteSec * 1000;
      poster = (async () => {
        let last = 0;
        while (posting) {
          const m = Math.floor(Date.now() / minuteMs) * minuteMs;
          if (m > last) {
            last = m;
            const ts = new Date(m).toISOString().replace('.000Z', 'Z');
            for (const host of hosts) {
              const res = await fetch(`${url}/api/v1/results`, {
                method: 'POST', headers: { authorization: `Bearer ${gw.tokenFor(host)}`, 'content-type': 'application/json' },
                body: JSON.stringify({ host, results: [{ ts, host, vip: added, method: 'icmp', sent: 10, recv: 0 }] }),
              });
              assert.equal(res.status, 200, await res.text());
            }
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();

      let opened: { id: string; detectedAt: string } | undefined;
      await waitUntil('the VIP fault in the fault store', 60_000, async () => {
        opened = (await faults.list({ status: 'open' })).find((e) => e.id === `vip:${added}`);
        return opened !== undefined;
      });
      const tookMs = Date.now() - pickedUp;
      // fault rules need smoothNeed lossy minutes, then the grace: a few two-second minutes after the change
      assert.ok(tookMs < 60_000, `opened ${tookMs} ms after the change was picked up`);
      assert.ok(Date.parse(opened!.detectedAt) >= pickedUp - 2 * minuteMs, `detected at ${opened!.detectedAt}, after the change`);
    } finally {
      posting = false;
      await poster.catch(() => undefined);
      source.stop();
      await server.close();
      await analyzer.stop();
      await gw.stop();
      await Promise.all([series.close(), faults.close(), admin.close()]);
    }
  });
});
