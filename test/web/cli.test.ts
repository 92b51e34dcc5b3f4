// The commands: `vipwatch user add|token|list` against the embedded admin store, and `vipwatch web` serving it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, waitFor } from '../support/ports.js';
import { userCommand } from '../../bin/commands/user.js';
import { login } from './harness.js';

const BIN = new URL('../../bin/vipwatch.js', import.meta.url).pathname;

/** The environment without VIPWATCH_* settings of the caller (they are config overrides) plus `extra`. */
const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VIPWATCH_'))), ...extra,
});

/** Starts `vipwatch web` and resolves once /healthz answers (or rejects with its log if it exits first). */
async function startWebProcess(env: NodeJS.ProcessEnv, port: number) {
  const proc = spawn(process.execPath, [BIN, 'web', '--port', String(port)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const out = { log: '' };
  proc.stderr!.on('data', (d: Buffer) => { out.log += d.toString(); });
  const exited = new Promise<number | null>((r) => proc.once('exit', r));
  const url = `http://127.0.0.1:${port}`;
  const failed = exited.then((code) => { throw new Error(`vipwatch web exited with ${code}: ${out.log}`); });
  failed.catch(() => {}); // once up, a later exit is the test's to check
  await Promise.race([waitFor(async () => (await fetch(`${url}/healthz`)).ok, 30_000, 'vipwatch web /healthz'), failed]);
  return { proc, out, exited, url, stop: () => { if (proc.exitCode === null) process.kill(proc.pid!, 'SIGKILL'); } };
}

test('vipwatch user and vipwatch web', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-web-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = cleanEnv({ DATA_DIR: dir, VIPWATCH_LOG_LEVEL: 'info' });
  const run = (args: string[], input?: string) => spawnSync(process.execPath, [BIN, ...args], { env, input, encoding: 'utf8', timeout: 30_000 });

  const add = run(['user', 'add', 'ops', '--role', 'admin', '--password-stdin'], 'ops-secret-pw\n');
  assert.equal(add.status, 0, add.stderr);
  assert.match(add.stderr, /created admin ops/);
  const generated = run(['user', 'add', 'noc', '--role', 'viewer']);
  assert.equal(generated.status, 0, generated.stderr);
  const nocPassword = generated.stdout.trim();
  assert.ok(nocPassword.length >= 16);
  const token = run(['user', 'token', 'ops', '--label', 'ci']);
  assert.equal(token.status, 0, token.stderr);
  assert.match(token.stdout.trim(), /^vwt_[A-Za-z0-9_-]{43}$/);

  const web = await startWebProcess(env, await freePort());
  t.after(web.stop);
  const url = web.url;
  // Users existed already, so no password was generated and the log says who to log in as.
  assert.match(web.out.log, /log in as ops with your password/);
  assert.throws(() => readFileSync(join(dir, 'web-admin-password')));

  const created = await fetch(`${url}/api/v1/whitelist`, {
    method: 'POST', headers: { Authorization: `Bearer ${token.stdout.trim()}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ vip: '198.19.0.1', reason: 'cli test' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const s = await login(url, 'noc', nocPassword);
  const refused = await fetch(`${url}/api/v1/whitelist/1`, { method: 'DELETE', headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf } });
  assert.equal(refused.status, 403);
  process.kill(web.proc.pid!, 'SIGTERM');
  assert.equal(await web.exited, 0);
});

test('vipwatch user refuses a bad role, a bad user name, an unknown user and an unknown subcommand, naming the value', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-web-cli-'));
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('VIPWATCH_')) delete process.env[k];
  process.env.DATA_DIR = dir;
  const errors: string[] = [];
  t.mock.method(console, 'error', (m: string) => { errors.push(m); });
  t.after(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(await userCommand.run({ role: 'root' }, ['add', 'x']), 2);
  assert.match(errors.pop()!, /--role must be admin, operator or viewer, got "root"/);
  assert.equal(await userCommand.run({ role: 'viewer' }, ['add', 'bad name!']), 2);
  assert.match(errors.pop()!, /user name "bad name!": use 1-64 letters/);
  assert.equal(await userCommand.run({}, ['token', 'ghost']), 1);
  assert.match(errors.pop()!, /no user "ghost"/);
  assert.equal(await userCommand.run({}, ['remove', 'x']), 2);
});

test('vipwatch web on an empty data dir generates the first admin password and says where it is', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-web-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const web = await startWebProcess(cleanEnv({ DATA_DIR: dir }), await freePort());
  t.after(web.stop);
  const url = web.url;
  const file = join(dir, 'web-admin-password');
  assert.ok(web.out.log.includes(`open ${url}/login and log in as admin with the password in ${file}`), web.out.log);
  await login(url, 'admin', readFileSync(file, 'utf8').trim());
  process.kill(web.proc.pid!, 'SIGTERM');
  assert.equal(await web.exited, 0);
});
