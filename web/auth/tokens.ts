// Random secrets for sessions, CSRF and API tokens; only their SHA-256 is stored, so a leaked database opens nothing.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');
export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Constant-time string comparison (for CSRF tokens). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** API tokens carry a prefix so they are recognisable in scripts and secret scanners. */
export const API_TOKEN_PREFIX = 'vwt_';
export const newApiToken = (): string => API_TOKEN_PREFIX + randomToken(32);
