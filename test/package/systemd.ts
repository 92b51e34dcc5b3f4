// `npm run check:systemd` (root): the agent's .deb under a real systemd, where `npm test`'s package test
// (deb.test.ts) runs the unit with a stand-in. Debian bookworm is bootstrapped once (debootstrap, from Debian's
// packages, into /var/tmp/vipwatch-systemd-bookworm, then reused), copied for the run and booted with systemd-nspawn
// on the host's network. There its systemd (PID 1 of the container) installs the .deb, starts vipwatch-agent.service
// against a real gateway on loopback (targets 127.0.0.1 over ICMP and TCP, 127.0.0.2 over ICMP), and once the
// gateway has stored answered records of every target, says what the kernel reports of the service's process,
// stops the unit and powers off. This process checks: the unit active with no restart, its own system user,
// CAP_NET_RAW and nothing more, no new privileges, a seccomp filter, a read-only root with its state directory
// writable, the records stored, and a clean exit on stop. Not part of `npm test`: the bootstrap downloads ~100 MB.
// Prints LAST: `systemd: <version>: ...`.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOST, testGateway } from '../agent/gateway.js';
import { hasCommand, isRoot } from '../support/env.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BASE = '/var/tmp/vipwatch-systemd-bookworm';
const RUN = `${BASE}.run`;
const SHARE = '/mnt/vipwatch';
const CAP_NET_RAW = (1n << 13n).toString(16).padStart(16, '0');

