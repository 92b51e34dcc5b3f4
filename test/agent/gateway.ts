// A real gateway for agent tests (core/http.ts app + gateway/compose.ts, embedded sqlite series store), with an
// inventory file of one agent host and the given VIPs; it can be stopped and started again on the same port and data.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { parseConfig, type Config } from '../../core/config.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import type { Vip } from '../../core/model.js';
import type { StoredRecord } from '../../core/store/series.js';
import { mountGateway, type Gateway } from '../../gateway/compose.js';
import { tokenFor } from '../../gateway/tokens.js';
import { freePort } from '../support/ports.js';

export const HOST = 'agent-test-1';
const SECRET = 'agent-test-secret-0123456789';

export interface TestGateway {
  url: string;
  dir: string;
  token: string;
  cfg: Config;
  /** registries of every run so far (a restart makes a new one) */
  registries: Registry[];
  running(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** rewrites the inventory's VIPs (the gateway re-reads the file) */
  setVips(vips: Omit<Vip, 'dc' | 'business'>[]): void;
  /** every stored record (opens the store when the gateway is stopped) */
  stored(): Promise<StoredRecord[]>;
  /** records accepted over every run, from the gateway's own counter */
  accepted(): Promise<number>;
  close(): Promise<void>;
}

export async function testGateway(vips: Omit<Vip, 'dc' | 'business'>[], overrides: Record<string, unknown> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-agent-gw-'));
  const inventory = join(dir, 'inventory.json');
  const write = (v: Omit<Vip, 'dc' | 'business'>[]) => writeFileSync(inventory, JSON.stringify({
    datacenters: [{ id: 'src-bj', province: 'beijing', isp: 'ct' }, { id: 'vip-sh', province: 'shanghai', isp: 'cu' }],
    hosts: [{ id: HOST, ip: '198.18.0.1', dc: 'src-bj' }],
    vips: v.map((x) => ({ ...x, dc: 'vip-sh', business: 'search' })),
    businesses: [{ name: 'search', owners: ['oncall@example.com'] }],
  }));
  write(vips);
  const port = await freePort();
  const cfg = parseConfig({ secret: SECRET, logLevel: 'silent', dataDir: join(dir, 'gw'), inventory, port, ...overrides }, 'agent test');
  const registries: Registry[] = [];
  let live: { gw: Gateway; close(): Promise<void> } | null = null;
  const t: TestGateway = {
    url: `http://127.0.0.1:${port}`,
    dir,
    token: tokenFor(SECRET, HOST),
    cfg,
    registries,
    running: () => live !== null,
    async start() {
      const log = createLogger(cfg.logLevel, 'gateway');
      const registry = createRegistry();
      registries.push(registry);
      const checks = {};
      const app = createHttpApp(log, registry, checks);
      const gw = mountGateway(app, cfg, log, registry, { checks });
      finishApp(app, log);
      const server = await listen(app, port, '127.0.0.1');
      live = { gw, close: async () => { await server.close(); await gw.stop(); } };
    },
    async stop() {
      const l = live;
      live = null;
      await l?.close();
    },
    setVips: write,
    async stored() {
      if (live) return live.gw.series.readRange(0, Date.now() + 86_400_000);
      await t.start();
      try { return await live!.gw.series.readRange(0, Date.now() + 86_400_000); } finally { await t.stop(); }
    },
    async accepted() {
      let n = 0;
      for (const r of registries) {
        const m = await r.getSingleMetric('vipwatch_ingest_records_total')?.get();
        n += m?.values.find((v) => v.labels.outcome === 'accepted')?.value ?? 0;
      }
      return n;
    },
    async close() {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await t.start();
  return t;
}
