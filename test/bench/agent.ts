// `npm run bench:agent`: the packaged agent (`npm run package:agent`'s tarball, unpacked, run by its launcher) with
// 2,500 targets for 3 measured minutes, the real gateway taking its results. The targets live in a private network
// namespace (198.19.144.0/20 on its lo, behind a veth from 198.19.128.1/30: ranges no other test uses in the root
// namespace, where the drills' veths live): ICMP answered by its kernel, ICMP lost (nftables drops every
// echo request to 198.19.156.0/22: each probe waits out its timeout) and TCP (a listener in the namespace; the VIPs
// with a port are probed over icmp and tcp). CPU (user + system) and peak RSS come from /proc for the agent's
// process and any children it has; the first whole minute must reach the gateway with a record per target. Beside
// them, to judge a run on a shared machine: the scheduler's exact run time of the agent's main thread and of node's
// helper threads, the time it waited for a CPU, its page faults, how busy the rest of the machine was (softirq
// apart), the peak RSS split into anonymous and file-backed (node's binary) memory, and the CPU of the target
// namespace's answering.
// The VIPs' answering is not the agent's work: on a real network another machine's kernel does it. On a plain veth it
// would run inside the agent's own sendto() and connect() (the peer's receive runs as a softirq at the end of the
// send) and be charged to the agent's system time, a third of it. So both ends of the veth receive in their own
// kernel threads (threaded NAPI, GRO on and TSO off so that every packet takes that path), as a NIC's queue does,
// and the bench prints what those threads used.
// TARGET_NAPI=inline keeps the plain veth, for the figures measured that way before.
// AGENT_FLOOR=1 runs agent-floor.c (compiled with gcc) in the agent's place: the same probes' packets and system calls
// from a plain C loop and nothing else, the floor of what any agent pays for them on this machine. Its last line
// starts `floor:`; no records reach the gateway then.
// Env: TARGETS (2500), MEASURE_SEC (180), WARMUP_SEC (20); AGENT_NODE_FLAGS replaces the launcher's node flags
// (e.g. "--max-semi-space-size=1 --cpu-prof --cpu-prof-dir=/tmp/prof"); AGENT_TARBALL uses that tarball instead of building one;
// AGENT_METRICS_PORT=N serves the agent's /metrics there and prints its memory figures. AGENT_SCHEDULE=js probes ICMP and TCP in
// JavaScript (agent.schedule) for a before/after.
// Before the last line: what one system call costs on this machine (agent-floor.c's `syscall` mode, run before the
// agent starts). The agent's CPU is mostly system calls; the same tree measured 0.43% on a VM at 0.12 µs a call and
// 0.71% on one at 1.26 µs (agent/README.md, Benchmark).
// Prints LAST: `agent: <targets> targets, <cpu>% of one core, <rss> MB RSS`.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../core/config.js';
import { HOST, testGateway } from '../agent/gateway.js';
import { stopChild } from '../support/child.js';
import { NetLab } from '../support/netns.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const TARGETS = Number(process.env.TARGETS ?? 2500);
const MEASURE_SEC = Math.max(10, Number(process.env.MEASURE_SEC ?? 180));
const WARMUP_SEC = Number(process.env.WARMUP_SEC ?? 20);
const TARGET_NAPI = process.env.TARGET_NAPI ?? 'threaded';
const FLOOR = process.env.AGENT_FLOOR === '1';
if (TARGET_NAPI !== 'threaded' && TARGET_NAPI !== 'inline') throw new Error(`TARGET_NAPI=${TARGET_NAPI}: expected threaded or inline`);
const TCP_PORT = 8443;
const TICKS = 100; // USER_HZ
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

