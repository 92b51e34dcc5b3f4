// IP address text, IPv4 and IPv6 alike: which family, and the one canonical form (so "FD00:0::1" and "fd00::1" are
// found to be the same VIP, and a reply's source, which the kernel prints compressed, matches its target).
import { isIP } from 'node:net';

/** 4 or 6 for an address without a zone (fe80::1%eth0 is refused), else 0. */
export const ipFamily = (s: string): 0 | 4 | 6 => (s.includes('%') ? 0 : (isIP(s) as 0 | 4 | 6));

/** The canonical text of an address: IPv4 as is, IPv6 lower-case and compressed (RFC 5952, as the kernel prints it). */
export function canonicalIp(s: string): string {
  return ipFamily(s) === 6 ? new URL(`http://[${s}]/`).hostname.slice(1, -1) : s;
}
