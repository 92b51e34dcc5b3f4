// Private network namespaces for tests: namespaces, veth pairs, addresses in 198.18.0.0/15 or fd00::/8, routes, nftables loss
// rules, processes run inside a namespace, and a cleanup that removes all of it (call it from t.after / finally).
// General enough for a drill: several agent namespaces, each linked to one VIP namespace, plus the root namespace.
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { isIPv6 } from 'node:net';

export interface Netns {
  name: string;
  /** runs a command inside the namespace and returns its stdout; throws with its stderr on failure */
  run(cmd: string, args: string[], input?: string): string;
  /** runs a command inside the namespace to its end, whatever its exit status */
  exec(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string };
  /** starts a long-running process inside the namespace; the lab ends it (by PID) at cleanup */
  spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
}

export interface LossRule {
  /** destination address (inside 198.18.0.0/15 or fd00::/8) */
  addr: string;
  /** drop this share of echo requests to the address (0-100) */
  pct: number;
  /** 'every': exactly pct of each run of packets, in a fixed pattern (e.g. 2 of every 5); 'random': each packet at random */
  mode?: 'every' | 'random';
  /** which packets: ICMP echo requests (default) or TCP SYNs to a port */
  match?: 'icmp' | { tcpPort: number };
}

const run = (cmd: string, args: string[], input?: string): string => {
  try {
    return execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${err.stderr?.trim() || err.message}`);
  }
};

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/** Only 198.18.0.0/15 (RFC 2544 benchmarking) and IPv6 ULA fd00::/8 may be used for namespace addresses. */
function checkAddress(cidr: string): void {
  const [addr, len] = cidr.split('/');
  if (isIPv6(addr!) && /^fd/i.test(addr!) && (len === undefined || Number(len) >= 8)) return;
  const m = /^198\.(18|19)\.(\d{1,3})\.(\d{1,3})(\/\d{1,2})?$/.exec(cidr);
  if (!m || Number(m[2]) > 255 || Number(m[3]) > 255) throw new Error(`netns: ${cidr} is outside 198.18.0.0/15 and fd00::/8, the only ranges tests may use`);
}

export class NetLab {
  readonly #prefix: string;
  readonly #namespaces: Netns[] = [];
  readonly #rootLinks: string[] = [];
  readonly #children: ChildProcess[] = [];
  #n = 0;

  /** prefix: a short tag for names (namespace names get the PID too, so parallel runs do not collide) */
  constructor(prefix = 'vw') {
    this.#prefix = `${prefix}${process.pid % 100000}`;
  }

  /** A new namespace with lo up. */
  ns(label: string): Netns {
    const name = `${this.#prefix}-${label}`;
    run('ip', ['netns', 'add', name]);
    const ns: Netns = {
      name,
      run: (cmd, args, input) => run('ip', ['netns', 'exec', name, cmd, ...args], input),
      exec: (cmd, args) => {
        const r = spawnSync('ip', ['netns', 'exec', name, cmd, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      },
      spawn: (cmd, args, opts = {}) => {
        const child = spawn('ip', ['netns', 'exec', name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
        this.#children.push(child);
        return child;
      },
    };
    this.#namespaces.push(ns);
    ns.run('ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A veth pair between a and b (null: the root namespace) with an address on each end; returns the device names. */
  link(a: Netns | null, b: Netns, addrA: string, addrB: string): { devA: string; devB: string } {
    checkAddress(addrA);
    checkAddress(addrB);
    const id = this.#n++;
    const devA = `${this.#prefix}v${id}a`.slice(-15);
    const devB = `${this.#prefix}v${id}b`.slice(-15);
    run('ip', ['link', 'add', devA, 'type', 'veth', 'peer', 'name', devB]);
    if (a) run('ip', ['link', 'set', devA, 'netns', a.name]);
    else this.#rootLinks.push(devA);
    run('ip', ['link', 'set', devB, 'netns', b.name]);
    const inA = (cmd: string[]) => (a ? a.run('ip', cmd) : run('ip', cmd));
    // IPv6: no duplicate address detection, so the address is usable at once
    const dad = (addr: string) => (isIPv6(addr.split('/')[0]!) ? ['nodad'] : []);
    inA(['addr', 'add', addrA, 'dev', devA, ...dad(addrA)]);
    inA(['link', 'set', devA, 'up']);
    b.run('ip', ['addr', 'add', addrB, 'dev', devB, ...dad(addrB)]);
    b.run('ip', ['link', 'set', devB, 'up']);
    return { devA, devB };
  }

  /** Adds addresses (e.g. VIPs, as /32) to a device of ns (default lo). */
  addresses(ns: Netns, cidrs: string[], dev = 'lo'): void {
    for (const c of cidrs) {
      checkAddress(c);
      const v6 = isIPv6(c.split('/')[0]!);
      ns.run('ip', ['addr', 'add', c.includes('/') ? c : `${c}/${v6 ? 128 : 32}`, 'dev', dev, ...(v6 ? ['nodad'] : [])]);
    }
  }

  /** A route in ns (null: root namespace) to dst via a gateway address. */
  route(ns: Netns | null, dst: string, via: string): void {
    checkAddress(dst);
    checkAddress(via);
    const args = ['route', 'add', dst, 'via', via];
    if (ns) ns.run('ip', args);
    else run('ip', args);
  }

  /**
   * Drops packets to addr on their way into ns (nftables input hook), before any socket sees them.
   * Call once per namespace with every rule: it replaces the namespace's `vipwatch_loss` table.
   */
  loss(ns: Netns, rules: LossRule[]): void {
    const lines = rules.map((r) => {
      const addr = r.addr;
      checkAddress(addr);
      const v6 = isIPv6(addr);
      const echo = v6 ? 'icmpv6 type echo-request' : 'icmp type echo-request';
      const what = !r.match || r.match === 'icmp' ? echo : `tcp dport ${r.match.tcpPort} tcp flags syn`;
      const dst = `${v6 ? 'ip6' : 'ip'} daddr ${addr}`;
      if (r.pct >= 100) return `${dst} ${what} drop`;
      const g = gcd(Math.round(r.pct), 100);
      const sample = (r.mode ?? 'every') === 'every' ? `numgen inc mod ${100 / g} < ${Math.round(r.pct) / g}` : `numgen random mod 100 < ${Math.round(r.pct)}`;
      return `${dst} ${what} ${sample} drop`;
    });
    ns.run('nft', ['-f', '-'], [
      'table inet vipwatch_loss', 'delete table inet vipwatch_loss',
      'table inet vipwatch_loss {', '  chain input {', '    type filter hook input priority 0; policy accept;',
      ...lines.map((l) => `    ${l}`), '  }', '}', '',
    ].join('\n'));
  }

  /** Ends every process started in a namespace (by PID) and deletes the namespaces and root-side links. */
  async cleanup(): Promise<void> {
    await Promise.all(this.#children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return resolve();
      const timer = setTimeout(() => { try { process.kill(c.pid!, 'SIGKILL'); } catch { /* gone */ } }, 2000);
      c.once('exit', () => { clearTimeout(timer); resolve(); });
      try { process.kill(c.pid, 'SIGTERM'); } catch { clearTimeout(timer); resolve(); }
    })));
    this.#children.length = 0;
    for (const dev of this.#rootLinks.splice(0)) {
      try { run('ip', ['link', 'del', dev]); } catch { /* went with its namespace */ }
    }
    for (const ns of this.#namespaces.splice(0).reverse()) {
      try { run('ip', ['netns', 'del', ns.name]); } catch { /* already gone */ }
    }
  }
}
