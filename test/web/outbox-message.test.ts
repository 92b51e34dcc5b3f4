// The outbox's message page (/outbox/:id): what a recipient read, readable in the UI. Real alerter (SQLite outbox,
// .eml channel) and the real web over HTTP; the body must be the text the .eml file carries, escaped in the page.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAlerter } from '../../analyzer/alerting/index.js';
import { catalog, config, dcOutage, MIN, opened, T0 } from '../alerting/fixtures/world.js';
import { silentLog } from '../analyzer/live-support.js';
import { ADMIN, login, startWeb } from './harness.js';

const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

test('a message page shows subject, recipients, status and the body as sent, escaped; webhook secrets stay out', async (t) => {
  const w = await startWeb();
  const emlDir = join(w.dir, 'mail');
  const alerter = await createAlerter({
    config: config({ networkTeam: ['noc@example.com'], emlDir, grafanaUrl: undefined, webUrl: 'http://ui.test' }, { dataDir: w.dir }),
    catalog, log: silentLog, now: () => T0 + MIN,
  });
  t.after(async () => { await alerter.close(); await w.stop(); });
  const { dc, vips } = dcOutage();
  await alerter.onMinute(T0, opened(T0, [dc, ...vips]));
  await alerter.deliverDue();

  const { cookie } = await login(w.url, ADMIN.user, ADMIN.password);
  const get = async (path: string) => { const r = await fetch(w.url + path, { headers: { Cookie: cookie } }); return { status: r.status, body: await r.text() }; };
  const list = await get('/outbox');
  const hrefs = [...list.body.matchAll(/href="(\/outbox\/[^"]+)"/g)].map((m) => m[1]!);
  assert.ok(hrefs.length >= 4, `the outbox links each message: ${hrefs.length}`);
  const network = hrefs.find((h) => decodeURIComponent(h).includes('|network|'))!;
  const msg = await get(network);
  assert.equal(msg.status, 200);
  assert.match(msg.body, /<td class="recipients">noc@example\.com<\/td>/);
  assert.match(msg.body, /class="badge closed">sent</);
  const pre = /<pre class="message-body">([\s\S]*?)<\/pre>/.exec(msg.body);
  assert.ok(pre, 'the body is shown preformatted');
  const body = unescape(pre[1]!);
  // the same text the .eml channel delivered (its text part, quoted-printable undone)
  const eml = readdirSync(emlDir).map((f) => readFileSync(join(emlDir, f), 'utf8')).find((e) => /^To: noc@example\.com/m.test(e))!;
  const emlText = eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/\r\n/g, '\n');
  for (const line of body.split('\n').filter((l) => l.trim())) assert.ok(emlText.includes(line), `body line is in the sent mail: ${line}`);
  assert.match(body, /^DC fault bj-zw opened\./);
  assert.match(body, /http:\/\/ui\.test\/faults\/dc%3Abj-zw%40/);
  assert.doesNotMatch(body, /grafana/i);
  assert.equal((await get('/outbox/no-such-id')).status, 404);

  // a stored body with markup is shown as text; a failed webhook's error shows its origin only
  const [d] = await w.outbox.list();
  const evil = { ...d!, id: 'evil>webhook:ops', notifier: 'webhook:ops', subject: 'x <b>bold</b>', message: { ...d!.message, body: 'a <script>alert(1)</script> & b' } };
  await w.outbox.commit((await w.outbox.loadState())!, [evil]);
  await w.outbox.markRetry([evil.id], 1, T0 + 10 * MIN, 'webhook ops http://127.0.0.1:9/hooks/ops?token=SECRETTOK-9: HTTP 500');
  const shown = await get(`/outbox/${encodeURIComponent(evil.id)}`);
  assert.ok(shown.body.includes('a &#60;script&#62;alert(1)&#60;/script&#62; &#38; b') || shown.body.includes('a &lt;script&gt;alert(1)&lt;/script&gt; &amp; b'), 'escaped body');
  assert.doesNotMatch(shown.body, /<script>alert/);
  assert.match(shown.body, /HTTP 500/);
  assert.doesNotMatch(shown.body, /SECRETTOK|token=/, 'the view scrubs URLs in delivery errors');
});