if (process.getuid?.() !== 0) {
  console.error('bench:agent makes a network namespace and probes over ICMP: it needs root');
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

/** [RSS, of it anonymous, of it file-backed (mostly node's own binary: shared with every node process)] in MB */
const rssMb = (pids: number[]): [number, number, number] => pids.reduce<[number, number, number]>((s, p) => {
  try {
    const st = readFileSync(`/proc/${p}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(st)?.[1] ?? 0) / 1024;
    return [s[0] + kb('VmRSS'), s[1] + kb('RssAnon'), s[2] + kb('RssFile')];
  } catch { return s; }
}, [0, 0, 0]);

/**
 * Steadier than the tick counts: per thread of the agent's process, the scheduler's exact run time and the time it
 * waited for a CPU (/proc/PID/task/TID/schedstat, ns); the main thread apart from node's helper threads (GC, libuv).
 * And the machine: every CPU's busy ticks (/proc/stat), so a run can say how busy the others kept the 2 cores.
 */
function schedNs(pid: number): { main: number; helpers: number; waited: number; minflt: number; wakeups: number } {
  const out = { main: 0, helpers: 0, waited: 0, minflt: 0, wakeups: 0 };
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        if (Number(tid) === pid) out.main += run!; else out.helpers += run!;
        out.waited += wait!;
      } catch { /* thread exited */ }
    }
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    out.minflt = Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[7]);
    // the main thread's sleeps that ended in a wake-up (each one a context switch)
    out.wakeups = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'))![1]);
  } catch { /* exited */ }
  return out;
}
/**
 * Threaded NAPI on both ends of the veth (devB inside the target namespace, set through inNs): the kernel threads'
 * pids.
 */
function threadedNapi(devA: string, devB: string, inNs: (cmd: string) => void): number[] {
  const set = (dev: string) => `ethtool -K ${dev} gro on tso off && echo 1 > /sys/class/net/${dev}/threaded`;
  try {
    execFileSync('sh', ['-c', set(devA)], { stdio: ['ignore', 'ignore', 'pipe'] });
    inNs(set(devB));
  } catch (e) {
    throw new Error(`threaded NAPI on the veth (${(e as Error).message.trim()}): needs ethtool (Debian's ethtool) and Linux 5.13 or later; TARGET_NAPI=inline runs without it`);
  }
  // kernel threads named napi/<dev>-<id>, cut to 15 characters: the two ends share the prefix
  const prefix = `napi/${devA.slice(0, -1)}`.slice(0, 15);
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return readFileSync(`/proc/${d}/comm`, 'utf8').startsWith(prefix); } catch { return false; }
  }).map(Number);
  if (pids.length !== 2) throw new Error(`threaded NAPI: expected 2 kernel threads ${prefix}*, found ${pids.length}`);
  return pids;
}
/** run time of those threads, ns */
const napiNs = (pids: number[]) => pids.reduce((n, p) => n + Number(readFileSync(`/proc/${p}/schedstat`, 'utf8').split(' ')[0]), 0);

/** [busy, softirq] ticks of all CPUs */
const machineTicks = (): [number, number] => {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return [user! + nice! + system! + irq! + softirq! + steal!, softirq!];
};

/** n addresses from base (a.b.c.0), skipping .0 and .255 */
const addrs = (base: [number, number, number], n: number): string[] => Array.from({ length: n }, (_, i) => {
  const k = Math.floor(i / 254);
  return `${base[0]}.${base[1]}.${base[2] + k}.${1 + (i % 254)}`;
});

// the mix: a fifth of the targets tcp (their VIPs are probed over icmp too), a tenth icmp to silent addresses
const tcpVips = Math.round(TARGETS / 5);
const lost = Math.round(TARGETS / 10);
const answered = TARGETS - 2 * tcpVips - lost;
const vips = [
  ...addrs([198, 19, 144], tcpVips).map((ip) => ({ ip, port: TCP_PORT })),
  ...addrs([198, 19, 148], answered).map((ip) => ({ ip })),
  ...addrs([198, 19, 156], lost).map((ip) => ({ ip })),
];
if (tcpVips > 254 * 4 || answered > 254 * 8 || lost > 254 * 4) throw new Error(`TARGETS=${TARGETS}: too many for the address plan`);

const lab = new NetLab('vwba');
const dir = mkdtempSync(join(tmpdir(), 'vipwatch-bench-agent-'));
const flags = process.env.AGENT_NODE_FLAGS;
// AGENT_SCHEDULE=js: ICMP and TCP probed in JavaScript as before the addon's schedule (agent.schedule), to compare
const schedule = process.env.AGENT_SCHEDULE;
// AGENT_TICK_MS: agent.tickMs (and the floor's tick) other than the default
const tickMs = process.env.AGENT_TICK_MS;
let launcher = '';
let floorSays = '';

/** The packaged agent (AGENT_TARBALL, or one built now), as the unit runs it (MALLOC_ARENA_MAX=2, the launcher and its node flags), as root instead of CAP_NET_RAW. */
function startAgent(gateway: { url: string; token: string }): ReturnType<typeof spawn> {
  const tarball = process.env.AGENT_TARBALL ?? (() => {
    execFileSync(process.execPath, [join(ROOT, 'build/package-agent.js'), '--out', join(dir, 'pkg')], { stdio: ['ignore', 'inherit', 'inherit'] });
    return join(dir, 'pkg', readdirSync(join(dir, 'pkg')).find((f) => f.endsWith('.tar.gz'))!);
  })();
  execFileSync('tar', ['-xzf', tarball, '-C', dir]);
  launcher = join(dir, readdirSync(dir).find((f) => f.startsWith('vipwatch-agent-'))!, 'bin/vipwatch-agent');
  const config = join(dir, 'agent.yaml');
  const metricsPort = process.env.AGENT_METRICS_PORT;
  writeFileSync(config, `logLevel: warn\nagent:\n  dir: ${JSON.stringify(join(dir, 'state'))}\n${metricsPort ? `  metricsPort: ${metricsPort}\n` : ''}${schedule ? `  schedule: ${schedule}\n` : ''}${tickMs ? `  tickMs: ${tickMs}\n` : ''}`);
  return spawn(launcher, ['--gateway', gateway.url, '--token', gateway.token, '--config', config], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { PATH: process.env.PATH, MALLOC_ARENA_MAX: '2', ...(flags !== undefined ? { VIPWATCH_NODE_FLAGS: flags } : {}) },
  });
}

