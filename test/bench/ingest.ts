// npm run bench:ingest: a real influxd on a temp dir; a gateway (gateway/compose.ts, influx backend) on 127.0.0.1;
// many concurrent simulated agents post one minute's results each (bodies serialised beforehand); the same records
// go straight to that InfluxDB as line protocol in batches of 5,000 (rendered beforehand), into a second database
// with the same layout. Method, for a fair figure on a shared 2-core machine:
// - each path first writes one untimed warm-up minute: it creates the fleet's series (InfluxDB's costliest step,
//   paid once per series, not every minute), so the timed minutes measure the steady state;
// - the timed minutes alternate (gateway minute 1, direct minute 1, gateway minute 2, ...), so both paths see the
//   same machine load and InfluxDB state, and before each one influxd is let go idle (the snapshots and compactions
//   the previous minute caused are not billed to the next).
// Last line:
//   ingest: <via> results/s via gateway, <direct> results/s direct to InfluxDB, ratio <via/direct>
// The simulated agents post with node:http (as the real agent does, agent/http-client.ts; on a keep-alive agent here,
// bodies encoded beforehand): they share this process and the 2 cores with the gateway and influxd, so the cheaper
// their client, the less the figure measures them (fetch/undici cost about a tenth of this process's CPU).
// Besides the total ratio it prints the median of the per-minute ratios (each gateway minute against the direct
// minute after it: less swayed by other jobs' load changing during the run) and the ratio by CPU time (influxd's and
// this process's CPU a record on each path; what the throughput ratio would be with the cores to ourselves).
// Knobs: BENCH_MINUTES (timed minutes per path, 3), BENCH_AGENTS (concurrent posts, 48), BENCH_VIPS_PER_DC (100),
// BENCH_DIRECT_PARALLEL (2); the gateway's settings through the environment as usual (VIPWATCH_INGEST__WRITERS=4);
// BENCH_PROFILE=PATH writes V8 CPU profiles of the gateway process, one per timed gateway minute (PATH.1, PATH.2, ...);
// BENCH_REPLAY=1 keeps the gateway's own InfluxDB requests of each timed minute and writes them again, as they were,
// straight to a third database (2 at once) after the direct minute: what influxd's CPU a point is for the gateway's
// requests when the gateway process is not running beside it.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepMerge, envOverrides } from '../../core/config.js';
import { demoInventory } from '../../core/demo.js';
import type { ResultRecord } from '../../core/model.js';
import { InfluxClient } from '../../core/store/influx/client.js';
import { ProbeLineRenderer } from '../../core/store/influx/lines.js';
import { InfluxSeriesStore } from '../../core/store/influx/series.js';
import { StoreUnavailableError, type StoredRecord } from '../../core/store/series.js';
import type { Gateway } from '../../gateway/compose.js';
import type { BodyValidator } from '../../gateway/results-check.js';
import { fastValidator } from '../../gateway/results-validate.js';
import { tokenFor } from '../../gateway/tokens.js';
import { schemaValidator } from '../ingest/schema-validator.js';
import { startInfluxd, type Influxd } from '../support/influxd.js';
import { startGateway } from '../ingest/harness.js';
import { createLogger } from '../../core/log.js';

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

/** influxd's CPU seconds so far (from /proc: user, system), to show where the machine's time went. */
function cpuMeter(influxd: Influxd): () => { user: number; sys: number } {
  const pid = readdirSync('/proc').find((p) => {
    try { return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(influxd.dir); } catch { return false; }
  });
  return () => {
    if (!pid) return { user: NaN, sys: NaN };
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 };
  };
}

interface Body { host: string; token: string; body: Buffer; n: number }
interface Minute { bodies: Body[]; records: ResultRecord[] }

