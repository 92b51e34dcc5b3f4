// Loads the agent's raw ICMP socket addon (icmp_socket.c, built by `npm run build`) and types it.
// The .node file is looked up next to this module at the same relative place in the source tree and in dist/
// (build/Release/, where node-gyp writes it and build/build.js copies it), and in the agent package beside the bundle
// (build/package-agent.js puts it at lib/vipwatch-agent/icmp_socket.node; the code may sit in a chunks/ directory).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Called for each datagram read: `buffer` is the socket's one receive buffer, valid until the callback returns. */
export type OnPacket = (buffer: Buffer, bytes: number, source: string, recvTimeNs: bigint) => void;

export interface IcmpSocket {
  /** sendto() the packet; returns the CLOCK_REALTIME time in ns taken just before it. Throws (code = errno name). */
  send(packet: Buffer, address: string): bigint;
  /** IP_TTL (IPv4) or IPV6_UNICAST_HOPS (IPv6) for the following sends */
  setTtl(ttl: number): void;
  /** stops reading and closes the socket; later sends throw */
  close(): void;
}

export interface IcmpSocketConstructor {
  /**
   * A raw ICMP (4) or ICMPv6 (6) socket, non-blocking, read on node's event loop. `acceptTypes`: the ICMP types the
   * kernel lets through (ICMP_FILTER / ICMP6_FILTER), null for all. Replies carry the kernel's receive time
   * (SO_TIMESTAMPNS, CLOCK_REALTIME ns). Throws with code EPERM without CAP_NET_RAW.
   */
  new (family: 4 | 6, acceptTypes: readonly number[] | null, onPacket: OnPacket): IcmpSocket;
}

const NAME = 'icmp_socket.node';
const candidates = [`./build/Release/${NAME}`, `./${NAME}`, `../${NAME}`].map((p) => fileURLToPath(new URL(p, import.meta.url)));

function load(): IcmpSocketConstructor {
  const file = candidates.find((f) => existsSync(f));
  if (!file) throw new Error(`the ICMP socket addon (${NAME}) is not built: run \`npm run build\` (looked at ${candidates.join(', ')})`);
  return (createRequire(import.meta.url)(file) as { IcmpSocket: IcmpSocketConstructor }).IcmpSocket;
}

/** The addon's socket class, loaded when asked for (so code that never probes ICMP does not need it built); require caches it. */
export function icmpSocketClass(): IcmpSocketConstructor {
  return load();
}
