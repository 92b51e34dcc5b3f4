// The whole system for the drills, every part a real process: `vipwatch gateway` and `vipwatch analyzer` in the root
// namespace, one `vipwatch agent` per (province, isp) group each in its own network namespace, the VIPs on the
// loopback of a "VIP" namespace that answers pings from its kernel, a real influxd (series), MariaDB (admin store)
// and SMTP server (alerts). Everything is removed (processes by PID, namespaces, data) by the test's after hooks.
// What the drills check is read where a user would see it: records from InfluxDB, counts from /metrics, alerts from
// the SMTP server, and the analyzer's committed minutes from its fault store (a trigger on the checkpoint table logs
// every commit inside the same transaction), never from a process's own log.
//
//   root ns: gateway on 198.18.0.1 (a veth end), analyzer and influxd on 127.0.0.1, MariaDB, SMTP
//     |-- veth 198.18.k.1/30 <-> 198.18.k.2/30 -- agent ns k (k = 1..n) -- veth 198.18.(100+k).1/30 <-> .2/30 --|
//                                                                                                   VIP ns: 198.19.d.v/32 on lo
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import type { SeriesStore, StoredRecord } from '../../core/store/series.js';
import { tokenFor } from '../../gateway/tokens.js';
import { startInfluxd, type Influxd } from '../support/influxd.js';
import { mariadbDatabase, stopMariadb, type MariaDbDatabase } from '../support/mariadb.js';
import { NetLab, type Netns } from '../support/netns.js';
import { freePort } from '../support/ports.js';
import { startSmtp, type Smtp } from '../support/smtp.js';
import { agentDelivered, gatewayCounts, type IngestCounts } from './accounting.js';
import { answers200, CrashWatch, metricValue, VipwatchProc } from './procs.js';

export const MINUTE_SEC = 5;
export const MINUTE_MS = MINUTE_SEC * 1000;
const GW_ADDR = '198.18.0.1';
const SECRET = 'drill-secret-0123456789abcdef';
const AGENT_METRICS_PORT = 9464;
/**
 * Run by node inside an agent's namespace for the whole drill: relays GET /metrics from a Unix socket (file sockets
 * are not bound to a network namespace) to the agent's 127.0.0.1 port, so the test reads all agents in milliseconds.
 */
const agentMetricsRelay = (socket: string) => `require('node:http').createServer((q, s) => {
  fetch('http://127.0.0.1:${AGENT_METRICS_PORT}/metrics', { signal: AbortSignal.timeout(10000) })
    .then((r) => r.text()).then((t) => s.end(t), () => s.end(''));
}).listen(${JSON.stringify(socket)})`;
export const NETWORK_TEAM = 'noc@drill.example';

export const PROVINCES = ['beijing', 'shanghai'];
export const ISPS = ['ct', 'cu', 'cm'];
export const BUSINESSES = [
  { name: 'search', owners: ['oncall-search@drill.example'] },
  { name: 'video', owners: ['video-a@drill.example', 'video-b@drill.example'] },
  { name: 'pay', owners: ['pay@drill.example'] },
];
/** Three target DCs of three VIPs each; the first is the one the drill breaks (two businesses own its VIPs). */
export const VIP_DCS = [
  { id: 'vip-gd', province: 'guangdong', isp: 'ct', vips: [['198.19.1.1', 'search'], ['198.19.1.2', 'video'], ['198.19.1.3', 'search']] },
  { id: 'vip-zj', province: 'zhejiang', isp: 'cu', vips: [['198.19.2.1', 'pay'], ['198.19.2.2', 'video'], ['198.19.2.3', 'pay']] },
  { id: 'vip-sc', province: 'sichuan', isp: 'cm', vips: [['198.19.3.1', 'search'], ['198.19.3.2', 'pay'], ['198.19.3.3', 'video']] },
] as const;
export const ALL_VIPS = VIP_DCS.flatMap((d) => d.vips.map(([ip]) => ip as string));

