// Minimal cookie reading and writing (no extra package): names and values here are our own base64url tokens.

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 1) continue;
    const name = part.slice(0, i).trim();
    if (!out.has(name)) out.set(name, part.slice(i + 1).trim());
  }
  return out;
}

export interface CookieOptions { maxAgeSec?: number; secure: boolean; path?: string }

/** httpOnly and SameSite=Strict always: the UI never needs a cookie from script or from another site. */
export const serializeCookie = (name: string, value: string, o: CookieOptions): string =>
  [`${name}=${value}`, `Path=${o.path ?? '/'}`, 'HttpOnly', 'SameSite=Strict',
    ...(o.maxAgeSec !== undefined ? [`Max-Age=${Math.max(0, Math.floor(o.maxAgeSec))}`] : []),
    ...(o.secure ? ['Secure'] : [])].join('; ');
