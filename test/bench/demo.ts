// CPU and memory of the all-in-one demo (`vipwatch start` with the simulated fleet of 372 agents), per speed.
// Run: node --import tsx test/bench/demo.ts [SPEED:SECONDS ...]   (default 1:120 10:60)
// Each run starts `node bin/vipwatch.js start --speed N` on a free port with a temp DATA_DIR, waits until the fleet
// has started, lets it settle for one minute of its own (minuteSec) and then reads the child's CPU time from
// /proc/PID/stat over SECONDS of wall time. The last line holds every figure.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../support/ports.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const TICK = 100; // USER_HZ on Linux

const cpuSec = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // utime + stime (fields 14, 15)
};
const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(speed: number, seconds: number): Promise<{ speed: number; cpuPct: number; rssMb: number; records: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-bench-demo-'));
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VIPWATCH_')));
  const child = spawn(process.execPath, ['bin/vipwatch.js', 'start', '--speed', String(speed)], {
    cwd: ROOT, env: { ...env, PORT: String(port), DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  child.stdout.resume();
  try {
    await waitFor(async () => err.includes('simulated fleet started'), 60_000, 'the simulated fleet');
    await sleep(60_000 / speed);
    const c0 = cpuSec(child.pid!);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = cpuSec(child.pid!) - c0;
    const wall = (performance.now() - t0) / 1000;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const records = Number(/^vipwatch_analyzer_records_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    return { speed, cpuPct: Math.round((1000 * cpu) / wall) / 10, rssMb: Math.round(rssMb(child.pid!)), records };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = (process.argv.slice(2).length ? process.argv.slice(2) : ['1:120', '10:60']).map((a) => a.split(':').map(Number) as [number, number]);
const out: string[] = [];
for (const [speed, seconds] of runs) {
  const r = await measure(speed, seconds);
  console.log(`speed ${r.speed}: ${r.cpuPct}% of one core over ${seconds} s, RSS ${r.rssMb} MB, ${r.records} records evaluated by then`);
  out.push(`speed${r.speed}_cpu=${r.cpuPct}% speed${r.speed}_rss=${r.rssMb}MB`);
}
console.log(out.join(' '));
