// `npm run bench:rtt`: the agent's ICMP RTTs against fping's on the same path at the same time, quiet and while the
// agent probes 2,500 targets. Two private namespaces joined by a veth pair; the VIP side answers with the kernel's
// own echo replies (no user process in the path), for the measured address and for the whole 198.19.0.0/20.
// Each case runs test/bench/rtt-probe.ts (the agent's IcmpProbe; with load, also the agent's ProbeEngine over 2,250
// answered + 250 silent targets at the default rate and tick, as the agent probes them: in the addon's schedule, on
// the same event loop) and
// `fping -C COUNT -p PERIOD` on the measured address concurrently, both at nice -10, and compares per-probe medians.
// Each case also prints how long the addon's sendto() alone takes on this path (the floor of a user-space stamp).
// Needs root (namespaces, raw sockets) and fping. Env: COUNT (400), PERIOD_MS (25).
// Prints LAST: `rtt: median vs fping: quiet <d> ms, 2500 targets <d> ms (ours/fping quiet <a>/<b> ms, loaded <c>/<d> ms)`.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { missing } from '../support/env.js';
import { median, parseFping } from '../support/fping.js';
import { NetLab, type Netns } from '../support/netns.js';

const COUNT = Number(process.env.COUNT ?? 400);
const PERIOD_MS = Number(process.env.PERIOD_MS ?? 25);
const LOAD = 2500;
const SILENT = 250;
const child = fileURLToPath(new URL('./rtt-probe.ts', import.meta.url));
/** both tools at the same raised priority: PRIO=rt runs them SCHED_FIFO (chrt -f 10), else nice -10 */
const prio = process.env.PRIO === 'rt' ? ['chrt', '-f', '10'] : ['nice', '-n', '-10'];

const why = missing({ root: true, commands: ['ip', 'fping'] });
if (why) {
  console.error(`bench:rtt: ${why}`);
  process.exit(1);
}

const collect = (ns: Netns, cmd: string, args: string[], input?: string) => {
  const p = ns.spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d) => { stdout += d; });
  p.stderr!.on('data', (d) => { stderr += d; });
  p.stdin!.end(input ?? '');
  const done = once(p, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { p, done, stderr: () => stderr };
};

interface CaseResult { ours: number; fping: number; lostOurs: number; lostFping: number; note: string }

async function runCase(agent: Netns, addr: string, load: string[]): Promise<CaseResult> {
  const ours = collect(agent, prio[0]!, [...prio.slice(1), process.execPath, '--import', 'tsx', child, addr, String(COUNT), String(PERIOD_MS), String(load.length)], load.join('\n'));
  // fping starts when our measured series starts (after the load's warm-up), so both run side by side
  while (!ours.stderr().includes('measuring') && ours.p.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  const fp = collect(agent, prio[0]!, [...prio.slice(1), 'fping', '-C', String(COUNT), '-q', '-p', String(PERIOD_MS), '-t', '500', addr]);
  const [o, f] = await Promise.all([ours.done, fp.done]);
  if (o.code !== 0) throw new Error(`rtt-probe exited ${o.code}: ${o.stderr}`);
  const a = parseFping(o.stdout).get(addr)!;
  const b = parseFping(f.stderr).get(addr);
  if (!b) throw new Error(`fping printed no RTTs (exit ${f.code}): ${f.stderr}`);
  return { ours: median(a.rtts), fping: median(b.rtts), lostOurs: a.lost, lostFping: b.lost, note: o.stderr.replace('measuring', '').trim().replace(/\n/g, '; ') };
}

const lab = new NetLab('vwr');
try {
  const agent = lab.ns('agent');
  const vips = lab.ns('vips');
  lab.link(agent, vips, '198.18.0.1/30', '198.18.0.2/30');
  // the kernel answers every address of 198.19.0.0/20 (a local route); 198.19.32.0/24 is routed there and dropped
  vips.run('ip', ['route', 'add', 'local', '198.19.0.0/20', 'dev', 'lo']);
  lab.route(agent, '198.19.0.0/16', '198.18.0.2');
  const addr = '198.19.0.1';
  const load = [
    ...Array.from({ length: LOAD - SILENT }, (_, i) => `198.19.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`),
    ...Array.from({ length: SILENT }, (_, i) => `198.19.32.${1 + i}`),
  ];
  const quiet = await runCase(agent, addr, []);
  const loaded = await runCase(agent, addr, load);
  const d = (c: CaseResult) => `${c.ours - c.fping >= 0 ? '+' : ''}${(c.ours - c.fping).toFixed(3)}`;
  for (const [name, c] of [['quiet', quiet], [`${LOAD} targets`, loaded]] as const) {
    console.log(`${name}: ${COUNT} probes ${PERIOD_MS} ms apart; median ours ${c.ours.toFixed(3)} ms, fping ${c.fping.toFixed(3)} ms; lost ${c.lostOurs}/${c.lostFping}${c.note ? `; ${c.note}` : ''}`);
  }
  console.log(`rtt: median vs fping: quiet ${d(quiet)} ms, ${LOAD} targets ${d(loaded)} ms ` +
    `(ours/fping quiet ${quiet.ours.toFixed(3)}/${quiet.fping.toFixed(3)} ms, loaded ${loaded.ours.toFixed(3)}/${loaded.fping.toFixed(3)} ms)`);
} finally {
  await lab.cleanup();
}
