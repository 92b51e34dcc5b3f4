// `analyze --outbox DIR`: the messages the live analyzer would send, one RFC 5322 .eml file each.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { writeOutboxDir } from '../../analyzer/alerting/eml.js';
import { decodeQp, parseHeaders } from '../support/smtp.js';
import { cleanup } from './fixtures/alerter.js';
import { BJ_VIPS, catalog, closed, config, dcOutage, episode, MIN, opened, T0 } from './fixtures/world.js';

test('writeOutboxDir writes open, reminder and recovery messages as .eml files, in order', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'vipwatch-eml-')), 'out');
  t.after(() => cleanup(join(dir, '..')));
  const { dc, vips } = dcOutage();
  const region = episode({ type: 'region', key: 'hebei/cm', isps: ['cm'], provinces: ['hebei'] });
  const suppressed = episode({ type: 'vip', key: '203.0.113.60', isps: ['cu'], vips: ['203.0.113.60'], businesses: ['mail'], suppressed: true });
  const transitions = [
    ...closed(T0 + 72 * MIN, [dc, ...vips]), // any order
    ...opened(T0 + 2 * MIN, [dc, ...vips, region, suppressed]),
    ...closed(T0 + 30 * MIN, [region]),
  ];
  const { files } = await writeOutboxDir(dir, transitions, { config: config(), catalog, lastMinute: T0 + 100 * MIN });
  assert.deepEqual(readdirSync(dir).sort(), files.map((f) => basename(f)));
  const kinds = files.map((f) => basename(f).replace(/^\d+-/, '').replace(/\.eml$/, ''));
  assert.deepEqual(kinds, [
    'open-dc-bj-zw-pay', 'open-dc-bj-zw-search', 'open-dc-bj-zw-video', 'open-dc-bj-zw-network', 'open-region-hebei_cm-network',
    'recovery-region-hebei_cm-network',
    'reminder-dc-bj-zw-pay', 'reminder-dc-bj-zw-search', 'reminder-dc-bj-zw-video', 'reminder-dc-bj-zw-network',
    'recovery-dc-bj-zw-pay', 'recovery-dc-bj-zw-search', 'recovery-dc-bj-zw-video', 'recovery-dc-bj-zw-network',
  ]);
  for (const f of files) {
    const raw = readFileSync(f, 'utf8');
    const h = parseHeaders(raw);
    for (const name of ['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type']) assert.ok(h.get(name), `${basename(f)} has ${name}`);
    assert.match(h.get('message-id')!, /^<[0-9a-f]{32}@vipwatch>$/);
    assert.match(raw, /\r\n\r\n/, 'CRLF header/body separator');
  }
  const video = decodeQp(readFileSync(files[2]!, 'utf8'));
  assert.equal(parseHeaders(video).get('to'), 'video-a@example.com, video-b@example.com');
  assert.deepEqual(BJ_VIPS.filter((ip) => video.includes(ip)), ['203.0.113.20', '203.0.113.21']);
  const regionMail = parseHeaders(readFileSync(files[4]!, 'utf8'));
  assert.equal(regionMail.get('to'), 'noc@example.com');
  assert.equal(regionMail.get('x-vipwatch-severity'), 'informational');
  assert.match(regionMail.get('x-vipwatch-delivery')!, /^digest 2026-11-24T01:00:00.000Z$/);
  assert.match(regionMail.get('subject')!, /^\[vipwatch informational\] OPEN: Region fault hebei\/cm \(isps cm; provinces hebei\)$/);
  assert.equal(parseHeaders(readFileSync(files[0]!, 'utf8')).get('date'), 'Mon, 23 Nov 2026 14:07:00 +0000');
  // the same replay gives byte-identical files (deterministic ids and dates)
  const again = await writeOutboxDir(join(dir, '..', 'again'), transitions, { config: config(), catalog, lastMinute: T0 + 100 * MIN });
  assert.deepEqual(again.files.map((f) => readFileSync(f, 'utf8')), files.map((f) => readFileSync(f, 'utf8')));
});

test('no transitions, no files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-eml-'));
  t.after(() => cleanup(dir));
  assert.deepEqual(await writeOutboxDir(dir, [], { config: config(), catalog }), { files: [] });
});
