// `vipwatch user`: web users and admin API tokens, written straight to the configured admin store.
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import type { AdminStore, Role } from '../../core/store/admin.js';
import { Access, API_TOKEN_DAYS, ROLES } from '../../web/auth/access.js';
import { generatePassword } from '../../web/auth/password.js';
import type { Command } from '../command.js';

const USAGE = [
  'vipwatch user add NAME --role admin|operator|viewer [--password-stdin] [--config FILE]',
  '       vipwatch user list [--config FILE]',
  '       vipwatch user delete NAME [--config FILE]          (also ends their sessions and revokes their API tokens)',
  `       vipwatch user token NAME [--label TEXT] [--days N] [--config FILE]   (expires after N days, default ${API_TOKEN_DAYS})`,
  '       vipwatch user token revoke NAME [--config FILE]    (revokes every API token of NAME)',
].join('\n');

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  // Only the line end an `echo` or a here-string adds is dropped: spaces may be part of a password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

type Values = Parameters<Command['run']>[0];
interface Ctx { store: AdminStore; access: Access; v: Values; name: string }

/** One handler per subcommand; `args` is how many names it takes after the subcommand word(s). */
const subcommands: Record<string, { args: number; run(c: Ctx): Promise<number> }> = {
  list: {
    args: 0,
    async run({ store }) {
      for (const u of await store.listUsers()) console.log(`${u.name}\t${u.role}\t${u.createdAt}`);
      return 0;
    },
  },
  add: {
    args: 1,
    async run({ store, access, v, name }) {
      const role = v.role as Role | undefined;
      if (!role || !ROLES.includes(role)) {
        console.error(`vipwatch user add: --role must be admin, operator or viewer, got ${JSON.stringify(v.role ?? null)}`);
        return 2;
      }
      const generated = !v['password-stdin'];
      const password = generated ? generatePassword() : await readStdin();
      const existed = (await store.getUser(name)) !== null;
      await access.putUser(name, role, password);
      console.error(`${existed ? `updated ${role} ${name}; their sessions were ended` : `created ${role} ${name}`}`);
      if (generated) console.log(password);
      return 0;
    },
  },
  delete: {
    args: 1,
    async run({ store, name }) {
      if (!(await store.deleteUser(name))) {
        console.error(`vipwatch user delete: no user ${JSON.stringify(name)}`);
        return 1;
      }
      console.error(`deleted ${name}: their sessions are ended and their API tokens revoked`);
      return 0;
    },
  },
  token: {
    args: 1,
    async run({ store, access, v, name }) {
      const user = await store.getUser(name);
      if (!user) {
        console.error(`vipwatch user token: no user ${JSON.stringify(name)} (add one with \`vipwatch user add\`)`);
        return 1;
      }
      const days = v.days === undefined ? API_TOKEN_DAYS : Number(v.days);
      if (user.role !== 'admin') console.error(`note: ${name} is a ${user.role}: this token can read, not write`);
      console.log(await access.issueApiToken(name, typeof v.label === 'string' ? v.label : 'cli', days));
      console.error(`the token expires in ${days} days`);
      return 0;
    },
  },
  'token revoke': {
    args: 1,
    async run({ store, name }) {
      const n = await store.deleteApiTokensOf(name);
      console.error(`revoked ${n} API token${n === 1 ? '' : 's'} of ${name}`);
      return 0;
    },
  },
};

/** "token revoke NAME" is the revoke subcommand; "token NAME" (even a user named revoke) issues one. */
function pick(args: string[]): { key: string; names: string[] } | null {
  const key = args[0] === 'token' && args[1] === 'revoke' && args.length === 3 ? 'token revoke' : args[0];
  const sub = key === undefined ? undefined : subcommands[key];
  const names = args.slice(key === 'token revoke' ? 2 : 1);
  return sub && names.length === sub.args ? { key: key!, names } : null;
}

export const userCommand: Command = {
  usage: USAGE,
  options: {
    config: { type: 'string', short: 'c' }, role: { type: 'string' }, 'password-stdin': { type: 'boolean' }, label: { type: 'string' },
    days: { type: 'string' },
  },
  positionals: true,
  async run(v, args) {
    const chosen = pick(args);
    if (!chosen) {
      console.error(`usage: ${USAGE}`);
      return 2;
    }
    const cfg = loadConfig(v.config as string | undefined);
    const store = createAdminStore(cfg, createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel, 'user'));
    await store.init();
    try {
      const access = new Access(store, cfg.web.sessionTtlSec, Date.now);
      return await subcommands[chosen.key]!.run({ store, access, v, name: chosen.names[0] ?? '' });
    } catch (e) {
      console.error(`vipwatch user ${chosen.key}: ${(e as Error).message}`);
      return 2;
    } finally {
      await store.close();
    }
  },
};
