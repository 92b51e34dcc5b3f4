// Alerting end to end against a real SMTP server (smtp-server on 127.0.0.1) with the SQLite outbox.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteOutboxStore } from '../../core/store/sqlite/outbox.js';
import { createLogger } from '../../core/log.js';
import type { AlertMessage } from '../../analyzer/alerting/types.js';
import type { PolicyState } from '../../analyzer/alerting/policy.js';
import { startSmtp, type ReceivedMail } from '../support/smtp.js';
import { cleanup, rig, smtpConfig } from './fixtures/alerter.js';
import { BJ_VIPS, closed, dcOutage, MIN, opened, T0 } from './fixtures/world.js';

const ownVips: Record<string, string[]> = {
  'oncall-search@example.com': ['203.0.113.10', '203.0.113.11'],
  'video-a@example.com,video-b@example.com': ['203.0.113.20', '203.0.113.21'],
  'pay@example.com': ['203.0.113.30'],
  'noc@example.com': BJ_VIPS,
};
const rcpt = (m: ReceivedMail) => m.to.slice().sort().join(',');
const ids = (ms: ReceivedMail[]) => ms.map((m) => m.headers.get('x-vipwatch-id')!);

test('DC outage: three business messages and one to the network team, reminders, then one recovery each', async (t) => {
  const smtp = await startSmtp();
  const r = await rig(smtpConfig(smtp.port));
  t.after(async () => { await r.close(); await smtp.stop(); cleanup(r.dir); });
  const { dc, vips } = dcOutage();
  const openAt = T0 + 2 * MIN;

  // the live loop hands over a minute once it is over
  const minute = async (m: number, ts: Parameters<typeof r.alerter.onMinute>[1]) => { r.clock.now = m + MIN; await r.alerter.onMinute(m, ts); };
  await minute(openAt, opened(openAt, [dc, ...vips]));
  await r.alerter.deliverDue();
  assert.equal(smtp.received.length, 4);
  assert.deepEqual(smtp.received.map(rcpt).sort(), Object.keys(ownVips).sort());
  for (const m of smtp.received) {
    const own = ownVips[rcpt(m)]!;
    for (const ip of BJ_VIPS) assert.equal(m.decoded.includes(ip), own.includes(ip), `${rcpt(m)} ${own.includes(ip) ? 'lists' : 'must not list'} ${ip}`);
    const subject = m.headers.get('subject')!;
    assert.match(subject, /^\[vipwatch critical\] OPEN: DC fault bj-zw \(isps ct,cu; provinces /);
    assert.match(m.headers.get('content-type')!, /multipart\/alternative/);
    assert.match(m.decoded, /Content-Type: text\/plain/);
    assert.match(m.decoded, /Content-Type: text\/html/);
    assert.ok(m.decoded.includes('http://vipwatch.test/faults/dc%3Abj-zw%402026-11-23T14%3A05%3A00Z'), 'links the web fault page');
    assert.ok(m.decoded.includes(`http://grafana.test/d/vipwatch-vip/vipwatch-vip?var-vip=${own[0]}`), 'links the Grafana VIP board');
    assert.match(m.decoded, /Started: +2026-11-23T14:05:00Z \(2026-11-23 22:05 Asia\/Shanghai\)/);
  }
  assert.match(smtp.received.find((m) => rcpt(m) === 'pay@example.com')!.headers.get('subject')!, /1 VIP of pay\)$/);

  // nothing new in the minutes before the hour; a reminder to each at +60 min
  for (let m = openAt + MIN; m < openAt + 60 * MIN; m += MIN) await minute(m, []);
  await r.alerter.deliverDue();
  assert.equal(smtp.received.length, 4);
  await minute(openAt + 60 * MIN, []);
  await r.alerter.deliverDue();
  const reminders = smtp.received.slice(4);
  assert.deepEqual(reminders.map(rcpt).sort(), Object.keys(ownVips).sort());
  for (const m of reminders) assert.match(m.headers.get('subject')!, /STILL OPEN 1h: DC fault bj-zw/);

  const closeAt = openAt + 75 * MIN;
  await minute(closeAt, closed(closeAt, [dc, ...vips]));
  await r.alerter.deliverDue();
  const recovery = smtp.received.slice(8);
  assert.deepEqual(recovery.map(rcpt).sort(), Object.keys(ownVips).sort(), 'one recovery per earlier recipient');
  for (const m of recovery) assert.match(m.headers.get('subject')!, /RECOVERED: DC fault bj-zw/);
  assert.equal(new Set(ids(smtp.received)).size, 12);
});

test('a whitelisted (suppressed) fault sends nothing, open or closed', async (t) => {
  const smtp = await startSmtp();
  const r = await rig(smtpConfig(smtp.port));
  t.after(async () => { await r.close(); await smtp.stop(); cleanup(r.dir); });
  const { dc, vips } = dcOutage({ suppressed: true });
  await r.alerter.onMinute(T0, opened(T0, [dc, ...vips]));
  await r.alerter.onMinute(T0 + 90 * MIN, closed(T0 + 90 * MIN, [dc, ...vips]));
  await r.alerter.deliverDue();
  assert.equal(smtp.received.length, 0);
  const store = new SqliteOutboxStore<AlertMessage, PolicyState>({ file: `${r.dir}/outbox.sqlite`, log: createLogger('silent') });
  await store.init();
  assert.equal((await store.list()).length, 0);
  await store.close();
});

test('SMTP server down during delivery, then back: every message is delivered exactly once', async (t) => {
  const smtp = await startSmtp();
  const r = await rig(smtpConfig(smtp.port));
  t.after(async () => { await r.close(); await smtp.stop(); cleanup(r.dir); });
  const { dc, vips } = dcOutage();
  await smtp.down();
  await r.alerter.onMinute(T0, opened(T0, [dc, ...vips]));
  const down = await r.alerter.deliverDue();
  assert.equal(down.delivered, 0);
  const store = new SqliteOutboxStore<AlertMessage, PolicyState>({ file: `${r.dir}/outbox.sqlite`, log: createLogger('silent') });
  await store.init();
  t.after(() => store.close());
  const pending = await store.list('pending');
  assert.equal(pending.length, 4);
  assert.match(pending.find((d) => d.attempts > 0)!.lastError!, /ECONNREFUSED/);

  // back, but the first DATA is refused with 451: it waits for its backoff, the others wait behind it (order kept)
  await smtp.up();
  smtp.rejectNext(1);
  r.clock.now += 2_000;
  await r.alerter.deliverDue();
  assert.equal(smtp.received.length, 0);
  r.clock.now += 60_000;
  const back = await r.alerter.deliverDue();
  assert.equal(back.delivered, 4);
  assert.equal(smtp.received.length, 4);
  assert.equal(new Set(ids(smtp.received)).size, 4);
  r.clock.now += 600_000;
  assert.deepEqual(await r.alerter.deliverDue(), { delivered: 0, failed: 0 });
  assert.equal(smtp.received.length, 4);
  assert.equal((await store.list('done')).length, 4);
});
