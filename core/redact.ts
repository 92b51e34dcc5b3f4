// Secrets never reach an error message, a log line or a page: keys that hold them are blanked, URLs lose their
// credentials and query (a webhook token often sits in the query).

/** Config keys whose values are secrets (pass, password, secret, token, ...Password, ...Secret, ...Token). */
export const isSecretKey = (key: string): boolean => /^(pass|passwd|password|secret|token)$|(Pass|Password|Secret|Token)$/.test(key);

/** A URL without user info and query: "https://st2.example.com/api/hook?token=x" -> "https://st2.example.com/api/hook?***". */
export function redactUrl(s: string): string {
  try {
    const u = new URL(s);
    const auth = u.username || u.password ? '***@' : '';
    return `${u.protocol}//${auth}${u.host}${u.pathname === '/' ? '' : u.pathname}${u.search ? '?***' : ''}${u.hash ? '#***' : ''}`;
  } catch {
    // not a URL we can take apart: cut what looks like credentials, query and fragment anyway
    return s.replace(/\/\/[^/@?#]*@/, '//***@').replace(/[?#].*$/, '?***');
  }
}

/** Only scheme, host and port: what a page or an error may say about where a webhook goes. */
export function urlOrigin(s: string): string {
  try {
    const u = new URL(s);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(unparsable url)';
  }
}

const URL_KEY = /(^url|Url)$/;

/**
 * A config value fit to print under its key path: secret keys (and everything under `headers`) become
 * "(redacted)", URL keys lose credentials and query; objects and arrays are redacted key by key.
 */
export function redactConfigValue(path: readonly PropertyKey[], value: unknown): unknown {
  const names = path.map(String);
  const last = names[names.length - 1] ?? '';
  if (names.some(isSecretKey) || names.includes('headers')) return value === undefined ? undefined : '(redacted)';
  if (typeof value === 'string') return URL_KEY.test(last) || /:\/\/[^/]*@|[?&](token|key|secret|password|sig)=/i.test(value) ? redactUrl(value) : value;
  if (Array.isArray(value)) return value.map((v, i) => redactConfigValue([...path, i], v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfigValue([...path, k], v)]));
  return value;
}

/** Text with every URL in it cut to its origin: for error texts of libraries that quote the URL they called. */
export const scrubUrls = (text: string): string => text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (u) => urlOrigin(u));
