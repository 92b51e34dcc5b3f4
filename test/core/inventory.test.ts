// Inventory and configuration errors: every problem at once, each naming file, entry (or key), field and value.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';
import { loadInventory, parseInventoryText } from '../../core/inventory.js';
import { demoInventory } from '../../core/demo.js';

const dir = mkdtempSync(join(tmpdir(), 'vipwatch-core-'));

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${e}`);
    return e.message.split('\n');
  }
  assert.fail('expected the input to be refused');
};

test('a bad inventory reports every bad entry at once, with file, entry, field and value', () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, `
datacenters:
  - { id: gd-ct-gz1, province: guangdong, isp: ct }
  - { id: bj-zw, province: atlantis, isp: ct }
  - { id: sh-x, province: shanghai, isp: att }
hosts:
  - { id: cdn-1, ip: 198.18.4.1, dc: gd-ct-gz1 }
  - { id: cdn-2, ip: 198.18.4.300, dc: gd-ct-gz1 }
  - { id: cdn-3, ip: 198.18.4.3, dc: nowhere }
  - { id: cdn-1, ip: 198.18.4.4, dc: gd-ct-gz1 }
vips:
  - { ip: 198.19.0.10, dc: bj-zw, business: search, port: 70000 }
  - { ip: 198.19.0.11, dc: bj-zw, business: mail }
businesses:
  - { name: search, dept: 1001, owners: [oncall-search@example.com] }
`);
  const problems = problemsOf(() => loadInventory(file));
  const expect = [
    /bad\.yaml: datacenters\[1\] \("bj-zw"\): province: unknown province "atlantis"/,
    /bad\.yaml: datacenters\[2\] \("sh-x"\): isp: unknown isp "att"/,
    /bad\.yaml: hosts\[1\] \("cdn-2"\): ip: .*198\.18\.4\.300/,
    /bad\.yaml: hosts\[2\] \("cdn-3"\): dc: unknown datacenter "nowhere"/,
    /bad\.yaml: hosts\[3\] \("cdn-1"\): id: duplicate id "cdn-1", first used by hosts\[0\]/,
    /bad\.yaml: vips\[0\] \("198\.19\.0\.10"\): port: .*70000/,
    /bad\.yaml: vips\[1\] \("198\.19\.0\.11"\): business: unknown business "mail"/,
  ];
  for (const re of expect) assert.ok(problems.some((p) => re.test(p)), `missing ${re} in:\n${problems.join('\n')}`);
  assert.equal(problems.length, expect.length, problems.join('\n'));
});

test('JSON and YAML inventories load to the same data; extra isps may be declared', () => {
  const inv = demoInventory({ dcsPerGroup: 1, hostsPerDc: 1, vipDcs: 2, vipsPerDc: 2 });
  const { isps: _isps, ...shape } = inv;
  const json = parseInventoryText(JSON.stringify(shape), 'inv.json');
  assert.deepEqual(json, inv);
  const withEdu = parseInventoryText(JSON.stringify({ ...shape, isps: [{ id: 'edu', name: 'CERNET' }], datacenters: [...shape.datacenters, { id: 'edu-1', province: 'beijing', isp: 'edu' }] }), 'inv.json');
  assert.equal(withEdu.datacenters.at(-1)!.isp, 'edu');
  assert.match(problemsOf(() => parseInventoryText('{"hosts": [', 'broken.json'))[0]!, /^broken\.json: cannot parse/);
});

test('configuration: defaults without a file; file and environment merged; bad values name key and value', () => {
  const cfg = loadConfig(undefined, {});
  assert.equal(cfg.port, 8080);
  assert.equal(cfg.dataDir, './data');
  assert.equal(cfg.series.backend, 'sqlite');
  assert.equal(cfg.analyzer.rules.smoothNeed, 3);
  const file = join(dir, 'config.yaml');
  writeFileSync(file, 'series:\n  backend: influx\nanalyzer:\n  graceSec: 10\n');
  const merged = loadConfig(file, { PORT: '9000', VIPWATCH_SERIES__INFLUX__DATABASE: 'probe_db', VIPWATCH_ANALYZER__RULES__LOSS_PCT: '40' });
  assert.equal(merged.port, 9000);
  assert.equal(merged.series.backend, 'influx');
  assert.equal(merged.series.influx.database, 'probe_db');
  assert.equal(merged.analyzer.graceSec, 10);
  assert.equal(merged.analyzer.rules.lossPct, 40);
  const bad = problemsOf(() => loadConfig(file, { VIPWATCH_SERIES__BACKEND: 'cassandra', VIPWATCH_ANALYZER__RULES__SMOOTH_NEED: '9' }));
  assert.ok(bad.some((p) => p.includes('config.yaml (+ environment): series.backend') && p.includes('"cassandra"')), bad.join('\n'));
  assert.ok(bad.some((p) => p.includes('analyzer.rules.smoothNeed') && p.includes('(value 9)')), bad.join('\n'));
  assert.match(problemsOf(() => loadConfig(join(dir, 'missing.yaml'), {}))[0]!, /missing\.yaml: config file not found/);
});
