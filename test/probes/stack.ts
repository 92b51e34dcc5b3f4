// The whole on-demand path in one process for tests: gateway (with its job board), web part (job API, probes page),
// job store and the other stores on SQLite in a temp dir, an inventory file, users with API tokens (admin,
// operator, viewer), and optionally the simulated fleet (real agents on the "sim" probe backend).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlertOutbox } from '../../analyzer/alerting/outbox/index.js';
import { startAnalyzer, type RunningAnalyzer } from '../../analyzer/compose.js';
import { SimFleet } from '../../agent/sim/fleet.js';
import { parseConfig, type Config } from '../../core/config.js';
import { JobService } from '../../core/job-service.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import type { Inventory } from '../../core/model.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { createJobStore } from '../../core/store/job-backends.js';
import type { JobStore } from '../../core/store/jobs.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import { mountGateway, type Gateway } from '../../gateway/compose.js';
import { tokenFor } from '../../gateway/tokens.js';
import { mountWeb } from '../../web/compose.js';
import type { Registry } from 'prom-client';

export const SECRET = 'probe-test-secret-0123456789';
export type Who = 'admin' | 'operator' | 'viewer';

export interface Stack {
  url: string;
  cfg: Config;
  dir: string;
  gw: Gateway;
  jobs: JobStore;
  service: JobService;
  registry: Registry;
  fleet: SimFleet | null;
  analyzer: RunningAnalyzer | null;
  /** API tokens of the three users */
  tokens: Record<Who, string>;
  agentToken(host: string): string;
  stop(): Promise<void>;
}

export interface StackOptions {
  inventory: Inventory;
  config?: Record<string, unknown>;
  /** start the simulated fleet for these hosts (the others are left out) */
  fleetHosts?: string[];
  /** a data dir shared with another stack (a second replica on the same SQLite files) */
  dir?: string;
  /** false: jobs made here reach the gateway only through its store poll (as on another replica) */
  directHandOff?: boolean;
  /** run the live analyzer with alerting and path capture too */
  analyzer?: boolean;
  /** listen on this address (default 127.0.0.1), e.g. a veth end agents in namespaces reach */
  bind?: string;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const ownDir = !o.dir;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'vipwatch-probes-'));
  const inventoryFile = join(dir, 'inventory.json');
  writeFileSync(inventoryFile, JSON.stringify(o.inventory));
  const fleetHosts = new Set(o.fleetHosts ?? []);
  const cfg = parseConfig({
    dataDir: dir, logLevel: 'silent', secret: SECRET, inventory: inventoryFile,
    web: { adminUser: 'admin', adminPassword: 'admin-pass-123' },
    sim: { exclude: o.inventory.hosts.map((h) => h.id).filter((h) => !fleetHosts.has(h)), incident: { minutes: 0 }, spikes: { everyMinutes: 0 }, lossPct: 0 },
    ...o.config,
  }, 'probe test config');
  const log = createLogger('silent', 'probes-test');
  const registry = createRegistry();
  const admin = createAdminStore(cfg, log), faults = createFaultStore(cfg, log), series = createSeriesStore(cfg, log);
  const outbox = createAlertOutbox(cfg, log);
  // the alerter opens the outbox when the analyzer runs; otherwise the outbox page needs it open
  await Promise.all([admin.init(), faults.init(), series.init(), ...(o.analyzer ? [] : [outbox.init()])]);
  const jobs = createJobStore(cfg, log);
  await jobs.init();
  const app = createHttpApp(log, registry, {});
  const gw = mountGateway(app, cfg, log, registry, { series, jobs });
  const service = new JobService({
    store: jobs, catalog: () => gw.state.current.catalog, cfg: cfg.probes, now: Date.now, log,
    ...(o.directHandOff === false ? {} : { onCreated: (j) => gw.board.add(j) }),
  });
  const web = await mountWeb(app, { admin, faults, series, catalog: () => gw.state.current.catalog, config: cfg, log, registry, outbox, now: Date.now, probes: { service, store: jobs } });
  const access = web.router.access;
  await access.putUser('olga', 'operator', 'operator-pass-1');
  await access.putUser('vera', 'viewer', 'viewer-pass-12');
  const tokens: Record<Who, string> = {
    admin: await access.issueApiToken('admin', 'test'),
    operator: await access.issueApiToken('olga', 'test'),
    viewer: await access.issueApiToken('vera', 'test'),
  };
  const analyzer = o.analyzer
    ? await startAnalyzer({ cfg, log, registry, inventory: gw.inventory, series, faults, admin, outbox, jobs: service })
    : null;
  finishApp(app, log);
  const bind = o.bind ?? '127.0.0.1';
  const server = await listen(app, 0, bind);
  const url = `http://${bind}:${server.port}`;
  const fleet = fleetHosts.size
    ? new SimFleet({ cfg, catalog: gw.state.current.catalog, tokenOf: (h) => tokenFor(SECRET, h), log, registry: createRegistry() })
    : null;
  await fleet?.start(url);
  return {
    url, cfg, dir, gw, jobs, service, registry, fleet, analyzer, tokens,
    agentToken: (host) => tokenFor(SECRET, host),
    stop: async () => {
      await fleet?.stop();
      await analyzer?.stop();
      web.close();
      await server.close();
      await gw.stop();
      await Promise.all([admin.close(), faults.close(), series.close(), ...(analyzer ? [] : [outbox.close()]), jobs.close()]);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POST /api/v1/probes as a user (by API token). */
export async function postJob(s: Stack, who: Who | null, body: unknown): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null }> {
  const res = await fetch(`${s.url}/api/v1/probes`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(who ? { Authorization: `Bearer ${s.tokens[who]}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, retryAfter: res.headers.get('retry-after') };
}

export async function getJson(s: Stack, path: string, token: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}
