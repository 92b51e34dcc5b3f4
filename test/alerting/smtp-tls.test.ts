// Email through an SMTP server that requires STARTTLS and AUTH, as a company relay does: a real smtp-server with a
// self-signed certificate made here by openssl, trusted through alerting.smtp.ca; the alerter with the SQLite outbox.
// The right password delivers over TLS as that user; a wrong one delivers nothing and keeps the messages in the
// outbox for retry (and they go out once the password is fixed); an untrusted certificate gets no password at all.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteOutboxStore } from '../../core/store/sqlite/outbox.js';
import { createLogger } from '../../core/log.js';
import type { AlertMessage } from '../../analyzer/alerting/types.js';
import type { PolicyState } from '../../analyzer/alerting/policy.js';
import { missing } from '../support/env.js';
import { selfSignedCert, startSmtp } from '../support/smtp.js';
import { cleanup, rig } from './fixtures/alerter.js';
import { dcOutage, opened, T0 } from './fixtures/world.js';

const USER = 'vipwatch-alerts';
const PASS = 'relay-pass-3141';
const skip = missing({ commands: ['openssl'] }) ?? false;

async function relay(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-smtp-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = selfSignedCert(dir);
  const smtp = await startSmtp(undefined, { tls: { key: cert.key, cert: cert.cert }, auth: { user: USER, pass: PASS } });
  t.after(() => smtp.stop());
  const smtpConfig = (over: Record<string, unknown> = {}) => ({
    smtp: { host: '127.0.0.1', port: smtp.port, starttls: 'require', user: USER, pass: PASS, ca: cert.certFile, timeoutMs: 3000, ...over },
  });
  return { dir, smtp, smtpConfig };
}

const pendingIn = async (dir: string) => {
  const store = new SqliteOutboxStore<AlertMessage, PolicyState>({ file: `${dir}/outbox.sqlite`, log: createLogger('silent') });
  await store.init();
  try {
    return await store.list('pending');
  } finally {
    await store.close();
  }
};

test('STARTTLS + AUTH relay with a self-signed certificate (alerting.smtp.ca): delivered over TLS as the configured user', { skip }, async (t) => {
  const { smtp, smtpConfig } = await relay(t);
  const r = await rig(smtpConfig());
  t.after(async () => { await r.close(); cleanup(r.dir); });
  const { dc, vips } = dcOutage();
  await r.alerter.onMinute(T0, opened(T0, [dc, ...vips]));
  const result = await r.alerter.deliverDue();
  assert.deepEqual(result, { delivered: 4, failed: 0 });
  assert.equal(smtp.received.length, 4);
  for (const m of smtp.received) {
    assert.equal(m.secure, true, 'the message came over the TLS-upgraded session');
    assert.equal(m.user, USER, 'the session had authenticated as the configured user');
    assert.match(m.headers.get('subject') ?? '', /^\[vipwatch critical\] OPEN: DC fault bj-zw/);
    assert.equal(m.headers.get('from'), 'vipwatch <vipwatch@localhost>');
  }
  assert.deepEqual(smtp.received.map((m) => m.to.join(',')).sort(),
    ['noc@example.com', 'oncall-search@example.com', 'pay@example.com', 'video-a@example.com,video-b@example.com']);
  assert.ok(smtp.auths.length >= 1 && smtp.auths.every((a) => a.ok && a.user === USER && a.secure), `AUTH over TLS as ${USER}: ${JSON.stringify(smtp.auths)}`);
  assert.deepEqual(await pendingIn(r.dir), []);
});

test('a wrong password delivers nothing: every message stays in the outbox, and goes out once the password is right', { skip }, async (t) => {
  const { smtp, smtpConfig } = await relay(t);
  const wrong = await rig(smtpConfig({ pass: 'not-the-password' }));
  t.after(() => cleanup(wrong.dir));
  const { dc, vips } = dcOutage();
  await wrong.alerter.onMinute(T0, opened(T0, [dc, ...vips]));
  const first = await wrong.alerter.deliverDue();
  assert.equal(first.delivered, 0);
  assert.equal(smtp.received.length, 0);
  assert.ok(smtp.auths.length >= 1 && smtp.auths.every((a) => !a.ok && a.user === USER && a.secure), `refused AUTH for ${USER}: ${JSON.stringify(smtp.auths)}`);
  await wrong.close();
  const pending = await pendingIn(wrong.dir);
  assert.equal(pending.length, 4, 'every message kept for retry');
  const tried = pending.filter((d) => d.attempts > 0);
  assert.ok(tried.length >= 1);
  for (const d of tried) assert.match(d.lastError ?? '', /535|auth/i);

  // the operator fixes the password: the same outbox delivers what it kept, once each
  const fixed = await rig(smtpConfig(), wrong.dir);
  t.after(() => fixed.close());
  fixed.clock.now += 3_600_000; // past any backoff
  const second = await fixed.alerter.deliverDue();
  assert.deepEqual(second, { delivered: 4, failed: 0 });
  assert.equal(smtp.received.length, 4);
  assert.equal(new Set(smtp.received.map((m) => m.headers.get('x-vipwatch-id'))).size, 4);
  assert.ok(smtp.received.every((m) => m.secure && m.user === USER));
});

test('without alerting.smtp.ca the self-signed certificate is refused before any password is sent; a bad ca file is named', { skip }, async (t) => {
  const { smtp, smtpConfig } = await relay(t);
  const r = await rig(smtpConfig({ ca: undefined }));
  t.after(async () => { await r.close(); cleanup(r.dir); });
  const { dc, vips } = dcOutage();
  await r.alerter.onMinute(T0, opened(T0, [dc, ...vips]));
  assert.equal((await r.alerter.deliverDue()).delivered, 0);
  assert.equal(smtp.received.length, 0);
  assert.deepEqual(smtp.auths, [], 'no AUTH to a server whose certificate is not trusted');
  const pending = await pendingIn(r.dir);
  assert.equal(pending.length, 4);
  assert.match(pending.find((d) => d.attempts > 0)!.lastError ?? '', /self[- ]signed|certificate/i);

  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-smtp-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const notPem = join(dir, 'ca.txt');
  writeFileSync(notPem, 'hello');
  await assert.rejects(rig(smtpConfig({ ca: notPem }), dir), (e: Error) => e.message.includes(notPem) && e.message.includes('alerting.smtp.ca'));
  await assert.rejects(rig(smtpConfig({ ca: join(dir, 'missing.pem') }), dir), /missing\.pem: alerting\.smtp\.ca: cannot read: ENOENT/);
});
