// Agent tokens: "HOST.MAC" where MAC is an HMAC-SHA256 of the host id under the gateway secret,
// so any gateway replica with the secret can verify a token without a lookup.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const mac = (secret: string, host: string): string => createHmac('sha256', secret).update(host).digest('base64url');

export const tokenFor = (secret: string, host: string): string => `${host}.${mac(secret, host)}`;

/** The host a token was issued to, or null when it is not a valid token under this secret. */
export function verifyToken(secret: string, token: string): string | null {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return null;
  const host = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const want = Buffer.from(mac(secret, host));
  return given.length === want.length && timingSafeEqual(given, want) ? host : null;
}

/** The configured secret, or one generated on first use and kept (mode 0600) under the data dir. */
export function resolveSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'gateway.secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}
