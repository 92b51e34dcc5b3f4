// A link between two namespaces whose delay a test can set while it runs (this kernel has no netem): the link is
// two veth pairs through a middle namespace, where delay-wire.py copies the frames from one pair to the other and
// holds them for the delay. The two ends see one plain /30 (no extra hop, TTLs unchanged); the middle namespace
// has no addresses and does not route. The lab ends the wire (by PID) and deletes the namespaces at cleanup.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NetLab, Netns } from './netns.js';

const WIRE = fileURLToPath(new URL('./delay-wire.py', import.meta.url));

export interface DelayLink {
  /** a's device on the link (towards b) */
  devA: string;
  devB: string;
  /** sets the one-way delays (ms): a -> b and b -> a; resolves once the wire has taken them */
  setDelay(aToB: number, bToA?: number): Promise<void>;
}

const inTestRange = (cidr: string) => /^198\.1[89]\.\d{1,3}\.\d{1,3}\/\d{1,2}$/.test(cidr);

/** A /30 between a and b through a delaying wire in a new namespace `label`; starts with no delay. */
export async function delayLink(lab: NetLab, label: string, a: Netns, b: Netns, addrA: string, addrB: string): Promise<DelayLink> {
  for (const c of [addrA, addrB]) if (!inTestRange(c)) throw new Error(`delay link: ${c} is outside 198.18.0.0/15`);
  const mid = lab.ns(label);
  // the middle namespace only carries frames: no IPv6 chatter of its own, no forwarding
  mid.run('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv4.ip_forward=0']);
  const tag = mid.name.slice(-9);
  const pair = (peer: Netns, side: string, addr: string) => {
    const near = `${tag}${side}w`.slice(-15), far = `${tag}${side}p`.slice(-15);
    mid.run('ip', ['link', 'add', near, 'type', 'veth', 'peer', 'name', far]);
    mid.run('ip', ['link', 'set', far, 'netns', peer.name]);
    mid.run('ip', ['link', 'set', near, 'promisc', 'on', 'up']);
    peer.run('ip', ['addr', 'add', addr, 'dev', far]);
    peer.run('ip', ['link', 'set', far, 'up']);
    return { near, far };
  };
  const ea = pair(a, 'a', addrA), eb = pair(b, 'b', addrB);
  const wire = mid.spawn('python3', ['-u', WIRE, ea.near, eb.near, '0', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  wire.stderr!.on('data', (d) => { err += d; });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: wire.stdout! }).on('line', (l) => { lines.push(l); waiters.splice(0).forEach((w) => w()); });
  const waitLine = (want: string) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`delay wire: no "${want}" within 10 s: ${err}`)), 10_000);
    const check = () => {
      if (lines.includes(want)) { clearTimeout(timer); resolve(); } else if (wire.exitCode !== null) { clearTimeout(timer); reject(new Error(`delay wire exited: ${err}`)); } else waiters.push(check);
    };
    wire.once('exit', () => waiters.splice(0).forEach((w) => w()));
    check();
  });
  await waitLine('ready');
  return {
    devA: ea.far, devB: eb.far,
    async setDelay(aToB, bToA = 0) {
      wire.stdin!.write(`${aToB} ${bToA}\n`);
      await waitLine(`delay ${aToB} ${bToA}`);
    },
  };
}
