// A userspace ICMP echo responder for tests, run inside a network namespace whose kernel echo replies are off
// (net.ipv4.icmp_echo_ignore_all=1): it answers echo requests to the configured addresses after a per-address
// delay, drops a share of them at random, and ignores addresses it was not told about.
// As a script: `node --import tsx test/support/icmp-responder.ts '<json config>'`; prints "ready" once listening.
// From a test: startResponder(ns, config) runs it inside ns and ends it (by PID) at the lab's cleanup.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createSocket, Protocol, SocketLevel, SocketOption } from 'raw-socket';
import { ECHO_REPLY, ECHO_REQUEST, echoMessage, ipv4Datagram, parseEcho } from '../../agent/probes/icmp-packet.js';
import type { Netns } from './netns.js';

export interface AddressBehaviour {
  /** reply after this many ms (default 0) */
  delayMs?: number;
  /** drop this share (0-100) of requests at random (default 0) */
  dropPct?: number;
}

export type ResponderConfig = Record<string, AddressBehaviour>;

/** Waits until hrtime reaches `at`: a timer for the bulk, then a short spin, so delays hold to a few µs. */
function at(when: bigint, fn: () => void): void {
  const left = Number(when - process.hrtime.bigint()) / 1e6;
  if (left > 4) setTimeout(() => at(when, fn), left - 3);
  else if (left > 0) setImmediate(() => at(when, fn));
  else fn();
}

export function serve(config: ResponderConfig): () => void {
  const socket = createSocket({ protocol: Protocol.ICMP });
  socket.setOption(SocketLevel.IPPROTO_IP, SocketOption.IP_HDRINCL, 1);
  socket.on('message', (buf) => {
    const t0 = process.hrtime.bigint();
    const req = parseEcho(buf);
    if (!req || req.type !== ECHO_REQUEST) return;
    const b = config[req.dst];
    if (!b || Math.random() * 100 < (b.dropPct ?? 0)) return;
    const reply = ipv4Datagram(req.dst, req.src, echoMessage(ECHO_REPLY, req.id, req.seq, Buffer.from(req.payload)));
    at(t0 + BigInt(Math.round((b.delayMs ?? 0) * 1e6)), () => {
      socket.send(reply, 0, reply.length, req.src, () => {}, () => {});
    });
  });
  return () => { socket.close(); };
}

/** Turns ns's kernel echo replies off and runs the responder inside it; resolves once it listens. */
export async function startResponder(ns: Netns, config: ResponderConfig): Promise<void> {
  ns.run('sysctl', ['-qw', 'net.ipv4.icmp_echo_ignore_all=1']);
  // real-time priority: on a busy machine its replies would otherwise wait for a CPU (it is idle between packets)
  const child = ns.spawn('chrt', ['-f', '10', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(config)]);
  const lines = createInterface({ input: child.stdout! });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const ready = new Promise<void>((resolve) => lines.on('line', (l) => { if (l === 'ready') resolve(); }));
  const exited = once(child, 'exit').then(([code]) => { throw new Error(`icmp responder exited (${code}): ${stderr.trim()}`); });
  await Promise.race([ready, exited]);
  exited.catch(() => {});
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stop = serve(JSON.parse(process.argv[2] ?? '{}') as ResponderConfig);
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => { stop(); process.exit(0); });
  console.log('ready');
}
