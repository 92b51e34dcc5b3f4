// bench:jobs: what the on-demand control channel costs the gateway, and how fast a job reaches its sources.
// A real gateway process (test/bench/jobs-gateway.ts) with an inventory of AGENTS hosts; this process plays AGENTS
// agents, each holding one kept-alive long poll (GET /api/v1/jobs?wait=25) on loopback, as agent/jobs.ts does.
// Measured: the gateway's CPU (utime+stime from /proc) and RSS over a quiet window with every agent waiting, against
// the same gateway with no agent; then jobs of 100 sources made in the shared job store (as another replica or the
// web part would): time from creation until every source holds the job (store poll + hand-out).
// Usage: npm run bench:jobs [-- AGENTS]   (default 10,000). Figures on the last line.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildCatalog } from '../../core/catalog.js';
import { parseConfig } from '../../core/config.js';
import { JobService } from '../../core/job-service.js';
import { createLogger } from '../../core/log.js';
import type { Inventory } from '../../core/model.js';
import { SqliteJobStore } from '../../core/store/sqlite/jobs.js';
import { tokenFor } from '../../gateway/tokens.js';

const AGENTS = Number(process.argv[2] ?? 10_000);
const WAIT_SEC = 25;
const QUIET_SEC = 30;
const JOBS = 5;
const SECRET = 'bench-jobs-secret-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'vipwatch-bench-jobs-'));

// AGENTS hosts over 93 groups x ~10 DCs; a few VIPs (the task lists do not matter here)
const provinces = ['beijing', 'shanghai', 'guangdong', 'sichuan', 'hubei', 'zhejiang', 'jiangsu', 'shandong', 'henan', 'hebei'];
const isps = ['ct', 'cu', 'cm'];
const inventory: Inventory = { datacenters: [], hosts: [], vips: [], businesses: [{ name: 'b', owners: ['o@example.com'] }], isps: [] };
for (const p of provinces) for (const i of isps) for (let d = 0; d < 10; d++) inventory.datacenters.push({ id: `${p}-${i}-${d}`, province: p, isp: i });
for (let h = 0; h < AGENTS; h++) inventory.hosts.push({ id: `h${h}`, ip: '198.18.0.1', dc: inventory.datacenters[h % inventory.datacenters.length]!.id, probe: true });
inventory.datacenters.push({ id: 'vipdc', province: 'beijing', isp: 'ct' });
for (let v = 1; v <= 10; v++) inventory.vips.push({ ip: `198.19.0.${v}`, dc: 'vipdc', business: 'b' });
const inventoryFile = join(dir, 'inventory.json');
writeFileSync(inventoryFile, JSON.stringify(inventory));

const cpuMs = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
};
const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const gw = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./jobs-gateway.ts', import.meta.url)), join(dir, 'gw'), inventoryFile, SECRET], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = Number(await new Promise<string>((resolve) => createInterface({ input: gw.stdout! }).once('line', resolve)));
const pid = gw.pid!;

// one socket per agent, kept alive between polls, as each real agent has its own
const pool = new Agent({ keepAlive: true, maxSockets: Infinity });
const got = new Map<string, number>(); // `${job}|${host}` -> when the host got it
let polls = 0, failures = 0, stopping = false;
function poll(host: string, token: string, known: string[]): void {
  if (stopping) return;
  polls++;
  const req = request({ host: '127.0.0.1', port, agent: pool, path: `/api/v1/jobs?wait=${WAIT_SEC}${known.length ? `&known=${known.join(',')}` : ''}`, headers: { Authorization: `Bearer ${token}` } }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => { body += c; });
    res.on('end', () => {
      const now = Date.now();
      const jobs = res.statusCode === 200 ? (JSON.parse(body) as { jobs: Array<{ id: string; seq: number }> }).jobs : [];
      if (res.statusCode !== 200) failures++;
      for (const j of jobs) got.set(`${j.id}|${host}`, now);
      setImmediate(() => poll(host, token, [...known, ...jobs.map((j) => String(j.seq))]));
    });
  });
  req.on('error', () => { if (stopping) return; failures++; setTimeout(() => poll(host, token, known), 1000); });
  req.end();
}

/** a gauge of the gateway's /metrics (NaN while it does not answer: it may be busy accepting connections) */
const metric = async (name: string): Promise<number> => {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(15_000) })).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
};
// the gateway process goes with this one, whatever happens
process.on('exit', () => { try { gw.kill('SIGKILL'); } catch { /* gone */ } });