export interface DrillAgent {
  host: string;
  ns: Netns;
  dir: string;
  proc: VipwatchProc;
}

export interface DrillSystem {
  dir: string;
  lab: NetLab;
  vipNs: Netns;
  influxd: Influxd;
  smtp: Smtp;
  db: MariaDbDatabase;
  gateway: VipwatchProc;
  gatewayUrl: string;
  analyzer: VipwatchProc;
  analyzerUrl: string;
  agents: DrillAgent[];
  /** a reader on the same InfluxDB database, in the test process */
  series: SeriesStore;
  /** fails every wait at once when a process crashed */
  watch: CrashWatch;
  startGateway(): Promise<void>;
  /** SIGKILLs the gateway, first keeping its counters (call it at a quiet moment: no post in flight) */
  killGateway(): Promise<void>;
  startAnalyzer(): Promise<void>;
  /** drops every echo request to these addresses inside the VIP namespace (nftables); [] removes the rules */
  dropTo(addrs: string[]): void;
  /** batches waiting in every agent's on-disk spool */
  spooled(): number;
  /** an agent's /metrics text (served on 127.0.0.1 inside its namespace; '' when it does not answer) */
  agentMetrics(a: DrillAgent): Promise<string>;
  /** stored records whose minute is in [from, to) */
  records(from: number, to: number): Promise<StoredRecord[]>;
  /**
   * sent / accepted / stored / delivered-twice counts since the start, read together at a quiet moment of a minute
   * (after the agents' posts); `extraSent` adds what the drill itself had acknowledged
   */
  ingestCounts(extraSent: number): Promise<IngestCounts>;
  /** every minute the analyzer committed, in commit order (from the fault store) */
  committedMinutes(): number[];
  /** the analyzer's checkpoint minute in the fault store (null before its first commit) */
  checkpoint(): number | null;
  token(host: string): string;
}

/** The drills' inventory: one agent host per (province, isp), the given VIP DCs (default VIP_DCS). */
export const inventoryOf = (vipDcs: ReadonlyArray<{ id: string; province: string; isp: string; vips: ReadonlyArray<readonly [string, string]> }> = VIP_DCS) => ({
  datacenters: [
    ...PROVINCES.flatMap((p) => ISPS.map((i) => ({ id: `src-${p}-${i}`, province: p, isp: i }))),
    ...vipDcs.map(({ id, province, isp }) => ({ id, province, isp })),
  ],
  hosts: PROVINCES.flatMap((p, pi) => ISPS.map((i, ii) => ({ id: `agent-${p}-${i}`, ip: `198.18.${pi * ISPS.length + ii + 1}.2`, dc: `src-${p}-${i}` }))),
  vips: vipDcs.flatMap((d) => d.vips.map(([ip, business]) => ({ ip, dc: d.id, business }))),
  businesses: BUSINESSES,
});

