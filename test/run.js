#!/usr/bin/env node
// `npm test`: installs what the tests need where it can (as root, from Debian's packages), builds dist/, then runs
// every test/**/*.test.ts with node's test runner. Tests that still lack a tool skip and say why; under CI=true they fail.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;

// tool on PATH -> Debian package that provides it
const tools = { influxd: 'influxdb', fping: 'fping', nft: 'nftables', chromium: 'chromium', ip: 'iproute2', mariadbd: 'mariadb-server', python3: 'python3' };
const missing = Object.entries(tools).filter(([cmd]) => !has(cmd) && !(cmd === 'mariadbd' && has('mysqld')));
if (missing.length && isRoot && process.env.NO_TEST_INSTALL !== '1') {
  const pkgs = missing.map(([, p]) => p);
  console.log(`test set-up: installing ${pkgs.join(' ')} from Debian's packages`);
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], {
      stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (e) {
    console.log(`test set-up: install failed (${e.message}); the tests that need these will say so`);
  }
} else if (missing.length) {
  console.log(`test set-up: missing ${missing.map(([c]) => c).join(', ')} and not root: the tests that need them will skip`);
}

// Tests that spawn the CLI (bin/vipwatch.js) run the compiled code: build it from the current sources first.
// tsc writes dist/ even when it reports type errors: the tests still run then (and `npm run typecheck` fails).
const build = spawnSync(process.execPath, [join(root, 'build/build.js')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) console.log('test set-up: the build reported errors (above); running the tests on what it wrote');

const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'artifacts' && e.name !== 'node_modules') walk(p);
    else if (e.isFile() && e.name.endsWith('.test.ts')) files.push(relative(root, p));
  }
};
walk(join(root, 'test'));
const only = process.argv.slice(2);
const selected = (only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files).sort();

// Tests that use no process, namespace, fixed server or wall-clock timing of their own (pure functions, in-memory or
// temp-file SQLite, an HTTP server on a port of its own): they run two at a time, first. Everything else (drills, the
// demo, Chromium, InfluxDB, MariaDB, namespaces, agents, CLI children) runs after them, as below.
const TOGETHER = [
  'test/core/expected-records', 'test/core/inventory.test', 'test/core/records', 'test/analyzer/baseline', 'test/analyzer/cert-expiry', 'test/analyzer/correlation', 'test/analyzer/lane-checkpoint',
  'test/analyzer/latency-alerts', 'test/analyzer/latency-readside', 'test/analyzer/latency.test', 'test/analyzer/record-scan',
  'test/analyzer/replay', 'test/analyzer/rules', 'test/alerting/measured', 'test/alerting/outbox-store', 'test/alerting/policy',
  'test/alerting/routing', 'test/agent/minute-join', 'test/agent/schedule', 'test/agent/spool', 'test/demo/story', 'test/gateway/tasks', 'test/ingest/limits',
  'test/ingest/queue', 'test/ingest/recent-keys', 'test/ingest/results', 'test/ingest/validate', 'test/probes/diagnose',
  'test/probes/diagnosis-store', 'test/probes/pathcapture', 'test/security/files', 'test/security/http-surface',
  'test/security/read-open', 'test/stores/faults', 'test/stores/series-retention', 'test/stores/mongo-docs', 'test/stores/outbox-upgrade', 'test/web/http', 'test/web/outbox-message', 'test/web/units', 'test/web/whitelist-until',
];
const together = selected.filter((f) => TOGETHER.some((t) => f.startsWith(t)));
// Most of the rest spends its time waiting (drills run minutes of a sped-up clock). Before it, with nothing else
// running, the tests that compare round trips with fping's or time probes to the millisecond, and the namespace tests
// outside the drills. Then two lanes side by side, each one file at a time: the system drill (it owns namespaces and
// root-namespace routes, and uses little CPU) with the whitelist and fuzz drills, to even the lanes, in one; in the
// other everything else, all on fresh ports, temp dirs and uniquely named databases. Last, alone again: the demo (372
// agents in one process: it needs the cores) and the path drills (their traceroutes must come back within the
// diagnosis' wait). Run in the lanes, those two failed.
const SENSITIVE = [
  'test/agent/icmp-fping', 'test/agent/ipv6', 'test/agent/icmp-socket', 'test/agent/native-schedule', 'test/agent/probes.test', 'test/agent/pacing',
  'test/agent/probe-summary', 'test/agent/http-l7', 'test/probes/traceroute.test', 'test/probes/traceroute-modes',
];
const DRILLS = ['test/drills/system', 'test/drills/whitelist', 'test/drills/fuzz'];
const LAST = ['test/demo/start', 'test/drills/path-capture'];
const inList = (f, list) => list.some((t) => f.startsWith(t));
const sensitive = selected.filter((f) => !together.includes(f) && inList(f, SENSITIVE));
const drills = selected.filter((f) => inList(f, DRILLS));
const last = selected.filter((f) => inList(f, LAST));
const rest = selected.filter((f) => ![together, sensitive, drills, last].some((l) => l.includes(f)));
// Besides the usual report on stdout, every failure goes to a file as one JSON line; they are printed again at the
// very end, so a log cut in the middle (CI keeps its head and tail) still says which test failed and why.
const failuresDir = mkdtempSync(join(tmpdir(), 'vipwatch-test-'));
const failures = [];
let runs = 0;
/** Runs `list` with node's test runner; `quiet`: its report is held and printed when it ends (a lane beside another). */
const run = (list, concurrency, quiet = false) => new Promise((done) => {
  if (!list.length) return done(0);
  const failuresFile = join(failuresDir, `failures-${runs++}.jsonl`);
  const reporters = ['--test-reporter', process.stdout.isTTY ? 'spec' : 'tap', '--test-reporter-destination', 'stdout',
    '--test-reporter', join(root, 'test/support/failure-summary.mjs'), '--test-reporter-destination', failuresFile];
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...reporters, ...list],
    { cwd: root, stdio: ['ignore', quiet ? 'pipe' : 'inherit', 'inherit'] });
  const held = [];
  child.stdout?.on('data', (c) => held.push(c));
  child.on('close', (code) => {
    if (held.length) process.stdout.write(Buffer.concat(held));
    if (existsSync(failuresFile)) failures.push(...readFileSync(failuresFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    done(code ?? 1);
  });
});
const statuses = [await run(together, 2), await run(sensitive, 1), ...(await Promise.all([run(drills, 1), run(rest, 1, true)])), await run(last, 1)];
if (failures.length) {
  console.log(`\n# failed: ${failures.filter((f) => f.nesting === 0).length} top-level tests, ${failures.length} with their subtests`);
  for (const f of failures) console.log(`# ${'  '.repeat(f.nesting)}${f.name} (${relative(root, f.file ?? '')}): ${f.error.replace(/\s+/g, ' ')}`);
}
rmSync(failuresDir, { recursive: true, force: true });
process.exit(statuses.find((s) => s !== 0) ?? 0);
