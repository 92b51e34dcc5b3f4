// npm run bench:ingest: a real influxd on a temp dir; a gateway (gateway/compose.ts, influx backend) on 127.0.0.1;
// many concurrent simulated agents post one minute's results each (bodies serialised beforehand); then the same
// records go straight to that InfluxDB as line protocol in batches of 5,000 (rendered beforehand), into a second
// database with the same layout. Each phase first writes one untimed warm-up minute: it creates the fleet's series
// (InfluxDB's costliest step, paid once per series, not every minute), so the timed minutes measure the steady state.
// Last line:
//   ingest: <via> results/s via gateway, <direct> results/s direct to InfluxDB, ratio <via/direct>
// Knobs: BENCH_MINUTES (timed minutes, 3), BENCH_AGENTS (concurrent posts, 48), BENCH_VIPS_PER_DC (100),
// BENCH_DIRECT_PARALLEL (2).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../core/config.js';
import { demoInventory } from '../../core/demo.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import type { ResultRecord } from '../../core/model.js';
import { InfluxClient } from '../../core/store/influx/client.js';
import { probeLines } from '../../core/store/influx/lines.js';
import { InfluxSeriesStore } from '../../core/store/influx/series.js';
import type { StoredRecord } from '../../core/store/series.js';
import { mountGateway } from '../../gateway/compose.js';
import { tokenFor } from '../../gateway/tokens.js';
import { startInfluxd } from '../support/influxd.js';

