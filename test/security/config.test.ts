// Finding 6 (config errors never print secrets; secret environment values stay strings) and the settings that must
// agree across parts, checked once in the loader, so every command refuses the same file with the same words.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig, parseConfig } from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'vipwatch-config-sec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${String(e)}`);
    return e.message;
  }
  return assert.fail('expected the config to be refused');
};

test('finding 6: errors about secret keys name the key but never print the value', () => {
  const msg = messageOf(() => parseConfig({
    secret: 'short-9471',
    alerting: { smtp: { host: 'smtp.example.com', pass: 20240601 }, webhooks: [{ name: 'st2', url: 'https://st2.example.com:99999/hook?token=tok-83810', headers: { Authorization: 7 } }] },
    series: { influx: { url: 'http://reader:pw-55107@influx.example.com:99999/', password: 4242424242 } },
    web: { adminPassword: 'pw-1' },
  }, 'config.yaml'));
  for (const key of ['alerting.smtp.pass', 'secret', 'alerting.webhooks.0.url', 'series.influx.url', 'series.influx.password', 'web.adminPassword', 'alerting.webhooks.0.headers.Authorization']) {
    assert.match(msg, new RegExp(`config\\.yaml: ${key.replace(/\./g, '\\.')}: `), `names ${key}:\n${msg}`);
  }
  for (const secret of ['20240601', 'short-9471', 'tok-83810', 'pw-55107', '4242424242', 'pw-1']) assert.ok(!msg.includes(secret), `leaks ${secret}:\n${msg}`);
  // what is not a secret is still shown, so the error stays useful
  assert.match(msg, /influx\.example\.com/);
  assert.match(msg, /st2\.example\.com/);
});

test('finding 6: secret environment values are strings, never parsed as JSON', () => {
  const cfg = loadConfig(undefined, {
    VIPWATCH_ALERTING__SMTP__HOST: 'smtp.example.com', VIPWATCH_ALERTING__SMTP__PASS: '20240601',
    VIPWATCH_SECRET: '1234567890123456789', VIPWATCH_WEB__ADMIN_PASSWORD: '12345678', VIPWATCH_SERIES__INFLUX__PASSWORD: 'true',
    VIPWATCH_SERIES__INFLUX__TOKEN: '[1]', VIPWATCH_PORT: '9001',
  });
  assert.equal(cfg.alerting.smtp?.pass, '20240601');
  assert.equal(cfg.secret, '1234567890123456789');
  assert.equal(cfg.web.adminPassword, '12345678');
  assert.equal(cfg.series.influx.password, 'true');
  assert.equal(cfg.series.influx.token, '[1]');
  assert.equal(cfg.port, 9001, 'other values are still parsed as JSON');
});

test('settings that must agree across parts are refused once, naming both keys', () => {
  const spool = messageOf(() => parseConfig({ ingest: { maxAgeSec: 3600 }, agent: { spool: { maxAgeSec: 7200 } } }, 'c.yaml'));
  assert.match(spool, /c\.yaml: agent\.spool\.maxAgeSec: .*ingest\.maxAgeSec/);
  const rate = messageOf(() => parseConfig({ plan: { probesPerMinute: 30 }, agent: { probesPerMinute: 10 } }, 'c.yaml'));
  assert.match(rate, /c\.yaml: plan\.probesPerMinute: .*agent\.probesPerMinute/);
  const mongo = messageOf(() => parseConfig({
    faults: { backend: 'mongo', mongo: { url: 'mongodb://a:pw-1@m1/' } }, alerting: { outbox: { backend: 'mongo', mongo: { url: 'mongodb://a:pw-1@m2/' } } },
  }, 'c.yaml'));
  assert.match(mongo, /c\.yaml: alerting\.outbox\.mongo\.url: .*faults\.mongo\.url/);
  assert.ok(!mongo.includes('pw-1'), mongo);
  // what the analyzer alone used to check is refused by every command now
  const hooks = messageOf(() => parseConfig({ alerting: { webhooks: [{ name: 'a', url: 'https://h.example.com/x' }, { name: 'a', url: 'https://h.example.com/y' }] } }, 'c.yaml'));
  assert.match(hooks, /c\.yaml: alerting\.webhooks\.1\.name: two webhooks share this name/);
  assert.match(messageOf(() => parseConfig({ minuteSec: 60, alerting: { reminderInterval: '10s' } }, 'c.yaml')), /alerting\.reminderInterval: must be at least one analyzer minute/);
  assert.match(messageOf(() => parseConfig({ alerting: { maintenance: [{ start: '2026-02-30T01:00', duration: '1h' }] } }, 'c.yaml')), /alerting\.maintenance\.0\.start: not a valid time/);
  // agreeing settings pass; a sqlite outbox next to mongo faults needs no shared URL
  parseConfig({ ingest: { maxAgeSec: 7200 }, agent: { spool: { maxAgeSec: 3600 } }, plan: { probesPerMinute: 6 }, faults: { backend: 'mongo' } }, 'c.yaml');
});

test('`vipwatch gateway` refuses the file `vipwatch analyzer` refuses, with the same message', () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'ingest:\n  maxAgeSec: 3600\nagent:\n  spool:\n    maxAgeSec: 86400\n');
  const bin = new URL('../../bin/vipwatch.js', import.meta.url).pathname;
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VIPWATCH_'))), DATA_DIR: join(dir, 'data') };
  const run = (cmd: string) => spawnSync(process.execPath, [bin, cmd, '--config', file, '--port', '0'], { env, encoding: 'utf8', timeout: 15_000 });
  const [gw, an, web] = [run('gateway'), run('analyzer'), run('web')];
  const reason = (s: string, cmd: string) => s.replace(`vipwatch ${cmd}: `, '').trim();
  assert.equal(gw.status, 2, gw.stderr);
  assert.equal(an.status, 2, an.stderr);
  assert.equal(web.status, 2, web.stderr);
  assert.match(gw.stderr, /agent\.spool\.maxAgeSec/);
  assert.equal(reason(gw.stderr, 'gateway'), reason(an.stderr, 'analyzer'));
  assert.equal(reason(gw.stderr, 'gateway'), reason(web.stderr, 'web'));
});
