// The agent package (`npm run package:agent`): its .deb installed into a scratch root (overlay of this machine's root,
// test/package/root.ts), the agent started as its systemd unit says (own user, CAP_NET_RAW only, read-only root but
// its state dir) against a real gateway; its records must be stored. Then an upgrade to a second version keeps the
// spool (minutes measured while the gateway was down) and the kept task list, and the restarted agent delivers them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, type Dirent } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { skipUnless } from '../support/env.js';
import { freePort, waitFor } from '../support/ports.js';
import { HOST, testGateway } from '../agent/gateway.js';
import { ScratchRoot, Unit } from './root.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const MINUTE_SEC = 2;
const STATE = '/var/lib/vipwatch-agent';
const UNIT = '/lib/systemd/system/vipwatch-agent.service';
const CAP_NET_RAW = 1n << 13n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const V1 = version;
const V2 = `${version}+upgrade1`;

/** The files under dir (relative path -> content), read through the upper layer: what the package left there. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[]) {
    if (e.isFile()) out.set(join(e.parentPath, e.name).slice(dir.length + 1), readFileSync(join(e.parentPath, e.name), 'utf8'));
  }
  return out;
}

/** Capability sets of a process, from /proc. */
function procStatus(pid: number): { uid: number; bnd: bigint; amb: bigint; eff: bigint } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hex = (k: string) => BigInt(`0x${new RegExp(`^${k}:\\s+([0-9a-f]+)`, 'm').exec(s)![1]}`);
  return { uid: Number(/^Uid:\s+(\d+)/m.exec(s)![1]), bnd: hex('CapBnd'), amb: hex('CapAmb'), eff: hex('CapEff') };
}