const MINUTES = Number(process.env.BENCH_MINUTES ?? 3);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 48);
const VIPS_PER_DC = Number(process.env.BENCH_VIPS_PER_DC ?? 100);
const DIRECT_PARALLEL = Number(process.env.BENCH_DIRECT_PARALLEL ?? 2);
const DIRECT_BATCH = 5_000;
const MIN = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs tasks with at most `n` in flight (the simulated agents; a bounded loop). */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const influxd = await startInfluxd();
// influxd's CPU seconds so far (from /proc), to show where the machine's time went in each phase.
const influxdPid = readdirSync('/proc').find((p) => /^\d+$/.test(p) && (() => {
  try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(influxd.dir); } catch { return false; }
})());
const influxdCpu = (): number => {
  if (!influxdPid) return NaN;
  const f = readFileSync(`/proc/${influxdPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const dir = mkdtempSync(join(tmpdir(), 'vipwatch-bench-ingest-'));
let closeGateway: () => Promise<void> = async () => {};
try {
  // A fleet of 372 hosts (93 province x ISP groups, 2 DCs x 2 hosts) probing 12 DCs x VIPS_PER_DC VIPs.
  const inventory = demoInventory({ dcsPerGroup: 2, hostsPerDc: 2, vipDcs: 12, vipsPerDc: VIPS_PER_DC, businesses: 10, portEvery: 4 });
  const invFile = join(dir, 'inventory.json');
  writeFileSync(invFile, JSON.stringify(inventory));
  const cfg = parseConfig({
    secret: 'bench-secret-0123456789', dataDir: dir, inventory: invFile, logLevel: 'warn',
    series: { backend: 'influx', influx: { url: influxd.url, database: 'vipwatch' } },
  }, 'bench');
  const log = createLogger(cfg.logLevel, 'gateway');
  const registry = createRegistry();
  const checks = {};
  const app = createHttpApp(log, registry, checks);
  const gw = mountGateway(app, cfg, log, registry, { checks });
  finishApp(app, log);
  const server = await listen(app, 0, '127.0.0.1');
  closeGateway = async () => { await server.close(); await gw.stop(); };
  const url = `http://127.0.0.1:${server.port}/api/v1/results`;
  while (!(await gw.series.ping())) await sleep(50);

  // One body per (host, minute): a record per task-list target, realistic values, some losses and silent targets.
  // Minute 0 is the warm-up.
  const m0 = Math.floor(Date.now() / MIN) * MIN - (MINUTES + 2) * MIN;
  type Body = { host: string; token: string; body: string; n: number };
  const minutes: Array<{ bodies: Body[]; records: ResultRecord[] }> = [];
  let seed = 1;
  for (let m = 0; m <= MINUTES; m++) {
    const ts = new Date(m0 + m * MIN).toISOString().replace('.000Z', 'Z');
    const bodies: Body[] = [];
    const records: ResultRecord[] = [];
    for (const [host, list] of gw.state.current.tasks) {
      const results = list.targets.map((target): ResultRecord => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const recv = seed % 50 === 0 ? 0 : 20 - (seed % 3);
        const base = 5 + (seed % 60);
        const r: ResultRecord = { ts, host, vip: target.vip, method: target.method, sent: 20, recv };
        if (recv > 0) Object.assign(r, { rttMin: base, rttAvg: base + (seed % 7) / 3, rttMax: base + 2 + (seed % 13) });
        return r;
      });
      records.push(...results);
      bodies.push({ host, token: tokenFor(cfg.secret!, host), body: JSON.stringify({ host, results }), n: results.length });
    }
    minutes.push({ bodies, records });
  }
  const timedBodies = minutes.slice(1).flatMap((m) => m.bodies);
  const timedRecords = timedBodies.reduce((s, b) => s + b.n, 0);
  const mb = timedBodies.reduce((s, b) => s + b.body.length, 0) / 1e6;
  console.log(`fleet: ${gw.state.current.tasks.size} hosts, ${inventory.vips.length} VIPs, ${minutes[0]!.records.length} records a minute; `
    + `timed: ${timedBodies.length} batches of ~${Math.round(timedRecords / timedBodies.length)} records (${mb.toFixed(1)} MB JSON), ${AGENTS} agents posting at once`);

  let refused = 0;
  const postAll = (bodies: Body[]) => pool(bodies, AGENTS, async (b) => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/json' }, body: b.body });
      const text = await res.text();
      if (res.status === 200) return;
      if (res.status !== 503) throw new Error(`gateway answered ${res.status}: ${text.slice(0, 300)}`);
      refused++;
      await sleep(50);
    }
    throw new Error(`batch of ${b.host} refused 100 times`);
  });
  await postAll(minutes[0]!.bodies);
  await sleep(2_000); // let influxd settle after creating the series
  const cpu0 = { node: process.cpuUsage(), influxd: influxdCpu() };
  const t0 = performance.now();
  await postAll(timedBodies);
  const viaSec = (performance.now() - t0) / 1000;
  const nodeCpu = (process.cpuUsage(cpu0.node).user + process.cpuUsage(cpu0.node).system) / 1e6;
  const viaInfluxCpu = influxdCpu() - cpu0.influxd;
  const via = timedRecords / viaSec;
  const batchMetric = (await registry.getSingleMetric('vipwatch_ingest_batch_records')!.get()).values;
  const writesCount = batchMetric.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  const writesSum = batchMetric.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const client = new InfluxClient({ url: influxd.url, database: 'vipwatch' });
  const [count] = await client.rows('SELECT count("sent") FROM "vipwatch"."vipwatch"."probe"');
  console.log(`via gateway: ${timedRecords} records in ${viaSec.toFixed(2)} s (${refused} posts refused with 503 and retried); `
    + `${writesCount} store writes of ${Math.round(writesSum / Math.max(1, writesCount))} records on average (with the warm-up); `
    + `cpu: gateway+agents ${nodeCpu.toFixed(1)} s, influxd ${viaInfluxCpu.toFixed(1)} s; InfluxDB holds ${String(count?.count)} (with the warm-up)`);
  client.close();
  await closeGateway();
  closeGateway = async () => {};

  // The same records, tagged as the gateway tags them, straight to InfluxDB (a fresh database, same layout).
  const snap = gw.state.current;
  const linesOf = (records: ResultRecord[]): string[] => probeLines(records.map((r): StoredRecord => {
    const h = snap.catalog.hosts.get(r.host)!;
    const dc = snap.catalog.dcs.get(h.dc)!;
    const v = snap.catalog.vips.get(r.vip)!;
    return { ...r, dc: h.dc, province: dc.province, isp: dc.isp, vipDc: v.dc, business: v.business };
  }));
  const batchesOf = (lines: string[]): string[] => {
    const out: string[] = [];
    for (let i = 0; i < lines.length; i += DIRECT_BATCH) out.push(lines.slice(i, i + DIRECT_BATCH).join('\n'));
    return out;
  };
  const direct = new InfluxSeriesStore({ ...cfg.series.influx, url: influxd.url, database: 'direct', minuteSec: 60, log });
  await direct.init();
  await direct.close();
  const writer = new InfluxClient({ url: influxd.url, database: 'direct' });
  const writeAll = (batches: string[]) => pool(batches, DIRECT_PARALLEL, (body) => writer.write(body, 'vipwatch'));
  await writeAll(batchesOf(linesOf(minutes[0]!.records)));
  const lines = linesOf(minutes.slice(1).flatMap((m) => m.records));
  const batches = batchesOf(lines);
  await sleep(2_000);
  const cpu1 = influxdCpu();
  const t1 = performance.now();
  await writeAll(batches);
  const directSec = (performance.now() - t1) / 1000;
  const directInfluxCpu = influxdCpu() - cpu1;
  const [count2] = await writer.rows('SELECT count("sent") FROM "direct"."vipwatch"."probe"');
  writer.close();
  const directRate = lines.length / directSec;
  console.log(`direct: ${lines.length} lines in ${batches.length} batches of ${DIRECT_BATCH}, ${DIRECT_PARALLEL} at once, in ${directSec.toFixed(2)} s; `
    + `cpu: influxd ${directInfluxCpu.toFixed(1)} s; InfluxDB holds ${String(count2?.count)} (with the warm-up)`);
  console.log(`ingest: ${Math.round(via)} results/s via gateway, ${Math.round(directRate)} results/s direct to InfluxDB, ratio ${(via / directRate).toFixed(2)}`);
} finally {
  await closeGateway();
  await influxd.stop();
  rmSync(dir, { recursive: true, force: true });
}
