// Agent tokens: "HOST.MAC" (generation 0) or "HOST.gN.MAC" (generation N), where MAC is an HMAC-SHA256 of the host
// id (and N) under the gateway secret, so any gateway replica with the secret can verify a token without a lookup.
// Revocation: a host's token counts only for its current generation, kept in the admin store (shared by every
// replica) and re-read every agentTokens.refreshSec; bumping it (`vipwatch token HOST --rotate`) ends the old token.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateDir } from '../core/files.js';
import type { Logger } from '../core/log.js';

const mac = (secret: string, host: string, generation: number): string =>
  createHmac('sha256', secret).update(generation === 0 ? host : `${host}\n${generation}`).digest('base64url');

export const tokenFor = (secret: string, host: string, generation = 0): string =>
  generation === 0 ? `${host}.${mac(secret, host, 0)}` : `${host}.g${generation}.${mac(secret, host, generation)}`;

const sameMac = (given: string, want: string): boolean => {
  const a = Buffer.from(given), b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** The host and generation a token was issued for, or null when it is not a valid token under this secret. */
export function parseToken(secret: string, token: string): { host: string; generation: number } | null {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return null;
  const given = token.slice(dot + 1);
  const head = token.slice(0, dot);
  // host ids may contain dots: "HOST.gN" is read as generation N only when its MAC says so
  const g = /^(.+)\.g([1-9]\d{0,8})$/.exec(head);
  if (g && sameMac(given, mac(secret, g[1]!, Number(g[2])))) return { host: g[1]!, generation: Number(g[2]) };
  return sameMac(given, mac(secret, head, 0)) ? { host: head, generation: 0 } : null;
}

/** The host a token was issued to (any generation), or null when it is not a valid token under this secret. */
export const verifyToken = (secret: string, token: string): string | null => parseToken(secret, token)?.host ?? null;

/** The configured secret, or one generated on first use and kept (mode 0600) under the data dir. */
export function resolveSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'gateway.secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  privateDir(dataDir);
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

/** Where the generations live: the admin store (core/store/admin.ts). */
export interface GenerationSource { agentTokenGenerations(): Promise<Map<string, number>> }

/**
 * Each host's current token generation, as this gateway last read it. Until the first read succeeds no token is
 * accepted (a revoked token must not slip through a start while the store is down); later failed reads keep the
 * last known state.
 */
export class TokenGenerations {
  #map: Map<string, number> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #first: Promise<void> | null = null;
  #retry: Promise<void> | null = null;

  constructor(private readonly source: GenerationSource, private readonly log: Logger, private readonly refreshMs: number) {}

  /** Reads the generations now; rejects when the store does not answer. */
  async refresh(): Promise<void> {
    this.#map = await this.source.agentTokenGenerations();
  }

  /** First read, then one every refreshMs; resolves once the first read succeeded, rejects if it failed. */
  start(): Promise<void> {
    const tick = () => {
      this.refresh()
        .catch((e: Error) => this.log.warn({ err: e.message, known: this.#map !== null }, 'agent token generations not refreshed; keeping the last ones read'))
        .finally(() => { if (this.#timer) this.#timer = setTimeout(tick, this.refreshMs); });
    };
    this.#first ??= this.refresh();
    this.#timer = setTimeout(tick, this.refreshMs);
    return this.#first;
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Whether generations are known, after the first read or one more try (shared by concurrent callers). */
  async ready(): Promise<boolean> {
    if (this.#map) return true;
    await this.#first?.catch(() => undefined);
    if (!this.#map) {
      this.#retry ??= this.refresh().catch(() => undefined).finally(() => { this.#retry = null; });
      await this.#retry;
    }
    return this.#map !== null;
  }

  /** The generation that counts for HOST; null while none could be read. */
  of(host: string): number | null {
    return this.#map ? (this.#map.get(host) ?? 0) : null;
  }
}
