// The replay command itself: the real CLI, records in any order, empty minutes, bad lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, range, run, runCli, Scenario } from './scenario.js';

test('CLI: `vipwatch analyze` prints one JSON line per episode, in the contract\'s shape', async () => {
  const s = new Scenario(20);
  const [a, b] = s.vipsOf('idc-a');
  s.loss({ vips: [a!, b!], isps: ['ct', 'cu'] }, range(2, 9)).loss({ vips: ['198.19.0.9'] }, range(5, 19));
  const cli = runCli(s);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(cli.episodes, (await run(s)).episodes);
  assert.deepEqual(cli.episodes.map((e) => [e.id, e.start, e.detectedAt, e.end, e.parent]), [
    [`vip:${a}`, at(2), at(4), at(10), 'dc:idc-a'],
    [`vip:${b}`, at(2), at(4), at(10), 'dc:idc-a'],
    ['dc:idc-a', at(2), at(4), at(10), null],
    ['vip:198.19.0.9', at(5), at(7), null, null],
  ]);
  assert.deepEqual(Object.keys(cli.episodes[0]!), ['id', 'type', 'key', 'start', 'detectedAt', 'end', 'isps', 'provinces', 'dcs', 'vips', 'businesses', 'parent', 'suppressed', 'signal']);
});

test('CLI: --whitelist file suppresses', () => {
  const s = new Scenario(10).loss({ vips: ['198.19.0.4'] }, range(1, 9));
  const cli = runCli(s, { whitelist: [{ business: 'search', reason: 'load test' }] });
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(cli.episodes.map((e) => [e.id, e.suppressed]), [['vip:198.19.0.4', true]]);
});

test('CLI: bad lines are reported with file, line number, field and value; nothing is printed on stdout', () => {
  const s = new Scenario(3);
  const good = JSON.stringify(s.records()[0]);
  const raw = [good, good.replace('"sent":20', '"sent":0'), '{not json', JSON.stringify({ ...s.records()[1], host: 'nobody' }), good.replace('"recv":20', '"recv":21')].join('\n') + '\n';
  const cli = runCli(s, { rawResults: raw });
  assert.equal(cli.code, 2);
  assert.deepEqual(cli.episodes, []);
  assert.match(cli.stderr, /<dir>\/results\.jsonl: line 2: sent: Too small: expected number to be >=1 \(value 0\)/);
  assert.match(cli.stderr, /<dir>\/results\.jsonl: line 3: \(line\): not JSON/);
  assert.match(cli.stderr, /<dir>\/results\.jsonl: line 4: host: unknown host \(not in the inventory\) \(value "nobody"\)/);
  assert.match(cli.stderr, /<dir>\/results\.jsonl: line 5: recv: recv 21 exceeds sent 20 \(value 21\)/);
});

test('records in any order, repeated or under several methods give the same episodes', async () => {
  const s = new Scenario(20);
  s.loss({ vipDcs: ['idc-a'], isps: ['cu', 'cm'] }, range(3, 12)).loss({ isps: ['ct'], provinces: ['beijing'] }, range(4, 16));
  const ordered = await run(s);
  assert.ok(ordered.episodes.length > 3);
  assert.deepEqual((await run(s, { shuffle: true })).episodes, ordered.episodes);
  // a clean tcp record next to each icmp one, and every line twice: the worst method of a host counts, once
  const base = s.records.bind(s);
  s.records = () => base().flatMap((r) => [r, r, { ts: r.ts, host: r.host, vip: r.vip, method: 'tcp' as const, sent: 3, recv: 3, rttMin: 1, rttAvg: 1, rttMax: 1 }]);
  assert.deepEqual((await run(s, { shuffle: true })).episodes, ordered.episodes);
});

test('minutes without any record between the first and the last are evaluated (they count as clean)', async () => {
  const s = new Scenario(30);
  s.loss({ vips: ['198.19.0.5'] }, range(2, 20)).silent({}, range(10, 17));
  const r = await run(s);
  assert.deepEqual(r.episodes.map((e) => [e.start, e.detectedAt, e.end]), [[at(2), at(4), at(10)], [at(18), at(20), at(21)]]);
});