test('the agent .deb installs into a fresh root, runs as its unit says, stores records, and an upgrade keeps its spool', async (t) => {
  if (skipUnless(t, { root: true, commands: ['dpkg-deb', 'dpkg', 'unshare', 'setpriv', 'chroot'] })) return;
  const out = mkdtempSync(join(tmpdir(), 'vipwatch-deb-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  for (const v of [V1, V2]) execFileSync(process.execPath, [join(ROOT, 'build/package-agent.js'), '--out', out, '--version', v], { cwd: ROOT, stdio: 'pipe' });
  const tarball = readdirSync(out).find((f) => f === `vipwatch-agent-${V1}-linux-x64.tar.gz`);
  assert.ok(tarball, `the tarball is written next to the .deb (${readdirSync(out).join(', ')})`);

  const root = new ScratchRoot(out);
  t.after(() => root.remove());
  assert.notEqual(root.run('dpkg-query -W vipwatch-agent').status, 0, 'the package is not installed before');
  root.sh(`dpkg -i /mnt/vipwatch-agent_${V1}_amd64.deb`);
  assert.match(root.sh("dpkg-query -W -f '${Status} ${Version}' vipwatch-agent"), new RegExp(`^install ok installed ${V1.replace(/[.+]/g, '\\$&')}$`));

  // what it installed: compiled JavaScript, the ICMP addon, raw-socket with its addon as the only module, no TypeScript
  const files = root.sh('dpkg -L vipwatch-agent').split('\n').filter(Boolean);
  assert.ok(files.includes('/usr/bin/vipwatch-agent') && files.includes('/usr/lib/vipwatch-agent/vipwatch-agent.mjs'), files.join('\n'));
  assert.ok(files.includes('/usr/lib/vipwatch-agent/icmp_socket.node'), 'the ICMP probe\'s addon (agent/native) is in the package');
  assert.ok(files.some((f) => f.endsWith('/node_modules/raw-socket/build/Release/raw.node')), 'raw-socket\'s addon (traceroute) is in the package');
  assert.deepEqual(files.filter((f) => /\.(ts|tsx|cts|mts)$/.test(f)), [], 'no TypeScript in the package');
  assert.deepEqual([...new Set(files.map((f) => /\/node_modules\/([^/]+)/.exec(f)?.[1]).filter(Boolean))], ['raw-socket'], 'raw-socket is the only module shipped beside the bundle');
  assert.match(root.sh('cat /var/lib/dpkg/info/vipwatch-agent.conffiles'), /\/etc\/vipwatch-agent\/config\.yaml/);
  // the agent's import graph only: none of the servers' dependencies went into the bundle (esbuild's list of inputs)
  const bundled = root.sh('cat /usr/share/doc/vipwatch-agent/THIRD-PARTY');
  assert.match(bundled, /^zod@/m);
  assert.doesNotMatch(bundled, /^(express|mongodb|better-sqlite3|mysql2|@influxdata\/[^@]+|nodemailer|axios|node-schedule|tsx|typescript)@/m);

  // the service user (system account, no login) and its state directory, made by postinst
  const [, , uid, , , home, shell] = root.sh('getent passwd vipwatch-agent').trim().split(':');
  assert.ok(Number(uid) > 0 && Number(uid) < 1000, `a system uid (${uid})`);
  assert.equal(home, STATE);
  assert.equal(shell, '/usr/sbin/nologin');
  assert.equal(root.sh(`stat -c '%U %a' ${STATE}`).trim(), 'vipwatch-agent 700');

  // the unit: its own user, CAP_NET_RAW and nothing more, the hardening options; systemd accepts it
  const unit = new Unit(root.sh(`cat ${UNIT}`));
  assert.equal(unit.get('User'), 'vipwatch-agent');
  assert.deepEqual(unit.list('AmbientCapabilities'), ['CAP_NET_RAW']);
  assert.deepEqual(unit.list('CapabilityBoundingSet'), ['CAP_NET_RAW']);
  for (const [k, v] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['PrivateTmp', 'yes'], ['ProtectHome', 'yes']] as const) assert.equal(unit.get(k), v, k);
  assert.match(unit.get('MemoryMax') ?? '', /^\d+[KMG]$/);
  assert.deepEqual(unit.list('ReadWritePaths'), [STATE]);
  assert.equal(unit.get('ExecStart'), '/usr/bin/vipwatch-agent');
  const verify = root.run(`systemd-analyze verify ${UNIT}`);
  assert.equal(verify.status, 0, `systemd-analyze verify: ${verify.stderr}`);

  // a real gateway on loopback; targets: 127.0.0.1 over icmp and tcp (a listener), 127.0.0.2 over icmp
  const port = await freePort();
  const listener = createServer((s) => { s.on('error', () => {}); s.end(); });
  await new Promise<void>((r) => listener.listen(port, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => listener.close(() => r())));
  const gw = await testGateway([{ ip: '127.0.0.1', port }, { ip: '127.0.0.2' }], { minuteSec: MINUTE_SEC });
  t.after(() => gw.close());

  // the operator's part: gateway and token in agent.env, a setting changed in the conffile; /metrics on
  const metricsPort = await freePort();
  root.sh(`printf 'VIPWATCH_AGENT_GATEWAY=%s\\nVIPWATCH_AGENT_TOKEN=%s\\nVIPWATCH_AGENT__TIMEOUT_MS=500\\nVIPWATCH_AGENT__METRICS_PORT=${metricsPort}\\n' '${gw.url}' '${gw.token}' > /etc/vipwatch-agent/agent.env
    printf '\\nminuteSec: ${MINUTE_SEC}   # set by the operator\\n' >> /etc/vipwatch-agent/config.yaml`);

  const agents = new Set<ReturnType<ScratchRoot['startUnit']>>();
  t.after(async () => { for (const a of agents) if (a.exitCode === null) a.kill('SIGKILL'); });
  const start = () => {
    const a = root.startUnit(unit);
    agents.add(a);
    let log = '';
    a.stderr!.on('data', (c: Buffer) => { log += c.toString(); });
    return { a, log: () => log };
  };
  const stop = async (a: ReturnType<ScratchRoot['startUnit']>) => {
    const exited = new Promise((r) => a.once('exit', r));
    a.kill('SIGTERM');
    await exited;
    assert.equal(a.exitCode, 0, 'the agent exits cleanly on SIGTERM');
  };
  const records = async () => (await gw.stored()).filter((r) => r.host === HOST);
  /** waitFor, with the agent's log in the error (read when it fails, not when it starts) */
  const waitWithLog = (check: () => Promise<boolean>, ms: number, what: string, log: () => string) =>
    waitFor(check, ms, what).catch((e: Error) => { throw new Error(`${e.message}\nagent log:\n${log().slice(-3000)}`); });

  const run1 = start();
  // generous: on a loaded machine (load average 30 on 2 cores here) the agent's start alone can take seconds
  await waitWithLog(async () => {
    const got = new Set((await records()).filter((r) => r.recv > 0).map((r) => `${r.method} ${r.vip}`));
    return ['icmp 127.0.0.1', 'icmp 127.0.0.2', 'tcp 127.0.0.1'].every((k) => got.has(k));
  }, 60_000, 'answered icmp and tcp records stored', run1.log);
  // the service's main process is node under the unit's user, holding CAP_NET_RAW only
  const st = procStatus(run1.a.pid!);
  assert.equal(st.uid, Number(uid), 'runs as vipwatch-agent');
  assert.equal(st.bnd, CAP_NET_RAW, 'bounding set: CAP_NET_RAW only');
  assert.equal(st.amb, CAP_NET_RAW, 'ambient: CAP_NET_RAW');
  const argv = readFileSync(`/proc/${run1.a.pid}/cmdline`, 'utf8').split('\0');
  assert.ok(argv[0]!.endsWith('node') && argv.some((a) => a.endsWith('/lib/vipwatch-agent/vipwatch-agent.mjs')), argv.join(' '));
  assert.ok(!argv.some((a) => /tsx|--import|--loader|--experimental/.test(a)), `node runs the bundle, no loader: ${argv.join(' ')}`);
  // the bundle loads prom-client's parts on first use (build/package-agent.js, lazy-prom-client): the agent's own
  // metrics and, with metricsPort set, the default process metrics are served
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  assert.match(metrics, /^vipwatch_agent_targets 3$/m, metrics.slice(0, 2000));
  assert.match(metrics, /^vipwatch_process_resident_memory_bytes \d+/m, metrics.slice(0, 2000));
  assert.match(metrics, /^vipwatch_nodejs_heap_size_used_bytes \d+/m);

  // the gateway goes away: minutes are spooled; then the agent is stopped and upgraded
  await gw.stop();
  const stateDir = join(root.upper, STATE);
  await waitFor(async () => readdirSync(join(stateDir, 'spool')).some((f) => /^\d.*\.json$/.test(f)), 5 * MINUTE_SEC * 1000, 'a spooled minute');
  await sleep(MINUTE_SEC * 1000);
  await stop(run1.a);
  const before = snapshot(stateDir);
  const spooled = [...before.keys()].filter((k) => /^spool\/\d.*\.json$/.test(k));
  assert.ok(spooled.length >= 1 && before.has('tasks.json'), `state before the upgrade: ${[...before.keys()].join(', ')}`);

  root.sh(`dpkg -i /mnt/vipwatch-agent_${V2}_amd64.deb`);
  assert.match(root.sh("dpkg-query -W -f '${Version}' vipwatch-agent"), new RegExp(`^${V2.replace(/[.+]/g, '\\$&')}$`));
  assert.deepEqual(snapshot(stateDir), before, 'the spool and the kept task list are as they were');
  assert.match(root.sh('cat /etc/vipwatch-agent/config.yaml'), /^minuteSec: 2 {3}# set by the operator$/m, 'the operator\'s config edit is kept');
  assert.match(root.sh('cat /etc/vipwatch-agent/agent.env'), /^VIPWATCH_AGENT_TOKEN=\S+/m);

  // the upgraded agent sends what was spooled while the gateway was down
  await gw.start();
  const run2 = start();
  const minutes = spooled.map((f) => Number(f.slice('spool/'.length).split('-')[0]));
  await waitWithLog(async () => {
    const have = new Set((await records()).map((r) => Date.parse(r.ts)));
    return minutes.every((m) => have.has(m));
  }, 60_000, `the spooled minutes ${minutes.map((m) => new Date(m).toISOString()).join(', ')} stored`, run2.log);
  await stop(run2.a);

  // removal keeps the state; only a purge deletes it
  root.sh('dpkg -r vipwatch-agent');
  assert.ok(snapshot(stateDir).has('tasks.json'), 'dpkg -r keeps the state directory');
  root.sh('dpkg --purge vipwatch-agent');
  assert.notEqual(root.run(`test -e ${STATE}`).status, 0, 'dpkg --purge removes it');
});