/** Builds and starts the whole system; every piece is registered for removal on t.after as soon as it exists. */
export async function startSystem(t: TestContext): Promise<DrillSystem> {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-drill-'));
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  t.after(() => {
    if (process.env.DRILL_KEEP_LOGS) console.log(`drill logs kept in ${logDir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  const log = createLogger('silent');
  const watch = new CrashWatch();

  // Network: namespaces first, so a machine that cannot make them fails before any server starts.
  const lab = new NetLab('dr');
  t.after(() => lab.cleanup());
  const vipNs = lab.ns('vip');
  lab.addresses(vipNs, ALL_VIPS);
  const anchor = lab.ns('gw');
  lab.link(null, anchor, `${GW_ADDR}/30`, '198.18.0.2/30');
  const inventory = inventoryOf();
  const agentNs = inventory.hosts.map((h, k) => {
    const ns = lab.ns(`a${k + 1}`);
    lab.link(null, ns, `198.18.${k + 1}.1/30`, `198.18.${k + 1}.2/30`);
    lab.route(ns, `${GW_ADDR}/32`, `198.18.${k + 1}.1`);
    lab.link(ns, vipNs, `198.18.${101 + k}.1/30`, `198.18.${101 + k}.2/30`);
    lab.route(ns, '198.19.0.0/16', `198.18.${101 + k}.2`);
    return { host: h.id, ns };
  });
  lab.loss(vipNs, []);

  const influxd = await startInfluxd();
  t.after(() => influxd.stop());
  const smtp = await startSmtp();
  t.after(() => smtp.stop());
  const db = await mariadbDatabase(t);
  if (!db) throw new Error('no MariaDB for the drill');
  t.after(async () => { await db.close(); await stopMariadb(); });

  const inventoryFile = join(dir, 'inventory.json');
  writeFileSync(inventoryFile, JSON.stringify(inventory, null, 2));
  const series = { backend: 'influx', influx: { url: influxd.url, database: 'vipwatch' } };
  const base = { minuteSec: MINUTE_SEC, secret: SECRET, inventory: inventoryFile, series };

  const gwPort = await freePort();
  const gatewayUrl = `http://${GW_ADDR}:${gwPort}`;
  const gwConfig = join(dir, 'gateway.json');
  writeFileSync(gwConfig, JSON.stringify({
    ...base, port: gwPort, bind: GW_ADDR, dataDir: join(dir, 'gateway'), logLevel: 'info', ingest: { retryAfterSec: 1 },
  }));
  const gateway = new VipwatchProc('gateway', ['gateway', '--config', gwConfig], { logDir, watch });
  t.after(() => gateway.kill('SIGKILL'));

  const anPort = await freePort();
  const analyzerUrl = `http://127.0.0.1:${anPort}`;
  const anConfig = join(dir, 'analyzer.json');
  writeFileSync(anConfig, JSON.stringify({
    ...base, port: anPort, bind: '127.0.0.1', dataDir: join(dir, 'analyzer'), logLevel: 'debug',
    admin: { backend: 'mysql', mysql: { url: db.url } },
    analyzer: { graceSec: 2 },
    alerting: {
      from: 'vipwatch drill <vipwatch@drill.example>', networkTeam: [NETWORK_TEAM], timeZone: 'UTC',
      smtp: { host: '127.0.0.1', port: smtp.port, starttls: 'off', timeoutMs: 3000 },
      outbox: { pollMs: 300, retryBaseMs: 200, retryMaxMs: 2000 },
    },
  }));
  const faultsFile = await watchCommits(parseConfig(JSON.parse(readFileSync(anConfig, 'utf8')) as Record<string, unknown>, anConfig));
  const analyzer = new VipwatchProc('analyzer', ['analyzer', '--config', anConfig], { logDir, watch });
  t.after(() => analyzer.kill('SIGKILL'));

  const agentConfig = join(dir, 'agent.json');
  writeFileSync(agentConfig, JSON.stringify({
    minuteSec: MINUTE_SEC, logLevel: 'info',
    agent: { timeoutMs: 1000, pullIntervalSec: 60, pullRetrySec: 2, metricsPort: AGENT_METRICS_PORT },
  }));
  const token = (host: string) => tokenFor(SECRET, host);
  const agents: DrillAgent[] = agentNs.map(({ host, ns }) => {
    const agentDir = join(dir, 'agents', host);
    const proc = new VipwatchProc(host, ['agent', '--gateway', gatewayUrl, '--token', token(host), '--config', agentConfig],
      { ns, logDir, watch, env: { VIPWATCH_AGENT__DIR: agentDir } });
    t.after(() => proc.kill('SIGKILL'));
    return { host, ns, dir: agentDir, proc };
  });

  const reader = createSeriesStore(parseConfig({ minuteSec: MINUTE_SEC, series }, 'drill reader'), log);
  await reader.init();
  t.after(() => reader.close());
  const faults = new Database(faultsFile, { readonly: true, fileMustExist: true });
  t.after(() => faults.close());

  // counters of gateway runs that were killed
  const pastRuns = { accepted: 0, duplicates: 0 };
  const gatewayNow = async () => gatewayCounts(await (await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(3000) })).text());
  const relays = agents.map((a, k) => {
    const socket = join(dir, `agent-metrics-${k}.sock`);
    a.ns.spawn(process.execPath, ['-e', agentMetricsRelay(socket)], { stdio: 'ignore' });
    return socket;
  });
  const agentMetrics = (a: DrillAgent) => new Promise<string>((resolve) => {
    const req = request({ socketPath: relays[agents.indexOf(a)]!, path: '/metrics', timeout: 12_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => resolve(text)).on('error', () => resolve(''));
    });
    req.on('error', () => resolve('')).on('timeout', () => { req.destroy(); resolve(''); });
    req.end();
  });

  const sys: DrillSystem = {
    dir, lab, vipNs, influxd, smtp, db, gateway, gatewayUrl, analyzer, analyzerUrl, agents, series: reader, token, watch,
    startGateway: () => gateway.startReady(() => answers200(`${gatewayUrl}/healthz`)),
    killGateway: async () => {
      const c = await gatewayNow();
      pastRuns.accepted += c.accepted;
      pastRuns.duplicates += c.duplicates;
      await gateway.kill('SIGKILL');
    },
    startAnalyzer: () => analyzer.startReady(() => answers200(`${analyzerUrl}/healthz`)),
    dropTo: (addrs) => lab.loss(vipNs, addrs.map((addr) => ({ addr, pct: 100 }))),
    spooled: () => agents.reduce((n, a) => {
      try { return n + readdirSync(join(a.dir, 'spool')).filter((f) => /^\d{15}-.*\.json$/.test(f)).length; } catch { return n; }
    }, 0),
    agentMetrics,
    records: (from, to) => reader.readRange(from, to),
    ingestCounts: async (extraSent) => {
      // Agents post about timeoutMs (1 s) after a minute ends: from 2.5 s into a minute nothing should be in flight.
      // The gateway's counters are read before and after the agents' and the store's: equal, no post was accepted
      // meanwhile, so the counts belong together however slowly the machine answers. Bounded attempts.
      for (let attempt = 1; ; attempt++) {
        await intoNextMinute(watch, 2500);
        const before = await gatewayNow();
        const [texts, stored] = await Promise.all([Promise.all(agents.map(agentMetrics)), reader.readRange(0, Date.now() + 86_400_000)]);
        const after = await gatewayNow();
        const silent = agents.filter((_, i) => !texts[i]!.includes('vipwatch_agent_result_records_total'));
        if (silent.length) throw new Error(`no /metrics from ${silent.map((a) => a.host).join(', ')}`);
        if (before.accepted === after.accepted) {
          return {
            sent: texts.reduce((n, x) => n + agentDelivered(x), extraSent),
            accepted: pastRuns.accepted + after.accepted,
            stored: stored.length,
            duplicates: pastRuns.duplicates + after.duplicates,
          };
        }
        if (attempt === 4) throw new Error(`posts kept arriving while the ingest counts were read (accepted ${before.accepted} then ${after.accepted})`);
      }
    },
    committedMinutes: () => (faults.prepare('SELECT minute FROM drill_committed ORDER BY seq').all() as Array<{ minute: number }>).map((r) => r.minute),
    checkpoint: () => (faults.prepare("SELECT minute FROM checkpoint WHERE name = 'analyzer'").get() as { minute: number } | undefined)?.minute ?? null,
  };
  await Promise.all([sys.startGateway(), sys.startAnalyzer()]);
  await Promise.all(agents.map((a) => a.proc.startReady(async () => /vipwatch_agent_probing 1/.test(await sys.agentMetrics(a)))));
  return sys;
}

