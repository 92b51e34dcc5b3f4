#!/usr/bin/env node
// `npm test`: installs what the tests need where it can (as root, from Debian's packages), builds dist/, then runs
// every test/**/*.test.ts with node's test runner. Tests that still lack a tool skip and say why; under CI=true they fail.
import { execFileSync, spawnSync } from 'node:child_process';
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
// temp-file SQLite, an HTTP server on a port of its own): they run two at a time. Everything else (drills, the demo,
// Chromium, InfluxDB, MariaDB, namespaces, agents, CLI children) runs one at a time after them, as before.
const TOGETHER = [
  'test/core/expected-records', 'test/core/inventory.test', 'test/core/records', 'test/analyzer/baseline', 'test/analyzer/cert-expiry', 'test/analyzer/correlation', 'test/analyzer/lane-checkpoint',
  'test/analyzer/latency-alerts', 'test/analyzer/latency-readside', 'test/analyzer/latency.test', 'test/analyzer/record-scan',
  'test/analyzer/replay', 'test/analyzer/rules', 'test/alerting/measured', 'test/alerting/outbox-store', 'test/alerting/policy',
  'test/alerting/routing', 'test/agent/schedule', 'test/agent/spool', 'test/demo/story', 'test/gateway/tasks', 'test/ingest/limits',
  'test/ingest/queue', 'test/ingest/recent-keys', 'test/ingest/results', 'test/ingest/validate', 'test/probes/diagnose',
  'test/probes/diagnosis-store', 'test/probes/pathcapture', 'test/security/files', 'test/security/http-surface',
  'test/security/read-open', 'test/stores/faults', 'test/stores/mongo-docs', 'test/stores/outbox-upgrade', 'test/web/http', 'test/web/outbox-message', 'test/web/units', 'test/web/whitelist-until',
];
const together = selected.filter((f) => TOGETHER.some((t) => f.startsWith(t)));
const alone = selected.filter((f) => !together.includes(f));
// Besides the usual report on stdout, every failure goes to a file as one JSON line; they are printed again at the
// very end, so a log cut in the middle (CI keeps its head and tail) still says which test failed and why.
const failuresFile = join(mkdtempSync(join(tmpdir(), 'vipwatch-test-')), 'failures.jsonl');
const reporters = ['--test-reporter', process.stdout.isTTY ? 'spec' : 'tap', '--test-reporter-destination', 'stdout',
  '--test-reporter', join(root, 'test/support/failure-summary.mjs'), '--test-reporter-destination', failuresFile];
const failures = [];
const run = (list, concurrency) => {
  if (!list.length) return 0;
  const status = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...reporters, ...list],
    { cwd: root, stdio: 'inherit' }).status ?? 1;
  if (existsSync(failuresFile)) failures.push(...readFileSync(failuresFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  return status;
};
const first = run(together, 2);
const second = run(alone, 1);
if (failures.length) {
  console.log(`\n# failed: ${failures.filter((f) => f.nesting === 0).length} top-level tests, ${failures.length} with their subtests`);
  for (const f of failures) console.log(`# ${'  '.repeat(f.nesting)}${f.name} (${relative(root, f.file ?? '')}): ${f.error.replace(/\s+/g, ' ')}`);
}
rmSync(dirname(failuresFile), { recursive: true, force: true });
process.exit(first || second);
