// A real web part for tests: the SQLite admin, fault and series stores in a temp dir, a small demo inventory,
// the shared HTTP shell on a free loopback port; plus helpers to log in over plain HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCatalog, type Catalog } from '../../core/catalog.js';
import { parseConfig, type Config } from '../../core/config.js';
import { demoInventory } from '../../core/demo.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import type { AdminStore } from '../../core/store/admin.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import type { FaultStore } from '../../core/store/faults.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import type { SeriesStore, StoredRecord } from '../../core/store/series.js';
import { createAlertOutbox, type AlertOutbox } from '../../analyzer/alerting/outbox/index.js';
import { mountWeb, type WebPart } from '../../web/compose.js';

export const ADMIN = { user: 'admin', password: 'admin-pass-123' };
export const VIEWER = { user: 'vera', password: 'viewer-pass-456' };

export interface TestWeb {
  url: string;
  cfg: Config;
  catalog: Catalog;
  admin: AdminStore;
  faults: FaultStore;
  series: SeriesStore;
  outbox: AlertOutbox;
  web: WebPart;
  dir: string;
  stop(): Promise<void>;
}

export async function startWeb(web: Record<string, unknown> = {}): Promise<TestWeb> {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-web-'));
  const cfg = parseConfig({
    dataDir: dir, logLevel: 'silent',
    web: { adminUser: ADMIN.user, adminPassword: ADMIN.password, ...web, board: { refreshSec: 0.3, ...(web.board as object | undefined) } },
  }, 'test config');
  const log = createLogger('silent', 'web-test');
  const registry = createRegistry();
  const admin = createAdminStore(cfg, log), faults = createFaultStore(cfg, log), series = createSeriesStore(cfg, log);
  const outbox = createAlertOutbox(cfg, log);
  await Promise.all([admin.init(), faults.init(), series.init(), outbox.init()]);
  const catalog = buildCatalog(demoInventory({ dcsPerGroup: 1, hostsPerDc: 1, vipDcs: 3, vipsPerDc: 4, businesses: 3 }));
  const app = createHttpApp(log, registry, {});
  const part = await mountWeb(app, { admin, faults, series, catalog: () => catalog, config: cfg, log, registry, outbox, now: Date.now });
  await part.router.access.putUser(VIEWER.user, 'viewer', VIEWER.password);
  finishApp(app, log);
  const server = await listen(app, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${server.port}`, cfg, catalog, admin, faults, series, outbox, web: part, dir,
    stop: async () => {
      part.close();
      await server.close();
      await Promise.all([admin.close(), faults.close(), series.close(), outbox.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Cookie header value from a response's Set-Cookie lines (name=value pairs only). */
export const cookiesOf = (res: Response): Map<string, string> =>
  new Map(res.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));

/** Logs in through the real form (with its login CSRF cookie); returns the session cookie and the session CSRF token. */
export async function login(url: string, user: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const form = await fetch(`${url}/login`);
  const loginCookie = cookiesOf(form).get('vipwatch_login')!;
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${url}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `vipwatch_login=${loginCookie}` },
    body: new URLSearchParams({ _csrf: token, user, password, next: '/whitelist' }),
  });
  if (res.status !== 303) throw new Error(`login as ${user}: HTTP ${res.status}`);
  const cookie = `vipwatch_session=${cookiesOf(res).get('vipwatch_session')}`;
  const page = await (await fetch(`${url}/whitelist`, { headers: { Cookie: cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  return { cookie, csrf };
}

/** One record per (province, isp) group of the catalog for each minute, from the group's first host to one VIP. */
export function groupRecords(catalog: Catalog, minutes: number[], shape: (group: string, minute: number) => { sent: number; recv: number; rtt: number }): StoredRecord[] {
  const vip = [...catalog.vips.values()][0]!;
  const out: StoredRecord[] = [];
  for (const [group, hosts] of catalog.groups) {
    const host = hosts[0]!;
    const dc = catalog.dcs.get(host.dc)!;
    for (const m of minutes) {
      const { sent, recv, rtt } = shape(group, m);
      out.push({
        ts: new Date(m).toISOString().replace('.000Z', 'Z'), host: host.id, vip: vip.ip, method: 'icmp', sent, recv,
        ...(recv > 0 ? { rttMin: rtt * 0.8, rttAvg: rtt, rttMax: rtt * 1.5 } : {}),
        dc: dc.id, province: dc.province, isp: dc.isp, vipDc: vip.dc, business: vip.business,
      });
    }
  }
  return out;
}