if (!isRoot) {
  console.error('check:systemd boots a container and installs a package in it: it needs root');
  process.exit(1);
}
if (!hasCommand('debootstrap') || !hasCommand('systemd-nspawn')) {
  console.log('installing debootstrap and systemd-container from Debian\'s packages');
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'debootstrap', 'systemd-container'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}
if (!existsSync(join(BASE, 'etc/os-release'))) {
  console.log(`bootstrapping Debian bookworm with systemd into ${BASE} (once)`);
  rmSync(`${BASE}.new`, { recursive: true, force: true });
  execFileSync('debootstrap', ['--variant=minbase', '--include=systemd,systemd-sysv,dbus,procps', 'bookworm', `${BASE}.new`, 'http://deb.debian.org/debian'], { stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(`${BASE}.new`, BASE);
}

const share = join(RUN, SHARE);
const listener = createServer((s) => { s.on('error', () => {}); s.end(); });
let gw: Awaited<ReturnType<typeof testGateway>> | null = null;
try {
  rmSync(RUN, { recursive: true, force: true });
  execFileSync('cp', ['-a', BASE, RUN]);
  mkdirSync(share, { recursive: true });
  execFileSync(process.execPath, [join(ROOT, 'build/package-agent.js'), '--out', share], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  // the node on this machine's PATH, as an operator installs one (Debian's is older than 20)
  copyFileSync(process.execPath, join(RUN, 'usr/local/bin/node'));

  const port = await new Promise<number>((resolve) => listener.listen(0, '127.0.0.1', () => resolve((listener.address() as { port: number }).port)));
  gw = await testGateway([{ ip: '127.0.0.1', port }, { ip: '127.0.0.2' }], { minuteSec: 2 });

  // inside: install, configure, start; when this side has seen the records (SHARE/seen), report and stop
  writeFileSync(join(share, 'check.sh'), `#!/bin/sh
exec > ${SHARE}/check.log 2>&1
set -x
out=${SHARE}/result
dpkg -i ${SHARE}/vipwatch-agent_*_amd64.deb
printf 'VIPWATCH_AGENT_GATEWAY=%s\\nVIPWATCH_AGENT_TOKEN=%s\\nVIPWATCH_AGENT__TIMEOUT_MS=500\\n' '${gw.url}' '${gw.token}' > /etc/vipwatch-agent/agent.env
printf '\\nminuteSec: 2\\n' >> /etc/vipwatch-agent/config.yaml
systemctl restart vipwatch-agent
for i in $(seq 120); do [ -e ${SHARE}/seen ] && break; sleep 0.5; done
{
  echo "systemd=$(systemctl --version | head -1)"
  systemctl show vipwatch-agent -p ActiveState -p SubState -p NRestarts -p User -p MemoryMax
  echo "userUid=$(id -u vipwatch-agent)"
  pid=$(systemctl show -p MainPID --value vipwatch-agent)
  grep -E '^(Uid|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/$pid/status | sed -e 's/:[[:space:]]*/=/' -e 's/[[:space:]][[:space:]]*/ /g'
  awk '$5 == "/" { print "rootMount=" $6 } $5 == "/var/lib/vipwatch-agent" { print "stateMount=" $6 }' /proc/$pid/mountinfo
  systemctl stop vipwatch-agent
  echo "stopped=$(systemctl show vipwatch-agent -p ActiveState -p ExecMainCode -p ExecMainStatus | tr '\\n' ' ')"
} > $out.tmp
mv $out.tmp $out
journalctl -u vipwatch-agent --no-pager | tail -20
systemctl poweroff
`);
  chmodSync(join(share, 'check.sh'), 0o755);
  writeFileSync(join(RUN, 'etc/systemd/system/vipwatch-check.service'), `[Unit]\nDescription=vipwatch check:systemd\nAfter=multi-user.target\n[Service]\nType=oneshot\nExecStart=${SHARE}/check.sh\n`);

  // --register=no --keep-unit: no systemd on this machine's side to register with or to ask for a scope
  const boot = spawn('systemd-nspawn', ['-D', RUN, '--register=no', '--keep-unit', '--console=pipe', '-b', '--', 'systemd.wants=vipwatch-check.service'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let console_ = '';
  boot.stdout!.on('data', (c: Buffer) => { console_ += c.toString(); });
  boot.stderr!.on('data', (c: Buffer) => { console_ += c.toString(); });
  const ended = new Promise<number | null>((r) => boot.once('exit', (code) => r(code)));
  const want = ['icmp 127.0.0.1', 'icmp 127.0.0.2', 'tcp 127.0.0.1'];
  let stored = 0;
  for (let i = 0; i < 120; i++) {
    const recs = (await gw.stored()).filter((r) => r.host === HOST && r.recv > 0);
    stored = recs.length;
    if (want.every((k) => recs.some((r) => `${r.method} ${r.vip}` === k))) break;
    if (boot.exitCode !== null) break;
    await sleep(1000);
  }
  writeFileSync(join(share, 'seen'), '');
  const code = await Promise.race([ended, sleep(90_000).then(() => { boot.kill('SIGKILL'); return 'timeout'; })]);
  const log = () => `container exit ${code}; check.log:\n${existsSync(join(share, 'check.log')) ? readFileSync(join(share, 'check.log'), 'utf8').slice(-4000) : '(none)'}\nconsole:\n${console_.slice(-2000)}`;
  if (!existsSync(join(share, 'result'))) throw new Error(`no result from inside the container; ${log()}`);
  const r = Object.fromEntries(readFileSync(join(share, 'result'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  console.log(readFileSync(join(share, 'result'), 'utf8').trim());
  const problems: string[] = [];
  const expect = (what: string, ok: boolean) => { if (!ok) problems.push(what); };
  expect(`answered records of ${want.join(', ')} stored (${stored} answered records)`, stored >= want.length);
  expect('the unit active and running, never restarted', r.ActiveState === 'active' && r.SubState === 'running' && r.NRestarts === '0');
  expect('its own system user, not root', r.User === 'vipwatch-agent' && r.Uid?.split(/\s+/)[0] === r.userUid && r.userUid !== '0');
  for (const k of ['CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) expect(`${k} is CAP_NET_RAW alone`, r[k] === CAP_NET_RAW);
  expect('no new privileges, a seccomp filter', r.NoNewPrivs === '1' && r.Seccomp === '2');
  expect('the root read-only, the state directory writable', /^ro\b/.test(r.rootMount ?? '') && /^rw\b/.test(r.stateMount ?? ''));
  expect('MemoryMax as the unit sets it (256M)', r.MemoryMax === String(256 * 1024 * 1024));
  expect('a clean exit on stop', /ActiveState=inactive/.test(r.stopped ?? '') && /ExecMainCode=1\b/.test(r.stopped ?? '') && /ExecMainStatus=0\b/.test(r.stopped ?? ''));
  if (problems.length) throw new Error(`check:systemd: ${problems.join('; ')}\n${log()}`);
  console.log(`systemd: ${r.systemd}: vipwatch-agent.service ran as ${r.User} with CAP_NET_RAW only, no new privileges, seccomp, a read-only root; ${stored} answered records stored; stopped cleanly`);
} finally {
  listener.close();
  await gw?.close();
  rmSync(RUN, { recursive: true, force: true });
}