/** agent-floor.c with the agent's defaults: its tick, 10 probes a minute per target, a 2 s timeout. */
function startFloor(floor: string): ReturnType<typeof spawn> {
  const child = spawn(floor, [tickMs ?? String(configSchema.parse({}).agent.tickMs), '6000', '2000'], { stdio: ['pipe', 'inherit', 'pipe'] });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { floorSays += d; });
  child.stdin!.end(vips.flatMap((v) => [`icmp ${v.ip}`, ...('port' in v ? [`tcp ${v.ip} ${v.port}`] : [])]).join('\n') + '\n');
  return child;
}

const machineLine = (us: number) => `this machine: a system call (getppid) costs ${us.toFixed(3)} µs; the figure below scales with it (AGENT_FLOOR=1 measures the same probes from plain C)`;

let gw: Awaited<ReturnType<typeof testGateway>> | null = null;
let agent: ReturnType<typeof spawn> | null = null;
try {
  const ns = lab.ns('tgt');
  const { devA, devB } = lab.link(null, ns, '198.19.128.1/30', '198.19.128.2/30');
  const napiThreads = TARGET_NAPI === 'threaded' ? threadedNapi(devA, devB, (cmd) => ns.run('sh', ['-c', cmd])) : [];
  lab.addresses(ns, ['198.19.144.1/20']); // on lo: every address of the /20 is the namespace's own
  lab.route(null, '198.19.144.0/20', '198.19.128.2');
  lab.loss(ns, [{ addr: '198.19.156.0/22', pct: 100 }]);
  ns.spawn(process.execPath, ['-e', `require('net').createServer((s) => { s.on('error', () => {}); s.destroy(); }).listen(${TCP_PORT}, '0.0.0.0', () => console.log('ready'))`]);
  execFileSync('sh', ['-c', `for i in $(seq 50); do ip netns exec ${ns.name} ss -ltn | grep -q ':${TCP_PORT} ' && exit 0; sleep 0.1; done; exit 1`]);

  // what a system call costs on this machine, measured before anything runs: it sets the floor (VMs differ tenfold)
  const floor = join(dir, 'agent-floor');
  execFileSync('gcc', ['-O2', '-o', floor, join(ROOT, 'test/bench/agent-floor.c')]);
  const syscallUs = Number(execFileSync(floor, ['syscall'], { encoding: 'utf8' }));
  // the floor posts nothing: no gateway for it
  agent = FLOOR ? startFloor(floor) : startAgent(gw = await testGateway(vips));
  const started = Date.now();
  await sleep(WARMUP_SEC * 1000);
  if (agent.exitCode !== null) throw new Error(`the agent exited (${agent.exitCode})`);
  const t0 = process.hrtime.bigint();
  const c0 = cpuTicks(tree(agent.pid!));
  const s0 = schedNs(agent.pid!);
  const n0 = napiNs(napiThreads);
  const m0 = machineTicks();
  let peak: [number, number, number] = [0, 0, 0];
  for (let s = 0; s < MEASURE_SEC; s++) {
    await sleep(1000);
    const now = rssMb(tree(agent.pid!));
    if (now[0] > peak[0]) peak = now;
  }
  const metricsPort = process.env.AGENT_METRICS_PORT;
  if (metricsPort && !FLOOR) {
    // where the memory goes, as the agent's own process metrics say
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    console.log(text.split('\n').filter((l) => /^vipwatch_(process_resident|nodejs_heap_size|nodejs_external|nodejs_heap_space_size_used)/.test(l)).join('\n'));
  }
  const pids = tree(agent.pid!);
  const c1 = cpuTicks(pids);
  const s1 = schedNs(agent.pid!);
  const n1 = napiNs(napiThreads);
  const m1 = machineTicks();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const pct = (ticks: number) => (ticks / TICKS / wall) * 100;
  const [userPct, sysPct] = [pct(c1[0] - c0[0]), pct(c1[1] - c0[1])];

  const nsPct = (x: number) => `${((x / 1e9 / wall) * 100).toFixed(2)}%`;
  if (FLOOR) {
    // its counts come at its end: what it sent and what was answered, so a floor that probed nothing shows
    await stopChild(agent);
    console.log(`agent-floor.c in the agent's place (the same probes, no node, no records), ${answered} icmp answered + ${lost} icmp lost + ${tcpVips} tcp (their VIPs also icmp): ${floorSays.trim()}; CPU ${userPct.toFixed(2)}% user + ${sysPct.toFixed(2)}% system over ${wall.toFixed(1)} s; ${((s1.wakeups - s0.wakeups) / wall).toFixed(0)} wake-ups/s${napiThreads.length ? `; the target's answering ${nsPct(n1 - n0)}` : ''}`);
    console.log(machineLine(syscallUs));
    console.log(`floor: ${TARGETS} targets, ${(userPct + sysPct).toFixed(2)}% of one core, ${peak[0].toFixed(1)} MB RSS`);
  } else {
    // the first minute the agent probed whole must have reached the gateway: a record per target
    const firstWhole = Math.ceil((started + 3000) / 60_000) * 60_000;
    type Sum = { n: number; sent: number; recv: number; rtt: number };
    const byMinute = new Map<string, Map<string, Sum>>();
    const lostSet = new Set(vips.slice(tcpVips + answered).map((v) => v.ip));
    for (const until = Date.now() + 80_000; Date.now() < until;) {
      byMinute.clear();
      for (const r of (await gw!.stored()).filter((x) => x.host === HOST)) {
        const kind = r.method === 'tcp' ? 'tcp' : lostSet.has(r.vip) ? 'icmp-lost' : 'icmp';
        const m = byMinute.get(r.ts) ?? new Map<string, Sum>();
        const s = m.get(kind) ?? { n: 0, sent: 0, recv: 0, rtt: 0 };
        s.n++; s.sent += r.sent; s.recv += r.recv; s.rtt += r.rttAvg ?? 0;
        m.set(kind, s);
        byMinute.set(r.ts, m);
      }
      if (byMinute.has(iso(firstWhole))) break;
      await sleep(2000);
    }
    for (const [ts, m] of [...byMinute].sort()) {
      const parts = [...m].sort().map(([k, s]) => `${k} ${s.n} records, ${s.sent} sent, loss ${((100 * (s.sent - s.recv)) / s.sent).toFixed(1)}%${s.recv ? `, mean rtt ${(s.rtt / s.n).toFixed(3)} ms` : ''}`);
      console.log(`minute ${ts}${ts === iso(firstWhole) ? ' (whole)' : ''}: ${parts.join('; ')}`);
    }
    const whole = byMinute.get(iso(firstWhole));
    const n = whole ? [...whole.values()].reduce((s, x) => s + x.n, 0) : 0;
    if (n !== TARGETS) throw new Error(`minute ${iso(firstWhole)} arrived with ${n} records, not ${TARGETS}`);
    if (whole!.get('icmp-lost')!.recv !== 0 || whole!.get('icmp')!.recv < whole!.get('icmp')!.sent * 0.99 || whole!.get('tcp')!.recv < whole!.get('tcp')!.sent * 0.99) {
      throw new Error('the mix is not what was set up (answered icmp and tcp must answer, the dropped addresses must not)');
    }
    console.log(`packaged agent (${launcher.slice(dir.length + 1)}${flags !== undefined ? `, node flags ${JSON.stringify(flags)}` : ''}${schedule ? `, agent.schedule ${schedule}` : ''}${tickMs ? `, agent.tickMs ${tickMs}` : ''}${TARGET_NAPI === 'inline' ? ', plain veth: the target\'s answering runs in the agent\'s sendto() and counts as the agent\'s' : ''}), ${answered} icmp answered + ${lost} icmp lost + ${tcpVips} tcp (their VIPs also icmp); CPU ${userPct.toFixed(2)}% user + ${sysPct.toFixed(2)}% system over ${wall.toFixed(1)} s after a ${WARMUP_SEC} s warm-up; processes ${pids.join(',')}; RSS = peak of 1 s samples`);
    const agentTicks = c1[0] - c0[0] + c1[1] - c0[1];
    console.log(`agent by the scheduler's clock (schedstat): main thread ${nsPct(s1.main - s0.main)}, helper threads ${nsPct(s1.helpers - s0.helpers)} of one core; waited for a CPU ${nsPct(s1.waited - s0.waited)} of the time; ${((s1.wakeups - s0.wakeups) / wall).toFixed(0)} wake-ups/s; ${((s1.minflt - s0.minflt) / wall).toFixed(0)} page faults/s`);
    if (napiThreads.length) console.log(`the target namespace's answering, in the veth's NAPI threads (not the agent's): ${nsPct(n1 - n0)} of one core`);
    console.log(`machine (2 cores) over the window: the rest (this bench with its gateway included) busy ${pct(m1[0] - m0[0] - agentTicks).toFixed(1)}% of one core, softirq ${pct(m1[1] - m0[1]).toFixed(2)}%; peak RSS ${peak[1].toFixed(1)} MB anonymous + ${peak[2].toFixed(1)} MB file-backed`);
    console.log(machineLine(syscallUs));
    console.log(`agent: ${TARGETS} targets, ${(userPct + sysPct).toFixed(2)}% of one core, ${peak[0].toFixed(1)} MB RSS`);
  }
} finally {
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    const exited = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  }
  await gw?.close();
  await lab.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