/** One body per host for each minute: a record per task-list target, realistic values, some losses and silences. */
function fleetMinutes(gw: Gateway, secret: string, count: number): Minute[] {
  const m0 = Math.floor(Date.now() / MIN) * MIN - (count + 1) * MIN;
  let seed = 1;
  return Array.from({ length: count }, (_, m) => {
    const ts = new Date(m0 + m * MIN).toISOString().replace('.000Z', 'Z');
    const minute: Minute = { bodies: [], records: [] };
    for (const [host, list] of gw.state.current.tasks) {
      const results = list.targets.map((target): ResultRecord => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const recv = seed % 50 === 0 ? 0 : 20 - (seed % 3);
        const base = 5 + (seed % 60);
        const r: ResultRecord = { ts, host, vip: target.vip, method: target.method, sent: 20, recv };
        if (recv > 0) Object.assign(r, { rttMin: base, rttAvg: base + (seed % 7) / 3, rttMax: base + 2 + (seed % 13) });
        return r;
      });
      minute.records.push(...results);
      minute.bodies.push({ host, token: tokenFor(secret, host), body: Buffer.from(JSON.stringify({ host, results })), n: results.length });
    }
    return minute;
  });
}

// BENCH_REPLAY: the gateway's requests to its database, kept while `capturing`
const captured: string[] = [];
let capturing = false;
if (process.env.BENCH_REPLAY) {
  const write = InfluxClient.prototype.write;
  InfluxClient.prototype.write = function (this: InfluxClient, lines: string, rp: string) {
    if (capturing && this.conn.database === 'vipwatch') captured.push(lines);
    return write.call(this, lines, rp);
  };
}

/** One POST as an agent makes it: status, Retry-After, body text. Rejects when the connection fails. */
function post(agent: Agent, url: URL, b: Body): Promise<{ status: number; retryAfter: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST', agent,
      headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/json', 'content-length': String(b.body.length) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(b.body);
  });
}

