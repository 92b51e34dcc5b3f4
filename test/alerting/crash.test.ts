// A process killed (SIGKILL) between the outbox write and the delivery: after a restart every message is
// delivered once, and the analyzer re-running the same minute queues nothing again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startSmtp } from '../support/smtp.js';
import { cleanup, rig, smtpConfig } from './fixtures/alerter.js';
import { dcOutage, MIN, opened, T0 } from './fixtures/world.js';

test('killed between outbox write and delivery: delivered once after restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-alerting-crash-'));
  // an "SMTP server" that accepts the connection and never answers: delivery is under way when the kill comes
  const sockets: Socket[] = [];
  let connected!: () => void;
  const reached = new Promise<void>((r) => { connected = r; });
  const hang = createServer((s) => { sockets.push(s); connected(); });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
  const smtp = await startSmtp();
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/crash-child.ts'), dir, String((hang.address() as { port: number }).port)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((r) => hang.close(() => r()));
    await smtp.stop();
    cleanup(dir);
  });
  const committed = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('committed')) resolve(); });
    child.once('exit', (c) => reject(new Error(`child exited with ${c} before committing`)));
  });
  await committed;
  await reached;
  const exited = new Promise((r) => child.once('exit', (_c, sig) => r(sig)));
  process.kill(child.pid!, 'SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  assert.equal(smtp.received.length, 0);

  const r = await rig(smtpConfig(smtp.port), dir);
  t.after(() => r.close());
  r.clock.now = T0 + 4 * MIN;
  // the engine had not checkpointed that minute, so it hands it over again: nothing new is queued
  const { dc, vips } = dcOutage();
  assert.deepEqual(await r.alerter.onMinute(T0 + 2 * MIN, opened(T0 + 2 * MIN, [dc, ...vips])), []);
  const res = await r.alerter.deliverDue();
  assert.equal(res.delivered, 4);
  assert.equal(smtp.received.length, 4);
  assert.equal(new Set(smtp.received.map((m) => m.headers.get('x-vipwatch-id'))).size, 4);
  assert.deepEqual(smtp.received.map((m) => m.to.join(',')).sort(),
    ['noc@example.com', 'oncall-search@example.com', 'pay@example.com', 'video-a@example.com,video-b@example.com']);
  r.clock.now += 3_600_000;
  await r.alerter.deliverDue();
  assert.equal(smtp.received.length, 4);
});