await sleep(2000);
const rssEmpty = rssMb(pid);
const c0 = cpuMs(pid);
await sleep(10_000);
const idleEmptyPct = (cpuMs(pid) - c0) / 100;
const t0 = Date.now();
for (let h = 0; h < AGENTS; h++) {
  poll(`h${h}`, tokenFor(SECRET, `h${h}`), []);
  // a few hundred connections at a time: the listen backlog (511) would drop SYNs of a faster burst
  if (h % 200 === 199) await sleep(200);
}
while (!((await metric('vipwatch_job_polls_waiting')) >= AGENTS) && Date.now() - t0 < 180_000) await sleep(1000);
const waiting = await metric('vipwatch_job_polls_waiting');
console.log(`${waiting} agents waiting after ${((Date.now() - t0) / 1000).toFixed(1)} s (${failures} failed polls so far)`);
await sleep(5000);
const p0 = polls, cq0 = cpuMs(pid), tq0 = Date.now();
await sleep(QUIET_SEC * 1000);
const quietPct = (cpuMs(pid) - cq0) / (Date.now() - tq0) * 100;
const pollRate = (polls - p0) / ((Date.now() - tq0) / 1000);
const rssWaiting = rssMb(pid);
console.log(`quiet ${QUIET_SEC} s: gateway ${quietPct.toFixed(1)}% of a core (${idleEmptyPct.toFixed(1)}% with no agents), ${pollRate.toFixed(0)} polls/s, RSS ${rssWaiting.toFixed(0)} MB (${rssEmpty.toFixed(0)} MB with no agents)`);

// jobs made in the shared store by another process: the gateway sees them at its next store poll (pollMs 1000)
const cfg = parseConfig({ dataDir: join(dir, 'gw'), probes: { perRequester: 1000, perTarget: 1000 } }, 'bench');
const store = new SqliteJobStore({ file: join(dir, 'gw', 'admin.db'), log: createLogger('silent') });
await store.init();
const catalog = buildCatalog(inventory);
const service = new JobService({ store, catalog: () => catalog, cfg: cfg.probes, now: Date.now, log: createLogger('silent') });
const reach: number[] = [], p90: number[] = [];
let missed = 0;
for (let j = 0; j < JOBS; j++) {
  const made = await service.create({ target: `198.19.0.${1 + j}`, method: 'icmp', sources: 100 }, 'bench');
  if (made.status !== 202) throw new Error(`job not made: ${made.error}`);
  const t = Date.now();
  const keys = made.job.sources.map((h) => `${made.job.id}|${h}`);
  // a job may be started until its startBy (30 s): a source that hears of it later would refuse it
  while (keys.some((k) => !got.has(k)) && Date.now() - t < 30_000) await sleep(20);
  const times = keys.filter((k) => got.has(k)).map((k) => got.get(k)! - Date.parse(made.job.createdAt)).sort((a, b) => a - b);
  missed += keys.length - times.length;
  reach.push(times.length === keys.length ? times.at(-1)! : Infinity);
  p90.push(times[Math.ceil(0.9 * keys.length) - 1] ?? Infinity);
  console.log(`job ${j + 1}: ${times.length} of 100 sources hold it; 90% after ${p90.at(-1)} ms, all after ${reach.at(-1)} ms`);
  await sleep(1500 + Math.random() * 1000);
}
reach.sort((a, b) => a - b);
p90.sort((a, b) => a - b);
stopping = true;
pool.destroy();
gw.kill('SIGTERM');
await store.close();
await sleep(500);
rmSync(dir, { recursive: true, force: true });
const perAgentKb = ((rssWaiting - rssEmpty) * 1024) / AGENTS;
console.log(`jobs of 100 sources, all sources holding the job after (ms): ${reach.join(', ')}; poll failures: ${failures}`);
console.log(`${AGENTS} agents waiting on the job channel: gateway ${quietPct.toFixed(1)}% of one core, RSS ${rssWaiting.toFixed(0)} MB (${perAgentKb.toFixed(1)} kB per waiting agent, ${pollRate.toFixed(0)} polls/s); a job reaches 90% of its 100 sources in ${p90[Math.floor(p90.length / 2)]} ms and all in ${reach[Math.floor(reach.length / 2)]} ms (medians of ${JOBS}; worst ${reach.at(-1)} ms; ${missed} source-jobs missed within 30 s)`);
process.exit(0);
