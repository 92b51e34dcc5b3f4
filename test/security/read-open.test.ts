// Finding 10: API reads may stay open (web.apiReadAuth false), but then `vipwatch start` prints it and the web part
// logs it, so nobody runs that way without knowing; the README's production example turns reads to authenticated.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { pino } from 'pino';
import express from 'express';
import { buildCatalog } from '../../core/catalog.js';
import { parseConfig } from '../../core/config.js';
import { demoInventory } from '../../core/demo.js';
import { createRegistry } from '../../core/metrics.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import { createOutboxStore } from '../../core/store/outbox-backends.js';
import { quickStartText } from '../../bin/quick-start.js';
import { mountWeb } from '../../web/compose.js';

const OPEN = /API reads are open/;

test('finding 10: the start-up text says when API reads are open, and not when they need a login', () => {
  const text = (apiReadAuth: boolean) => quickStartText({
    cfg: parseConfig({ web: { apiReadAuth } }, 'test'), url: 'http://127.0.0.1:8080', login: 'web UI: log in', speed: 1, sim: null,
  });
  assert.match(text(false), OPEN);
  assert.match(text(false), /web\.apiReadAuth: true/);
  assert.doesNotMatch(text(true), OPEN);
});

test('finding 10: the web part logs a warning when API reads are open (so `vipwatch web` says it too)', async () => {
  for (const apiReadAuth of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), 'vipwatch-readopen-'));
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => { lines.push(l); } });
    const cfg = parseConfig({ dataDir: dir, web: { apiReadAuth, adminPassword: 'admin-pass-123' } }, 'test');
    const admin = createAdminStore(cfg, log), faults = createFaultStore(cfg, log), series = createSeriesStore(cfg, log), outbox = createOutboxStore(cfg, log);
    await Promise.all([admin.init(), faults.init(), series.init(), outbox.init()]);
    try {
      const catalog = buildCatalog(demoInventory({ dcsPerGroup: 1, hostsPerDc: 1, vipDcs: 1, vipsPerDc: 1, businesses: 1 }));
      const web = await mountWeb(express(), { admin, faults, series, catalog: () => catalog, config: cfg, log, registry: createRegistry(), outbox, now: Date.now });
      web.close();
      const warned = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 40 && OPEN.test(l.msg));
      assert.equal(warned.length, apiReadAuth ? 0 : 1, `apiReadAuth ${apiReadAuth}: ${lines.join('')}`);
    } finally {
      await Promise.all([admin.close(), faults.close(), series.close(), outbox.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('finding 10: the README production example requires a login for API reads', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Production'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  const cfg = parseConfig({ ...(parseYaml(yaml) as Record<string, unknown>), inventory: undefined }, 'README production example');
  assert.equal(cfg.web.apiReadAuth, true);
});
