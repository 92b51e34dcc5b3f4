// `vipwatch grafana export`: deterministic files, provisioning derived from the config, boards that type-check against
// the pinned SDK's dashboard types, and a gazetteer covering every province.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../core/config.js';
import { PROVINCES } from '../../core/geo.js';
import { DASHBOARD_DIR, DEFAULT_GAZETTEER_URL, provisioningFiles } from '../../grafana/export.js';
import { GAZETTEER_FILE } from '../../grafana/gazetteer.js';

const root = new URL('../..', import.meta.url).pathname;
// the defaults alone: no VIPWATCH_* overrides from the caller's environment
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VIPWATCH_')));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin/vipwatch.js'), ...args], { cwd: root, encoding: 'utf8', env });

const listFiles = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => statSync(join(dir, f)).isFile()).sort();

const tempDir = (t: { after(fn: () => void): void }, base = tmpdir()): string => {
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'vipwatch-grafana-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

test('export writes the same bytes on every run', (t) => {
  const [a, b] = [tempDir(t), tempDir(t)];
  const first = cli('grafana', 'export', '--out', a, '--grafana-path', '/etc/grafana/provisioning');
  assert.equal(first.status, 0, first.stderr);
  const files = listFiles(a);
  assert.deepEqual(files, [
    'dashboards/vipwatch.yaml',
    `${DASHBOARD_DIR}/vipwatch-dc-isp.json`,
    `${DASHBOARD_DIR}/vipwatch-national.json`,
    `${DASHBOARD_DIR}/vipwatch-vip.json`,
    'datasources/vipwatch.yaml',
    `gazetteer/${GAZETTEER_FILE}`,
  ]);
  assert.deepEqual(first.stdout.trim().split('\n').map((p) => relative(a, p)).sort(), files, 'prints every file written');
  const snapshot = new Map(files.map((f) => [f, readFileSync(join(a, f))]));
  // again into the same directory, and into another one with the same Grafana path
  for (const dir of [a, b]) {
    const again = cli('grafana', 'export', '--out', dir, '--grafana-path', '/etc/grafana/provisioning');
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(listFiles(dir), files);
    for (const f of files) assert.ok(readFileSync(join(dir, f)).equals(snapshot.get(f)!), `${f} is byte-identical`);
  }
  const provider = parseYaml(snapshot.get('dashboards/vipwatch.yaml')!.toString()) as { providers: Array<{ type: string; options: { path: string } }> };
  assert.equal(provider.providers[0]!.type, 'file');
  assert.equal(provider.providers[0]!.options.path, `/etc/grafana/provisioning/${DASHBOARD_DIR}`);
});

test('export refuses a missing --out or subcommand', () => {
  const noOut = cli('grafana', 'export');
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /--out DIR is required/);
  const noSub = cli('grafana', 'import', '--out', '/nonexistent');
  assert.equal(noSub.status, 2);
  assert.match(noSub.stderr, /expected the subcommand "export", got "import"/);
});

test('the data source and the boards follow the config; secrets stay in the environment', () => {
  const cfg = parseConfig({
    minuteSec: 5,
    series: { influx: { url: 'http://influx.example:8086', database: 'vw', retentionPolicy: 'rp1', username: 'grafana', password: 's3cret-value' } },
  }, 'test config');
  const files = new Map(provisioningFiles(cfg, { grafanaPath: '/srv/grafana', gazetteerUrl: 'https://static.example/provinces.json' })
    .map((f) => [f.path, f.content]));
  const ds = (parseYaml(files.get('datasources/vipwatch.yaml')!) as { datasources: Array<Record<string, unknown>> }).datasources[0]!;
  assert.equal(ds.type, 'influxdb');
  assert.equal(ds.uid, 'vipwatch-influxdb');
  assert.equal(ds.url, 'http://influx.example:8086');
  assert.equal(ds.user, 'grafana');
  assert.deepEqual(ds.jsonData, { version: 'InfluxQL', dbName: 'vw', httpMode: 'POST', timeInterval: '5s' });
  assert.deepEqual(ds.secureJsonData, { password: '${VIPWATCH_SERIES__INFLUX__PASSWORD}' });
  for (const [path, content] of files) assert.ok(!content.includes('s3cret-value'), `${path} holds no password`);

  const boards = [...files].filter(([p]) => p.endsWith('.json') && p.startsWith(DASHBOARD_DIR)).map(([, c]) => c);
  assert.equal(boards.length, 3);
  for (const b of boards) {
    assert.match(b, /\\"rp1\\"\.\\"probe\\"/, 'queries name the configured retention policy');
    assert.doesNotMatch(b, /\\"vipwatch\\"\.\\"probe\\"/);
    assert.match(b, /\\"rp1\\"\.\\"fault\\"/, 'fault annotations from the configured retention policy');
  }
  assert.match(files.get(`${DASHBOARD_DIR}/vipwatch-national.json`)!, /"gazetteer": "https:\/\/static\.example\/provinces\.json"/);
});

