// The first admin: from config (web.adminUser / web.adminPassword), or, when there is no user at all, with a
// generated password written to dataDir/web-admin-password (mode 0600) so the quick start can tell how to log in.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../core/config.js';
import { privateDir } from '../../core/files.js';
import type { AdminStore } from '../../core/store/admin.js';
import type { Access } from './access.js';
import { generatePassword } from './password.js';

export interface LoginHint { user: string; password: 'config' | 'generated' | 'existing'; file?: string; users: number }

export async function seedFirstAdmin(access: Access, store: AdminStore, cfg: Pick<Config, 'web' | 'dataDir'>): Promise<LoginHint> {
  const { adminUser, adminPassword } = cfg.web;
  const users = await store.listUsers();
  if (adminPassword !== undefined && !users.some((u) => u.name === adminUser)) {
    await access.putUser(adminUser, 'admin', adminPassword);
    return { user: adminUser, password: 'config', users: users.length + 1 };
  }
  if (users.length) {
    const admin = users.find((u) => u.name === adminUser && u.role === 'admin') ?? users.find((u) => u.role === 'admin') ?? users[0]!;
    return { user: admin.name, password: 'existing', users: users.length };
  }
  const password = generatePassword();
  privateDir(cfg.dataDir);
  const file = join(cfg.dataDir, 'web-admin-password');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  await access.putUser(adminUser, 'admin', password);
  return { user: adminUser, password: 'generated', file, users: 1 };
}

export function loginHintText(h: LoginHint, url: string): string {
  const where = h.password === 'config' ? 'the password from config web.adminPassword'
    : h.password === 'generated' ? `the password in ${h.file}`
      : 'your password (add users with `npx vipwatch user add NAME --role admin|operator|viewer`)';
  return `web UI: open ${url}/login and log in as ${h.user} with ${where}`;
}
