// `vipwatch user`: web users and admin API tokens, written straight to the configured admin store.
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import type { Role } from '../../core/store/admin.js';
import { Access, ROLES } from '../../web/auth/access.js';
import { generatePassword } from '../../web/auth/password.js';
import type { Command } from '../command.js';

const USAGE = [
  'vipwatch user add NAME --role admin|viewer [--password-stdin] [--config FILE]',
  '       vipwatch user list [--config FILE]',
  '       vipwatch user token NAME [--label TEXT] [--config FILE]',
].join('\n');

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  // Only the line end an `echo` or a here-string adds is dropped: spaces may be part of a password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const userCommand: Command = {
  usage: USAGE,
  options: {
    config: { type: 'string', short: 'c' }, role: { type: 'string' }, 'password-stdin': { type: 'boolean' }, label: { type: 'string' },
  },
  positionals: true,
  async run(v, args) {
    const [sub, name, ...extra] = args;
    const needsName = sub === 'add' || sub === 'token';
    if (!sub || !['add', 'list', 'token'].includes(sub) || (needsName && !name) || extra.length || (sub === 'list' && name)) {
      console.error(`usage: ${USAGE}`);
      return 2;
    }
    const role = (v.role ?? (sub === 'add' ? undefined : 'viewer')) as Role | undefined;
    if (sub === 'add' && (!role || !ROLES.includes(role))) {
      console.error(`vipwatch user add: --role must be admin or viewer, got ${JSON.stringify(v.role ?? null)}`);
      return 2;
    }
    const cfg = loadConfig(v.config as string | undefined);
    const store = createAdminStore(cfg, createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel, 'user'));
    await store.init();
    try {
      const access = new Access(store, cfg.web.sessionTtlSec, Date.now);
      if (sub === 'list') {
        for (const u of await store.listUsers()) console.log(`${u.name}\t${u.role}\t${u.createdAt}`);
        return 0;
      }
      if (sub === 'token') {
        const user = await store.getUser(name!);
        if (!user) {
          console.error(`vipwatch user token: no user ${JSON.stringify(name)} (add one with \`vipwatch user add\`)`);
          return 1;
        }
        if (user.role !== 'admin') console.error(`note: ${name} is a ${user.role}: this token can read, not write`);
        console.log(await access.issueApiToken(name!, typeof v.label === 'string' ? v.label : 'cli'));
        return 0;
      }
      const generated = !v['password-stdin'];
      const password = generated ? generatePassword() : await readStdin();
      const existed = (await store.getUser(name!)) !== null;
      await access.putUser(name!, role!, password);
      console.error(`${existed ? 'updated' : 'created'} ${role} ${name}`);
      if (generated) console.log(password);
      return 0;
    } catch (e) {
      console.error(`vipwatch user ${sub}: ${(e as Error).message}`);
      return 2;
    } finally {
      await store.close();
    }
  },
};
