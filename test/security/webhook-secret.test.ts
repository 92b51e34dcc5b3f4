// Finding 2: a webhook URL often carries its token in the query. A failing delivery must name the webhook and its
// origin only: in the stored delivery error, in the logs and on the /outbox page.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { pino } from 'pino';
import { createAlerter } from '../../analyzer/alerting/index.js';
import { freePort } from '../support/ports.js';
import { catalog, config, dcOutage, MIN, opened, T0 } from '../alerting/fixtures/world.js';
import { ADMIN, login, startWeb } from '../web/harness.js';

test('finding 2: webhook tokens stay out of delivery errors, logs and the outbox page', async (t) => {
  const server = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(500).end('no')); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const dead = await freePort();
  const w = await startWeb();
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (l: string) => { lines.push(l); } });
  const clock = { now: T0 };
  const alerter = await createAlerter({
    config: config({
      networkTeam: [],
      webhooks: [
        { name: 'ops-bot', url: `http://127.0.0.1:${port}/hooks/ops?token=SECRETTOK-1&x=1` },
        { name: 'st2', url: `http://user:SECRETPW-2@127.0.0.1:${dead}/api/v1/webhooks/vipwatch?st2-api-key=SECRETTOK-3`, timeoutMs: 2000 },
      ],
    }, { dataDir: w.dir }),
    catalog, log, now: () => clock.now,
  });
  t.after(async () => { await alerter.close(); await w.stop(); await new Promise<void>((r) => server.close(() => r())); });

  const { dc, vips } = dcOutage();
  clock.now = T0 + MIN;
  await alerter.onMinute(T0, opened(T0, [dc, ...vips]));
  await alerter.deliverDue();

  const failed = (await w.outbox.list()).filter((d) => d.lastError);
  assert.ok(failed.some((d) => d.notifier === 'webhook:ops-bot') && failed.some((d) => d.notifier === 'webhook:st2'), failed.map((d) => d.notifier).join(' '));
  for (const d of failed) {
    assert.doesNotMatch(d.lastError!, /SECRET|token=|api-key|hooks\/ops|webhooks\/vipwatch/, d.lastError!);
  }
  const ops = failed.find((d) => d.notifier === 'webhook:ops-bot')!.lastError!;
  assert.match(ops, /ops-bot/);
  assert.match(ops, new RegExp(`http://127\\.0\\.0\\.1:${port}`));
  assert.match(ops, /HTTP 500/);
  assert.match(failed.find((d) => d.notifier === 'webhook:st2')!.lastError!, new RegExp(`st2 http://127\\.0\\.0\\.1:${dead}: ECONNREFUSED`));

  assert.ok(lines.some((l) => l.includes('alert delivery failed')), 'the failure is logged');
  for (const l of lines) assert.doesNotMatch(l, /SECRET/, l);

  const { cookie } = await login(w.url, ADMIN.user, ADMIN.password);
  const page = await (await fetch(`${w.url}/outbox`, { headers: { Cookie: cookie } })).text();
  assert.match(page, /HTTP 500/, 'the page shows the failure');
  assert.doesNotMatch(page, /SECRET/);
});