test('the gazetteer places every province inside China and the geomap looks rows up in it', () => {
  const files = provisioningFiles(parseConfig({}, 'defaults'), { grafanaPath: '/g' });
  const gazetteer = JSON.parse(files.find((f) => f.path === `gazetteer/${GAZETTEER_FILE}`)!.content) as
    Array<{ key: string; keys: string[]; latitude: number; longitude: number }>;
  assert.deepEqual(gazetteer.map((g) => g.key).sort(), PROVINCES.map((p) => p.id).sort());
  for (const g of gazetteer) {
    assert.ok(g.latitude > 18 && g.latitude < 54 && g.longitude > 73 && g.longitude < 135, `${g.key} at ${g.latitude},${g.longitude}`);
    assert.ok(g.keys.includes(g.key));
  }
  const national = JSON.parse(files.find((f) => f.path.endsWith('vipwatch-national.json'))!.content) as
    { panels: Array<{ type: string; options?: { layers?: Array<{ location: { mode: string; lookup: string; gazetteer: string } }> } }> };
  const map = national.panels.find((p) => p.type === 'geomap')!;
  assert.deepEqual(map.options!.layers![0]!.location, { mode: 'lookup', lookup: 'province', gazetteer: DEFAULT_GAZETTEER_URL });
});

test('the exported boards type-check against the pinned SDK dashboard types; a broken one does not', (t) => {
  const dir = tempDir(t, join(root, 'node_modules/.cache'));
  const jsonType = relative(dir, join(root, 'grafana/json.js'));
  const header = `import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';\nimport type { Json } from '${jsonType}';\n`;
  const files = provisioningFiles(parseConfig({}, 'defaults'), { grafanaPath: '/g' }).filter((f) => f.path.startsWith(`${DASHBOARD_DIR}/`));
  const sources = files.map((f) => {
    const name = join(dir, f.path.split('/').pop()!.replace('.json', '.ts'));
    writeFileSync(name, `${header}export const board: Json<Dashboard> = ${f.content.trim()};\n`);
    return name;
  });
  // the controls, one defect each: a wrong enum value, a panel without its type, an unknown property
  const defects: Array<(b: Record<string, unknown> & { panels: Array<Record<string, unknown>> }) => void> = [
    (b) => { b.graphTooltip = 'shared'; },
    (b) => { delete b.panels[0]!.type; },
    (b) => { b.panelz = []; },
  ];
  const broken = defects.map((defect, i) => {
    const board = JSON.parse(files[0]!.content) as Record<string, unknown> & { panels: Array<Record<string, unknown>> };
    defect(board);
    const name = join(dir, `broken-${i}.ts`);
    writeFileSync(name, `${header}export const board: Json<Dashboard> = ${JSON.stringify(board, null, 2)};\n`);
    return name;
  });

  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--target', 'es2022',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node', ...sources, ...broken], { cwd: root, encoding: 'utf8' });
  const errors = tsc.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
  assert.equal(tsc.status, 2, `tsc found the broken boards: ${tsc.stdout}`);
  assert.ok(errors.every((l) => l.includes('/broken-')), `only the broken boards fail:\n${errors.join('\n')}`);
  broken.forEach((_, i) => assert.equal(errors.filter((l) => l.includes(`/broken-${i}.ts`)).length, 1, `defect ${i} is caught:\n${errors.join('\n')}`));
});
