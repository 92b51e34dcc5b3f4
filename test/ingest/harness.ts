// A real gateway (core/http.ts app + gateway/compose.ts) on 127.0.0.1 port 0, and agents' result batches for it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { parseConfig, type Config } from '../../core/config.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import type { ResultRecord } from '../../core/model.js';
import { mountGateway, type Gateway } from '../../gateway/compose.js';
import { tokenFor } from '../../gateway/tokens.js';

export interface TestGateway {
  url: string;
  gw: Gateway;
  cfg: Config;
  registry: Registry;
  token(host: string): string;
  close(): Promise<void>;
}

/** Starts the gateway from config (built-in demo inventory unless cfg.inventory is set) on a fresh data dir. */
export async function startGateway(overrides: Record<string, unknown> = {}, now: () => number = Date.now): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vipwatch-ingest-'));
  const cfg = parseConfig({ secret: 'test-secret-0123456789', logLevel: 'silent', dataDir, ...overrides }, 'test');
  const log = createLogger(cfg.logLevel, 'gateway');
  const registry = createRegistry();
  const checks = {};
  const app = createHttpApp(log, registry, checks);
  const gw = mountGateway(app, cfg, log, registry, { checks, now });
  finishApp(app, log);
  const server = await listen(app, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${server.port}`,
    gw, cfg, registry,
    token: (host) => tokenFor(cfg.secret!, host),
    close: async () => {
      await server.close();
      await gw.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const isoMinute = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** One minute of a host's results: one record per task-list target, some with losses, a few with no reply. */
export function batchFor(t: TestGateway, host: string, minuteMs: number, seed = 0): ResultRecord[] {
  const list = t.gw.state.current.tasks.get(host);
  if (!list) throw new Error(`host ${host} has no task list`);
  return list.targets.map((target, i) => {
    const k = (i * 7 + seed * 13 + minuteMs / 60_000) % 23;
    const recv = k === 0 ? 0 : 20 - (k % 3);
    const r: ResultRecord = { ts: isoMinute(minuteMs), host, vip: target.vip, method: target.method, sent: 20, recv };
    if (recv > 0) Object.assign(r, { rttMin: 5 + k, rttAvg: 6.5 + k, rttMax: 9 + k });
    return r;
  });
}

export async function post(t: TestGateway, body: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${t.url}/api/v1/results`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try { json = JSON.parse(text) as Record<string, unknown>; } catch { json = { text }; }
  return { status: res.status, json, headers: res.headers };
}

/** Every record the store holds (the tests' row count). */
export const stored = (t: TestGateway) => t.gw.series.readRange(0, Date.now() + 86_400_000);

/** A host of the demo inventory whose plan gives it several VIPs. */
export function busyHosts(t: TestGateway, n: number): string[] {
  return [...t.gw.state.current.allowed.entries()].filter(([, v]) => v.size >= 2).slice(0, n).map(([h]) => h);
}