const influxd = await startInfluxd();
const influxdCpuParts = cpuMeter(influxd);
const influxdCpu = (): number => { const c = influxdCpuParts(); return c.user + c.sys; };
const influxdSys = (): number => influxdCpuParts().sys;
/** Waits (at most 30 s) until influxd has been idle for half a second. */
async function settle(): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const c = influxdCpu();
    await sleep(500);
    if (!(influxdCpu() - c > 0.03)) return;
  }
}
const dir = mkdtempSync(join(tmpdir(), 'vipwatch-bench-ingest-'));
let stopGateway: () => Promise<void> = async () => {};
try {
  // A fleet of 372 hosts (93 province x ISP groups, 2 DCs x 2 hosts) probing 12 DCs x VIPS_PER_DC VIPs.
  const inventory = demoInventory({ dcsPerGroup: 2, hostsPerDc: 2, vipDcs: 12, vipsPerDc: VIPS_PER_DC, businesses: 10, portEvery: 4 });
  const invFile = join(dir, 'inventory.json');
  writeFileSync(invFile, JSON.stringify(inventory));
  // VIPWATCH_INGEST__BATCH_RECORDS=... and the like tune the gateway as they would a real one
  const gateway = await startGateway(deepMerge({
    secret: 'bench-secret-0123456789', inventory: invFile, logLevel: 'warn',
    series: { backend: 'influx', influx: { url: influxd.url, database: 'vipwatch' } },
  }, envOverrides(process.env)));
  const { gw, cfg, registry } = gateway;
  stopGateway = gateway.close;
  const url = new URL(`${gateway.url}/api/v1/results`);
  const agents = new Agent({ keepAlive: true, maxSockets: AGENTS });
  while (!(await gw.series.ping())) await sleep(50);

  const minutes = fleetMinutes(gw, cfg.secret!, MINUTES + 1);
  const perMinute = minutes[0]!.records.length;
  const timedBodies = minutes.slice(1).flatMap((m) => m.bodies);
  const mb = timedBodies.reduce((s, b) => s + b.body.length, 0) / 1e6;
  console.log(`fleet: ${gw.state.current.tasks.size} hosts, ${inventory.vips.length} VIPs, ${perMinute} records a minute in batches of ~${Math.round(perMinute / minutes[0]!.bodies.length)}; `
    + `timed: ${MINUTES} minutes per path (${mb.toFixed(1)} MB of JSON via the gateway), ${AGENTS} agents posting at once`);

  let refused = 0;
  const postAll = (bodies: Body[]) => pool(bodies, AGENTS, async (b) => {
    // as an agent does: keep the batch and retry after Retry-After (a loaded machine can stall influxd past its
    // write timeout while it creates the warm-up's series)
    for (let attempt = 0; attempt < 30; attempt++) {
      let res: Awaited<ReturnType<typeof post>>;
      try {
        res = await post(agents, url, b);
      } catch {
        // a keep-alive connection the gateway closed while this agent waited out Retry-After: post again
        refused++;
        continue;
      }
      if (res.status === 200) return;
      if (res.status !== 503) throw new Error(`gateway answered ${res.status}: ${res.text.slice(0, 300)}`);
      refused++;
      await sleep(Math.min(5, Number(res.retryAfter ?? 1)) * 1000);
    }
    throw new Error(`batch of ${b.host} refused 30 times`);
  });

  // The direct path: the same records, tagged as the gateway tags them, rendered beforehand.
  const snap = gw.state.current;
  const renderer = new ProbeLineRenderer();
  const directBatches = minutes.map((m) => {
    const lines = renderer.render(m.records.map((r): StoredRecord => {
      const h = snap.catalog.hosts.get(r.host)!;
      const dc = snap.catalog.dcs.get(h.dc)!;
      const v = snap.catalog.vips.get(r.vip)!;
      return { ...r, dc: h.dc, province: dc.province, isp: dc.isp, vipDc: v.dc, business: v.business };
    }));
    const out: string[] = [];
    for (let i = 0; i < lines.length; i += DIRECT_BATCH) out.push(lines.slice(i, i + DIRECT_BATCH).join('\n'));
    return out;
  });
  const direct = new InfluxSeriesStore({ ...cfg.series.influx, url: influxd.url, database: 'direct', minuteSec: 60, log: createLogger(cfg.logLevel, 'bench') });
  await direct.init();
  await direct.close();
  // a long timeout: on a loaded machine the closing count over every point can take more than the default 10 s
  const writer = new InfluxClient({ url: influxd.url, database: 'direct', timeoutMs: 120_000 });
  let directRetries = 0;
  const writeAll = (batches: string[], to = writer) => pool(batches, DIRECT_PARALLEL, async (body) => {
    // a loaded machine can stall influxd past the client's timeout: write again (idempotent), as the gateway would
    for (let attempt = 1; ; attempt++) {
      try {
        return await to.write(body, 'vipwatch');
      } catch (e) {
        if (!(e instanceof StoreUnavailableError) || attempt === 5) throw e;
        directRetries++;
      }
    }
  });

  // BENCH_REPLAY: a third database, same layout, for the gateway's requests written again
  const replay = process.env.BENCH_REPLAY ? new InfluxClient({ url: influxd.url, database: 'replay', timeoutMs: 120_000 }) : null;
  if (replay) {
    const store = new InfluxSeriesStore({ ...cfg.series.influx, url: influxd.url, database: 'replay', minuteSec: 60, log: createLogger(cfg.logLevel, 'bench') });
    await store.init();
    await store.close();
  }
  const replayed = { sec: 0, records: 0, requests: 0, influxCpu: 0, tail: 0 };

  // warm-up: the databases get the fleet's series
  capturing = true;
  await postAll(minutes[0]!.bodies);
  capturing = false;
  await writeAll(directBatches[0]!);
  if (replay) await writeAll(captured.splice(0), replay);

  const profiler = process.env.BENCH_PROFILE ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
  }
  const via = { sec: 0, records: 0, influxCpu: 0, influxSys: 0, nodeCpu: 0, tail: 0, tailSec: 0 };
  const dir2 = { sec: 0, records: 0, influxCpu: 0, influxSys: 0, tail: 0, tailSec: 0 };
  const rounds: string[] = [];
  const ratios: number[] = [];
  /** Seconds influxd kept working after a minute's last answer: settle() ends with one idle half second. */
  const settled = (t: number): number => Math.max(0, (performance.now() - t) / 1000 - 0.5);
  for (let m = 1; m <= MINUTES; m++) {
    await settle();
    if (profiler) await profiler.post('Profiler.start');
    let c = influxdCpu();
    let sys = influxdSys();
    const n0 = process.cpuUsage();
    let t = performance.now();
    capturing = true;
    await postAll(minutes[m]!.bodies);
    capturing = false;
    const v = (performance.now() - t) / 1000;
    const used = process.cpuUsage(n0);
    via.nodeCpu += (used.user + used.system) / 1e6;
    via.influxCpu += influxdCpu() - c;
    via.influxSys += influxdSys() - sys;
    if (profiler) writeFileSync(`${process.env.BENCH_PROFILE}.${m}`, JSON.stringify((await profiler.post('Profiler.stop')).profile));
    // what influxd still does for these points once all are acknowledged (cache snapshots, compactions)
    c = influxdCpu();
    t = performance.now();
    await settle();
    via.tail += influxdCpu() - c;
    via.tailSec += settled(t);
    via.sec += v;
    via.records += minutes[m]!.records.length;

    await settle();
    c = influxdCpu();
    sys = influxdSys();
    t = performance.now();
    await writeAll(directBatches[m]!);
    const d = (performance.now() - t) / 1000;
    dir2.influxCpu += influxdCpu() - c;
    dir2.influxSys += influxdSys() - sys;
    c = influxdCpu();
    t = performance.now();
    await settle();
    dir2.tail += influxdCpu() - c;
    dir2.tailSec += settled(t);
    dir2.sec += d;
    dir2.records += minutes[m]!.records.length;
    rounds.push(`${Math.round(perMinute / v)}/${Math.round(perMinute / d)}`);
    ratios.push(d / v);

    if (replay) {
      const requests = captured.splice(0);
      await settle();
      c = influxdCpu();
      t = performance.now();
      await writeAll(requests, replay);
      replayed.sec += (performance.now() - t) / 1000;
      replayed.influxCpu += influxdCpu() - c;
      c = influxdCpu();
      await settle();
      replayed.tail += influxdCpu() - c;
      replayed.records += minutes[m]!.records.length;
      replayed.requests += requests.length;
    }
  }
  profiler?.disconnect();

  const batchMetric = (await registry.getSingleMetric('vipwatch_ingest_batch_records')!.get()).values as Array<{ metricName?: string; value: number }>;
  const writes = batchMetric.find((x) => x.metricName?.endsWith('_count'))?.value ?? 0;
  const written = batchMetric.find((x) => x.metricName?.endsWith('_sum'))?.value ?? 0;
  const count = async (db: string) => {
    try {
      return String((await writer.rows(`SELECT count("sent") FROM "${db}"."vipwatch"."probe"`))[0]?.count);
    } catch (e) {
      return `? (${(e as Error).message})`;
    }
  };
  console.log(`via gateway: ${via.records} records in ${via.sec.toFixed(2)} s; ${refused} posts refused with 503 and retried; `
    + `${writes} store writes of ${Math.round(written / Math.max(1, writes))} records on average; cpu: gateway+agents ${via.nodeCpu.toFixed(1)} s (${((via.nodeCpu * 1e6) / via.records).toFixed(1)} µs a record), `
    + `influxd ${via.influxCpu.toFixed(1)} s (system ${via.influxSys.toFixed(1)} s, ${((via.influxCpu * 1e6) / via.records).toFixed(1)} µs a point) and ${via.tail.toFixed(1)} s after the last answer (${(((via.influxCpu + via.tail) * 1e6) / via.records).toFixed(1)} µs a point in all); InfluxDB holds ${await count('vipwatch')} (with the warm-up)`);
  console.log(`direct: ${dir2.records} lines in batches of ${DIRECT_BATCH}, ${DIRECT_PARALLEL} at once, in ${dir2.sec.toFixed(2)} s (${directRetries} writes retried); `
    + `cpu: influxd ${dir2.influxCpu.toFixed(1)} s (system ${dir2.influxSys.toFixed(1)} s, ${((dir2.influxCpu * 1e6) / dir2.records).toFixed(1)} µs a point) and ${dir2.tail.toFixed(1)} s after the last answer (${(((dir2.influxCpu + dir2.tail) * 1e6) / dir2.records).toFixed(1)} µs a point in all); InfluxDB holds ${await count('direct')} (with the warm-up)`);
  if (replay) {
    console.log(`replay of the gateway's own requests: ${replayed.requests} requests, ${replayed.records} points in ${replayed.sec.toFixed(2)} s, `
      + `cpu: influxd ${replayed.influxCpu.toFixed(1)} s (${((replayed.influxCpu * 1e6) / replayed.records).toFixed(1)} µs a point) and ${replayed.tail.toFixed(1)} s after (${(((replayed.influxCpu + replayed.tail) * 1e6) / replayed.records).toFixed(1)} µs a point in all); InfluxDB holds ${await count('replay')} (with the warm-up)`);
    replay.close();
  }
  const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  console.log(`per minute (via/direct results/s): ${rounds.join(', ')}; ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}, median ${median.toFixed(2)}`);
  // The ratio the two paths would reach if these processes had the cores to themselves: CPU a record, all processes.
  // (influxd's work after the last answer included: a faster minute leaves more of it outside its own timing)
  const cpuVia = (via.influxCpu + via.tail + via.nodeCpu) / via.records;
  const cpuDirect = (dir2.influxCpu + dir2.tail) / dir2.records;
  const viaIdle = via.records / (via.sec + via.tailSec);
  const directIdle = dir2.records / (dir2.sec + dir2.tailSec);
  console.log(`until influxd is idle again: ${Math.round(viaIdle)} results/s via gateway (${via.tailSec.toFixed(1)} s after the last answers), `
    + `${Math.round(directIdle)} direct (${dir2.tailSec.toFixed(1)} s after), ratio ${(viaIdle / directIdle).toFixed(2)}`);
  console.log(`by CPU: ${(cpuVia * 1e6).toFixed(1)} µs a record via the gateway (influxd in all + gateway+agents), ${(cpuDirect * 1e6).toFixed(1)} µs direct (influxd in all), ratio ${(cpuDirect / cpuVia).toFixed(2)}`);
  writer.close();
  agents.destroy();
  // What validation costs per record on these bodies: the shared zod schema vs the gateway's hand-written twin.
  const perRecord = (validate: BodyValidator) => {
    let ms = 0;
    for (const b of timedBodies) {
      const raw: unknown = JSON.parse(b.body.toString());
      const t0 = performance.now();
      if (!validate(raw).ok) throw new Error(`bench body of ${b.host} refused`);
      ms += performance.now() - t0;
    }
    return (ms * 1000) / via.records;
  };
  console.log(`validation: zod schema ${perRecord(schemaValidator).toFixed(2)} µs/record, hand-written ${perRecord(fastValidator).toFixed(2)} µs/record`);
  const viaRate = via.records / via.sec;
  const directRate = dir2.records / dir2.sec;
  console.log(`ingest: ${Math.round(viaRate)} results/s via gateway, ${Math.round(directRate)} results/s direct to InfluxDB, ratio ${(viaRate / directRate).toFixed(2)}`);
} finally {
  await stopGateway();
  await influxd.stop();
  rmSync(dir, { recursive: true, force: true });
}
