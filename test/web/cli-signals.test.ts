// The CLI as an operator runs it (compiled: npm run build first): `vipwatch start` stops on SIGTERM and on SIGINT
// (Ctrl-C) within a bounded time and frees its port; `vipwatch plan ... | head` ends quietly (no EPIPE stack).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, waitFor } from '../support/ports.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'bin/vipwatch.js');

/** True when nothing listens on the port (we can bind it ourselves). */
const portFree = (port: number): Promise<boolean> => new Promise((resolve) => {
  const s = createServer();
  s.once('error', () => resolve(false));
  s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`vipwatch start stops on ${signal}: exits within 20 s and frees its port`, { timeout: 90_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vipwatch-signal-'));
    const port = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VIPWATCH_')));
    const child = spawn(process.execPath, [CLI, 'start', '--speed', '10'], { cwd: ROOT, env: { ...env, PORT: String(port), DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, sig) => r({ code, signal: sig })));
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    await waitFor(async () => out.includes('Stop        Ctrl-C'), 60_000, 'the quick-start text');
    assert.equal((await fetch(`http://127.0.0.1:${port}/login`)).status, 200, 'the web UI answers before the signal');
    const sent = Date.now();
    process.kill(child.pid!, signal);
    const res = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    assert.ok(res, `exited within 20 s of ${signal}; stderr tail: ${err.slice(-500)}`);
    assert.equal(res.code, 0, `clean exit after ${signal} (${res.signal ?? ''}); stderr tail: ${err.slice(-500)}`);
    t.diagnostic(`${signal}: exited ${((Date.now() - sent) / 1000).toFixed(1)} s after the signal`);
    assert.ok(await portFree(port), `port ${port} is free again`);
  });
}

test('vipwatch plan --inventory F | head ends quietly: no EPIPE stack on stderr, exit 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-epipe-'));
  try {
    const inv = join(dir, 'inventory.json');
    const made = spawnSync(process.execPath, [CLI, 'demo-inventory', '--json'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    writeFileSync(inv, made.stdout);
    // the plan is one line far larger than a pipe's buffer: head -c closes the pipe while plan still writes
    for (const head of ['head -1', 'head -c 100']) {
      const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" plan --inventory "${inv}" | ${head} > /dev/null`], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.stderr, '', `${head}: nothing on stderr`);
      assert.equal(r.status, 0, `${head}: plan exits 0`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
