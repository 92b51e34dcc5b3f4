// Messages carry what was measured (contract "Messages"; issue 14): loss per isp with the number of provinces, from
// the real engine's figures, and links to the web UI's own fault and VIP pages; Grafana links only when
// alerting.grafanaUrl is set. Runs the engine over a scenario, then `analyze --outbox`'s writer, and reads the .eml.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeOutboxDir } from '../../analyzer/alerting/eml.js';
import { buildCatalog } from '../../core/catalog.js';
import { parseConfig } from '../../core/config.js';
import { PROVINCES } from '../../core/geo.js';
import { range, run, Scenario } from '../analyzer/scenario.js';

const ps = PROVINCES.slice(0, 10).map((p) => p.id);

async function mails(s: Scenario, alerting: Record<string, unknown>) {
  const r = await run(s);
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-measured-'));
  try {
    const last = Math.max(...r.transitions.map((t) => t.minute));
    await writeOutboxDir(dir, r.transitions, { config: parseConfig({ alerting: { webUrl: 'http://ui.test:8080/', ...alerting } }, 'test'), catalog: buildCatalog(s.inventory), lastMinute: last });
    // quoted-printable soft line breaks and =XX escapes undone, so lines read as the recipient sees them
    return readdirSync(dir).sort().map((f) => ({
      file: f.replace(/^\d+-/, ''),
      text: readFileSync(join(dir, f), 'utf8').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a DC outage message says the loss per isp and in how many provinces, and links to the web UI, not Grafana', async () => {
  const s = new Scenario(30);
  // idc-b unreachable from ct in all 10 provinces and from cu in 7 of them; cm sees nothing
  s.loss({ vipDcs: ['idc-b'], isps: ['ct'] }, range(5, 14), 100);
  s.loss({ vipDcs: ['idc-b'], isps: ['cu'], provinces: ps.slice(0, 7) }, range(5, 14), 100);
  const out = await mails(s, {});
  const network = out.find((m) => m.file === 'open-dc-idc-b-network.eml');
  assert.ok(network, `a network-team message for the DC fault: ${out.map((m) => m.file).join(', ')}`);
  const text = network.text;
  assert.ok(text.includes('ct: loss 100% in 10 of 10 provinces'), text);
  assert.ok(text.includes('cu: loss 100% in 7 of 10 provinces'), text);
  assert.ok(!/cm: loss/.test(text), 'no line for an isp outside the fault');
  // the scope says "10 provinces" instead of naming them (in the text and in the HTML part)
  assert.match(text, /Scope: +isps ct, cu; provinces 10 provinces; dcs idc-b/);
  assert.ok(!text.includes(ps.slice(0, 10).join(', ')), 'the provinces are not listed one by one');
  assert.match(text, /http:\/\/ui\.test:8080\/faults\/dc%3Aidc-b%40/);
  assert.ok(!/grafana|\/d\/vipwatch-vip/i.test(text), 'no Grafana link without alerting.grafanaUrl');
  // a business's message lists its VIPs with links to their web pages
  const search = out.find((m) => m.file === 'open-dc-idc-b-search.eml')!;
  const vip = s.vipsOf('idc-b')[0]!;
  assert.ok(search.text.includes(`http://ui.test:8080/vips/${vip}`), search.text);
  assert.ok(search.text.includes('ct: loss 100% in 10 of 10 provinces'));
});

test('partial loss: the median loss of the lossy provinces; Grafana links appear when grafanaUrl is set', async () => {
  const s = new Scenario(30);
  const v = s.inventory.vips[0]!.ip;
  // 70% loss from ct in 6 of 10 provinces (more than half: a VIP fault; lossy is above 50%), 90% in a 7th
  s.loss({ vips: [v], isps: ['ct'], provinces: ps.slice(0, 6) }, range(5, 14), 70);
  s.loss({ vips: [v], isps: ['ct'], provinces: [ps[6]!] }, range(5, 14), 90);
  const out = await mails(s, { grafanaUrl: 'http://grafana.test' });
  const open = out.find((m) => m.file.startsWith(`open-vip-${v}`));
  assert.ok(open, out.map((m) => m.file).join(', '));
  // lossy provinces: 7, losses 70 x6 and 90: median 70
  assert.ok(open.text.includes('ct: loss 70% in 7 of 10 provinces'), open.text);
  assert.ok(open.text.includes(`Grafana: http://grafana.test/d/vipwatch-vip/vipwatch-vip?var-vip=${v}`), open.text);
  assert.ok(open.text.includes(`http://ui.test:8080/vips/${v}`));
  // a recovery repeats no measurement as if it were current: it says the fault recovered
  const rec = out.find((m) => m.file.startsWith(`recovery-vip-${v}`))!;
  assert.match(rec.text, /has recovered/);
  assert.ok(!rec.text.includes('loss 70%'), 'no figures from the open minute in the recovery');
});
