// Finding 9: what vipwatch writes to disk is its own. admin.db holds password hashes, the secret file signs agent
// tokens, the spool and mail dir hold measurements and recipients: the data dir is created 0700, files 0600.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import { createFaultStore } from '../../core/store/fault-backends.js';
import { createSeriesStore } from '../../core/store/series-backends.js';
import { resolveSecret } from '../../gateway/tokens.js';
import { Access } from '../../web/auth/access.js';
import { seedFirstAdmin } from '../../web/auth/seed.js';
import { EmlFileNotifier } from '../../analyzer/alerting/notifiers/eml.js';
import { replayMessages, writeOutboxDir } from '../../analyzer/alerting/eml.js';
import { catalog, config, dcOutage, MIN, opened, T0 } from '../alerting/fixtures/world.js';

const log = createLogger('silent');
const mode = (p: string) => statSync(p).mode & 0o777;
let root: string;
let oldMask: number;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'vipwatch-perms-'));
  // the usual umask: without care, files come out 0644 and directories 0755
  oldMask = process.umask(0o022);
});
after(() => { process.umask(oldMask); rmSync(root, { recursive: true, force: true }); });

const assertPrivate = (dir: string) => {
  assert.equal(mode(dir).toString(8), '700', `${dir} is ${mode(dir).toString(8)}`);
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) assert.equal(mode(p).toString(8), '700', `${p} is ${mode(p).toString(8)}`);
    else assert.equal(mode(p).toString(8), '600', `${p} is ${mode(p).toString(8)}`);
  }
};

test('the SQLite stores create the data dir 0700 and their files 0600', async () => {
  const dataDir = join(root, 'stores', 'data');
  const cfg = parseConfig({ dataDir, logLevel: 'silent' }, 'test');
  const stores = [createAdminStore(cfg, log), createFaultStore(cfg, log), createSeriesStore(cfg, log)];
  for (const s of stores) await s.init();
  const access = new Access(stores[0] as ReturnType<typeof createAdminStore>, 60, Date.now);
  await access.putUser('alice', 'admin', 'alice-password-1');
  try {
    const files = readdirSync(dataDir);
    assert.ok(files.includes('admin.db') && files.some((f) => f.endsWith('-wal')), files.join(' '));
    assertPrivate(dataDir);
  } finally {
    for (const s of stores) await s.close();
  }
});

test('the gateway secret and the generated admin password: data dir 0700, files 0600', async () => {
  const dataDir = join(root, 'secret', 'data');
  resolveSecret(undefined, dataDir);
  assertPrivate(dataDir);
  const webDir = join(root, 'web', 'data');
  const cfg = parseConfig({ dataDir: webDir, logLevel: 'silent' }, 'test');
  const admin = createAdminStore(parseConfig({ dataDir: join(root, 'web-admin'), logLevel: 'silent' }, 'test'), log);
  await admin.init();
  try {
    const hint = await seedFirstAdmin(new Access(admin, 60, Date.now), admin, cfg);
    assert.equal(hint.password, 'generated');
    assertPrivate(webDir);
  } finally {
    await admin.close();
  }
});

test('the mail dirs (live .eml channel and `analyze --outbox`): 0700, each .eml 0600', async () => {
  const { dc, vips } = dcOutage();
  const o = { config: config(), catalog, lastMinute: T0 + 10 * MIN };
  const replayDir = join(root, 'mail', 'replay');
  await writeOutboxDir(replayDir, opened(T0 + 2 * MIN, [dc, ...vips]), o);
  assertPrivate(replayDir);
  const liveDir = join(root, 'mail', 'live');
  const m = replayMessages(opened(T0 + 2 * MIN, [dc, ...vips]), o).find((x) => x.to.length)!;
  await new EmlFileNotifier(liveDir, o.config.alerting).send({ id: m.id, digest: false, messages: [m] });
  assertPrivate(liveDir);
});
