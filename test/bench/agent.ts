// `npm run bench:agent`: one agent process against 1,000 loopback targets (127.0.x.y over ICMP, answered by the
// kernel) at the default rate (10 probes a minute each) for a measured minute, with the real gateway taking its
// results. CPU and RSS come from /proc, for the agent's process and any children it has.
// The agent runs as the systemd unit runs it (agent/README.md): `vipwatch agent`, NODE_OPTIONS=--max-semi-space-size=1,
// MALLOC_ARENA_MAX=2. AGENT_NODE_OPTIONS overrides the flags;
// AGENT_NODE_ARGS adds node arguments (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it).
// Prints LAST: `agent: <targets> targets, <cpu>% of one core, <rss> MB RSS`. Env: TARGETS (1000), MEASURE_SEC (60).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOST, testGateway } from '../agent/gateway.js';

const TARGETS = Number(process.env.TARGETS ?? 1000);
const MEASURE_SEC = Math.max(10, Number(process.env.MEASURE_SEC ?? 60));
const WARMUP_SEC = 10;
const NODE_OPTIONS = process.env.AGENT_NODE_OPTIONS ?? '--max-semi-space-size=1';
const TICKS = 100; // USER_HZ
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

if (process.getuid?.() !== 0) {
  console.error('bench:agent probes over ICMP and needs root or CAP_NET_RAW (setcap cap_net_raw+ep on node)');
  process.exit(1);
}

/** The pid and all its descendants. */
function tree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* exited */ }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  return out;
}

/** [user, system] CPU ticks */
const cpuTicks = (pids: number[]): [number, number] => pids.reduce<[number, number]>(([u, k], p) => {
  try {
    const f = readFileSync(`/proc/${p}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return [u + Number(rest[11]), k + Number(rest[12])];
  } catch { return [u, k]; }
}, [0, 0]);

const rssMb = (pids: number[]) => pids.reduce((s, p) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    return s + (m ? Number(m[1]) / 1024 : 0);
  } catch { return s; }
}, 0);

const vips = Array.from({ length: TARGETS }, (_, i) => ({ ip: `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}` }));
const gw = await testGateway(vips);
const dir = mkdtempSync(join(tmpdir(), 'vipwatch-bench-agent-'));
const config = join(dir, 'agent.yaml');
writeFileSync(config, `logLevel: warn\nagent:\n  dir: ${JSON.stringify(join(dir, 'agent'))}\n`);
const entry = [fileURLToPath(new URL('../../bin/vipwatch.js', import.meta.url)), 'agent'];
const nodeArgs = (process.env.AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
const agent = spawn(process.execPath, [...nodeArgs, ...entry, '--gateway', gw.url, '--token', gw.token, '--config', config], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, NODE_OPTIONS, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' },
});
const started = Date.now();
try {
  await sleep(WARMUP_SEC * 1000);
  if (agent.exitCode !== null) throw new Error(`the agent exited (${agent.exitCode})`);
  const t0 = process.hrtime.bigint();
  const c0 = cpuTicks(tree(agent.pid!));
  let peak = 0;
  for (let s = 0; s < MEASURE_SEC; s++) {
    await sleep(1000);
    peak = Math.max(peak, rssMb(tree(agent.pid!)));
  }
  const pids = tree(agent.pid!);
  const c1 = cpuTicks(pids);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const pct = (ticks: number) => (ticks / TICKS / wall) * 100;
  const [userPct, sysPct] = [pct(c1[0] - c0[0]), pct(c1[1] - c0[1])];
  const cpuPct = userPct + sysPct;

  // the first minute the agent probed whole must reach the gateway: a record per target, 10 probes each
  const firstWhole = Math.ceil((started + 3000) / 60_000) * 60_000;
  const byMinute = new Map<string, { n: number; sent: number; recv: number; rtt: number }>();
  for (const until = firstWhole + 80_000; Date.now() < until && !byMinute.has(iso(firstWhole));) {
    await sleep(2000);
    byMinute.clear();
    for (const r of (await gw.stored()).filter((x) => x.host === HOST)) {
      const m = byMinute.get(r.ts) ?? { n: 0, sent: 0, recv: 0, rtt: 0 };
      m.n++; m.sent += r.sent; m.recv += r.recv; m.rtt += r.rttAvg ?? 0;
      byMinute.set(r.ts, m);
    }
  }
  for (const [ts, m] of [...byMinute].sort()) {
    console.log(`minute ${ts}${ts === iso(firstWhole) ? ' (whole)' : ''}: ${m.n} records, ${m.sent} probes sent, loss ${((100 * (m.sent - m.recv)) / m.sent).toFixed(2)}%, mean rtt ${(m.rtt / m.n).toFixed(3)} ms`);
  }
  const whole = byMinute.get(iso(firstWhole));
  if (!whole || whole.n !== TARGETS) throw new Error(`minute ${iso(firstWhole)} did not arrive with ${TARGETS} records`);
  console.log(`vipwatch agent, NODE_OPTIONS=${JSON.stringify(NODE_OPTIONS)}; CPU ${userPct.toFixed(2)}% user + ${sysPct.toFixed(2)}% system over ${wall.toFixed(1)} s after a ${WARMUP_SEC} s warm-up; processes ${pids.join(',')}; RSS = peak of 1 s samples`);
  console.log(`agent: ${TARGETS} targets, ${cpuPct.toFixed(2)}% of one core, ${peak.toFixed(1)} MB RSS`);
} finally {
  if (agent.exitCode === null && agent.signalCode === null) {
    const exited = new Promise((r) => agent.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  }
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
}