/**
 * Creates the analyzer's fault store ahead of it and adds a log of its commits: every checkpoint write (one per
 * committed minute, in the minute's own transaction) appends the minute to drill_committed; the rows of the latency
 * baselines' checkpoint parts (`analyzer/<part>`, written with some minutes) are not commits. Returns the file.
 */
async function watchCommits(cfg: ReturnType<typeof parseConfig>): Promise<string> {
  const store = createFaultStore(cfg, createLogger('silent'));
  await store.init();
  await store.close();
  const file = join(cfg.dataDir, 'faults.db');
  const db = new Database(file, { fileMustExist: true });
  try {
    db.exec(`CREATE TABLE drill_committed (seq INTEGER PRIMARY KEY AUTOINCREMENT, minute INTEGER NOT NULL);
      CREATE TRIGGER drill_commit_first AFTER INSERT ON checkpoint WHEN NEW.name = 'analyzer' BEGIN INSERT INTO drill_committed (minute) VALUES (NEW.minute); END;
      CREATE TRIGGER drill_commit_next AFTER UPDATE ON checkpoint WHEN NEW.name = 'analyzer' BEGIN INSERT INTO drill_committed (minute) VALUES (NEW.minute); END;`);
  } finally {
    db.close();
  }
  return file;
}

/** The start of the minute that contains ms. */
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** Waits until `ms` into the next minute (failing at once if a process crashes meanwhile). */
export const intoNextMinute = (watch: CrashWatch, ms: number): Promise<void> => watch.sleep(MINUTE_MS - (Date.now() % MINUTE_MS) + ms);

