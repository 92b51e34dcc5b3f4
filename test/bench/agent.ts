// `npm run bench:agent`: one agent (the real `vipwatch agent` process) against 1,000 loopback targets (127.0.x.y, ICMP,
// answered by the kernel) at the default rate (10 probes a minute each) for a measured minute, with the real gateway
// taking its results. CPU and RSS are read from /proc for the agent's process and any children it has.
// Prints LAST: `agent: <targets> targets, <cpu>% of one core, <rss> MB RSS`. Env: TARGETS (1000), MEASURE_SEC (60).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testGateway, HOST } from '../agent/gateway.js';

const TARGETS = Number(process.env.TARGETS ?? 1000);
const MEASURE_SEC = Math.max(60, Number(process.env.MEASURE_SEC ?? 60));
const WARMUP_SEC = 10;
const TICKS = 100; // USER_HZ on Linux
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (process.getuid?.() !== 0) {
  console.error('bench:agent probes over ICMP and needs root or CAP_NET_RAW (setcap cap_net_raw+ep on node)');
  process.exit(1);
}

/** The pid and every descendant (tsx may run helpers). */
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

const cpuTicks = (pids: number[]) => pids.reduce((s, p) => {
  try {
    const f = readFileSync(`/proc/${p}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return s + Number(rest[11]) + Number(rest[12]);
  } catch { return s; }
}, 0);

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
const cli = fileURLToPath(new URL('../../bin/vipwatch.js', import.meta.url));
const agent = spawn(process.execPath, [cli, 'agent', '--gateway', gw.url, '--token', gw.token, '--config', config], { stdio: ['ignore', 'inherit', 'inherit'] });
try {
  await sleep(WARMUP_SEC * 1000);
  if (agent.exitCode !== null) throw new Error(`the agent exited (${agent.exitCode})`);
  const pids = tree(agent.pid!);
  const t0 = process.hrtime.bigint();
  const c0 = cpuTicks(pids);
  let peak = 0;
  for (let s = 0; s < MEASURE_SEC; s++) {
    await sleep(1000);
    peak = Math.max(peak, rssMb(tree(agent.pid!)));
  }
  const cpu = cpuTicks(tree(agent.pid!)) - c0;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuPct = ((cpu / TICKS) / wall) * 100;

  // what arrived: whole minutes of records from the agent at the gateway
  await sleep(5000);
  const stored = await gw.stored();
  const byMinute = new Map<string, { n: number; sent: number; recv: number; rtt: number }>();
  for (const r of stored.filter((x) => x.host === HOST)) {
    const m = byMinute.get(r.ts) ?? { n: 0, sent: 0, recv: 0, rtt: 0 };
    m.n++; m.sent += r.sent; m.recv += r.recv; m.rtt += r.rttAvg ?? 0;
    byMinute.set(r.ts, m);
  }
  for (const [ts, m] of [...byMinute].sort()) {
    console.log(`minute ${ts}: ${m.n} records, ${m.sent} probes sent, loss ${(100 * (m.sent - m.recv) / m.sent).toFixed(2)}%, mean rtt ${(m.rtt / m.n).toFixed(3)} ms`);
  }
  if (![...byMinute.values()].some((m) => m.n === TARGETS)) throw new Error('no whole minute of records reached the gateway');
  console.log(`measured over ${wall.toFixed(1)} s after a ${WARMUP_SEC} s warm-up; process tree ${pids.join(',')}; RSS is the peak of 1 s samples`);
  console.log(`agent: ${TARGETS} targets, ${cpuPct.toFixed(2)}% of one core, ${peak.toFixed(1)} MB RSS`);
} finally {
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
}
