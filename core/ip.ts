// IP address text, IPv4 and IPv6 alike: the one canonical form (so "FD00:0::1" and "fd00::1" are one VIP), and
// address:port the way URLs and `vipwatch probe --method tcp` write it ("[fd00::1]:443").
import { isIP } from 'node:net';

/** 4 or 6 for an address without a zone (fe80::1%eth0 is refused), else 0. */
export const ipFamily = (s: string): 0 | 4 | 6 => (s.includes('%') ? 0 : (isIP(s) as 0 | 4 | 6));

/** The canonical text of an address: IPv4 as is, IPv6 lower-case and compressed (RFC 5952, as the kernel prints it). */
export function canonicalIp(s: string): string {
  return ipFamily(s) === 6 ? new URL(`http://[${s}]/`).hostname.slice(1, -1) : s;
}

/** "198.18.0.1:80", "[fd00::1]:80" */
export const hostPort = (ip: string, port: number): string => (ipFamily(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`);