/** host -> minute -> records, for the minutes in [from, to). */
export function byHostMinute(records: StoredRecord[]): Map<string, Map<number, StoredRecord[]>> {
  const out = new Map<string, Map<number, StoredRecord[]>>();
  for (const r of records) {
    const m = Date.parse(r.ts);
    const perHost = out.get(r.host) ?? new Map<number, StoredRecord[]>();
    out.set(r.host, perHost);
    perHost.set(m, [...(perHost.get(m) ?? []), r]);
  }
  return out;
}

/** Each agent's vipwatch_agent_probes_late_total: probe slots it passed over after a stall (agents run the whole drill). */
export async function lateSlots(sys: DrillSystem): Promise<Map<string, number>> {
  const texts = await Promise.all(sys.agents.map((a) => sys.agentMetrics(a)));
  return new Map(sys.agents.map((a, i) => [a.host, metricValue(texts[i]!, 'vipwatch_agent_probes_late_total')]));
}

/**
 * Problems with the stored records of the minutes [from, to): every agent host must have exactly one record per
 * VIP each minute (no minute missing, none doubled), each with a full minute of probes: 10, one either way when a
 * probe due by a minute's end leaves on the next tick. An agent whose loop stalled for more than an interval (500 ms
 * here; it happens on a loaded 2-core machine) sends one probe per target after it, not the backlog, and counts the
 * slots it passed over (`late`, since its start): its records may fall short of 9 by that many probes in all.
 */
export function completeness(sys: DrillSystem, records: StoredRecord[], from: number, to: number, late: Map<string, number>): string[] {
  const problems: string[] = [];
  const grid = byHostMinute(records);
  for (const a of sys.agents) {
    const short: string[] = [];
    let shortfall = 0;
    for (let m = from; m < to; m += MINUTE_MS) {
      const rs = grid.get(a.host)?.get(m) ?? [];
      const vips = rs.map((r) => r.vip).sort();
      const at = `${a.host} ${new Date(m).toISOString()}`;
      if (vips.join() !== [...ALL_VIPS].sort().join()) problems.push(`${at}: ${rs.length} records (${vips.join(' ') || 'none'}), expected one per VIP`);
      for (const r of rs) {
        if (r.sent > 11) problems.push(`${at} ${r.vip}: sent ${r.sent}, expected 9..11`);
        if (r.sent < 9) { short.push(`${at} ${r.vip}: sent ${r.sent}`); shortfall += 9 - r.sent; }
      }
    }
    const passedOver = late.get(a.host) ?? 0;
    if (shortfall > passedOver) problems.push(`${short.join('; ')}: expected 9..11, short by ${shortfall} in all, the agent passed over ${passedOver} slots after stalls`);
  }
  return problems;
}
