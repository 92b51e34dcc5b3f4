// `vipwatch probe`: stdout keeps the contract's JSON records, stderr gets fping -c's readable summary per target
// (`ADDR : xmt/rcv/%loss = 5/5/0%, min/avg/max = ...`). TCP to loopback listeners, so no privileges are needed;
// runs the compiled CLI (npm run build first).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { freePort } from '../support/ports.js';

const ROOT = new URL('../..', import.meta.url).pathname;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/vipwatch.js', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('error', reject);
    p.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const ms = (x: number) => (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));

test('vipwatch probe --method tcp: JSON records on stdout, an fping-style summary per target on stderr', async (t) => {
  const server: Server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const open = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const closed = `127.0.0.1:${await freePort()}`;
  const r = await run(['probe', '--method', 'tcp', '--count', '4', '--interval-ms', '50', '--timeout-ms', '500', open, closed]);
  assert.equal(r.code, 0, r.stderr);
  const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(records.map((x) => [x.vip, x.method, x.sent]), [[open, 'tcp', 4], [closed, 'tcp', 4]]);
  const up = records[0]! as { recv: number; rttMin: number; rttAvg: number; rttMax: number };
  assert.equal(up.recv, 4);
  assert.equal(records[1]!.recv, 0);
  // the summary says what the records say, in fping's words
  const lines = r.stderr.trim().split('\n');
  assert.ok(lines.includes(`${open} : xmt/rcv/%loss = 4/4/0%, min/avg/max = ${ms(up.rttMin)}/${ms(up.rttAvg)}/${ms(up.rttMax)}`), r.stderr);
  assert.ok(lines.includes(`${closed} : xmt/rcv/%loss = 4/0/100%`), r.stderr);
  assert.doesNotMatch(r.stdout, /xmt\/rcv/, 'stdout has the records only');
});

test('vipwatch probe --rtts prints every probe as fping -C does, instead of the summary', async (t) => {
  const server: Server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const open = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const r = await run(['probe', '--method', 'tcp', '--count', '3', '--interval-ms', '50', '--rtts', open]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr.trim(), new RegExp(`^${open.replace(/\./g, '\\.')} : \\d+\\.\\d{3} \\d+\\.\\d{3} \\d+\\.\\d{3}$`));
});
