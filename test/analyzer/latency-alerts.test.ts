// Latency faults through alerting, as `analyze --outbox` writes them: one message per business per root fault and
// one to the network team, saying baseline and current latency per isp; their own severities; the latency fault
// under a loss fault sends nothing of its own; recovery to every earlier recipient.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCatalog } from '../../core/catalog.js';
import { parseConfig } from '../../core/config.js';
import { writeOutboxDir } from '../../analyzer/alerting/eml.js';
import { range, run, Scenario } from './scenario.js';

async function outbox(s: Scenario, config: Record<string, unknown> = {}) {
  const r = await run(s);
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-latency-outbox-'));
  try {
    const last = Math.max(...r.transitions.map((t) => t.minute));
    await writeOutboxDir(dir, r.transitions, { config: parseConfig(config, 'test'), catalog: buildCatalog(s.inventory), lastMinute: last });
    return readdirSync(dir).sort().map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8').replace(/=\r?\n/g, '') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const header = (text: string, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(text)?.[1];

test('DC latency fault: critical, one message per business and one to the network team, with the per-isp figures', async () => {
  const s = new Scenario(60);
  // idc-b's 6 VIPs (businesses search and video) 32 ms -> 82 ms from ct and cu in all 10 provinces
  s.delay({ vipDcs: ['idc-b'], isps: ['ct', 'cu'] }, range(40, 49), 50);
  const mails = await outbox(s);
  assert.deepEqual(mails.map((m) => m.file.replace(/^\d+-/, '')), [
    'open-dc-idc-b-search.eml', 'open-dc-idc-b-video.eml', 'open-dc-idc-b-network.eml',
    'recovery-dc-idc-b-search.eml', 'recovery-dc-idc-b-video.eml', 'recovery-dc-idc-b-network.eml',
  ]);
  for (const m of mails) {
    assert.match(header(m.text, 'Subject')!, /^\[vipwatch critical\] (OPEN|RECOVERED): DC latency fault idc-b /);
    assert.equal(header(m.text, 'X-Vipwatch-Severity'), 'critical');
    assert.ok(m.text.includes('ct: 32 ms -> 82 ms (x2.6) in 10 of 10 provinces'), m.file);
    assert.ok(m.text.includes('cu: 32 ms -> 82 ms (x2.6) in 10 of 10 provinces'), m.file);
  }
});

test('VIP latency fault: informational by default (held for the digest), critical when configured', async () => {
  const s = new Scenario(60);
  const v = s.inventory.vips[0]!.ip;
  s.delay({ vips: [v], isps: ['ct'], provinces: ['beijing', 'tianjin', 'hebei', 'shanxi', 'neimenggu', 'liaoning'] }, range(40, 49), 40);
  const quiet = await outbox(s);
  assert.deepEqual(quiet.map((m) => [m.file.replace(/^\d+-/, ''), header(m.text, 'X-Vipwatch-Severity')]), [
    [`open-vip-${v}-search.eml`, 'informational'], [`recovery-vip-${v}-search.eml`, 'informational'],
  ]);
  assert.match(header(quiet[0]!.text, 'X-Vipwatch-Delivery')!, /^digest /);
  assert.ok(quiet[0]!.text.includes('ct: 32 ms -> 72 ms (x2.3) in 6 of 10 provinces'));
  const loud = await outbox(s, { alerting: { latencySeverities: { vip: 'critical' } } });
  assert.equal(header(loud[0]!.text, 'X-Vipwatch-Severity'), 'critical');
  assert.equal(header(loud[0]!.text, 'X-Vipwatch-Delivery'), 'immediate');
});

test('loss and latency for one DC: only the loss fault alerts', async () => {
  const s = new Scenario(60);
  const vips = s.vipsOf('idc-a');
  s.loss({ vips: vips.slice(0, 3), isps: ['ct', 'cu'] }, range(40, 49));
  s.delay({ vips: vips.slice(3), isps: ['ct', 'cu'] }, range(40, 49), 60);
  const mails = await outbox(s);
  assert.ok(mails.length > 0);
  for (const m of mails) assert.doesNotMatch(header(m.text, 'Subject')!, /latency/, m.file);
  assert.deepEqual([...new Set(mails.map((m) => m.file.replace(/^\d+-(open|recovery)-/, '')))].sort(), ['dc-idc-a-network.eml', 'dc-idc-a-search.eml', 'dc-idc-a-video.eml']);
});
