// A throwaway root for package tests: this machine's root file system as the read-only lower layer of an overlayfs,
// a temp dir as the upper layer, mounted in a private mount namespace (unshare) for each command. dpkg, useradd and
// the maintainer scripts run chrooted in it and write only to the upper layer: the machine's own root, package
// database and users stay as they were. /tmp, /run, /work and /root are empty tmpfs inside, so the root holds no
// vipwatch code but what a package installs, and no systemd (maintainer scripts skip systemctl, as in a container).
// Also a small stand-in for systemd: runs a unit's ExecStart the way the unit says (User, Group, capabilities,
// NoNewPrivileges, Environment, EnvironmentFile, ProtectSystem=strict with ReadWritePaths, PrivateTmp).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export class ScratchRoot {
  readonly dir = mkdtempSync(join(tmpdir(), 'vipwatch-root-'));
  readonly upper = join(this.dir, 'upper');
  readonly #work = join(this.dir, 'work');
  readonly merged = join(this.dir, 'merged');

  /** share: a host directory seen read-only at /mnt inside (e.g. the packages to install) */
  constructor(readonly share: string) {
    for (const d of [this.upper, this.#work, this.merged]) mkdirSync(d);
  }

  /** The shell lines that mount the root at `merged` (run inside the new mount namespace). */
  #mount(): string {
    const m = q(this.merged);
    return [
      `mount -t overlay overlay -o lowerdir=/,upperdir=${q(this.upper)},workdir=${q(this.#work)} ${m}`,
      `mount -t proc proc ${m}/proc`,
      `mount --rbind /dev ${m}/dev`,
      ...['tmp', 'run', 'work', 'root'].map((d) => `[ ! -d ${m}/${d} ] || mount -t tmpfs -o mode=1777 tmpfs ${m}/${d}`),
      `mount --bind -o ro ${q(this.share)} ${m}/mnt`,
    ].join('\n');
  }

  /** Runs a shell script chrooted in the root; returns its exit code and output. */
  run(script: string): { status: number; stdout: string; stderr: string } {
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-ec', `${this.#mount()}\nexec chroot ${q(this.merged)} sh -ec ${q(script)}`], {
      encoding: 'utf8', timeout: 120_000,
    });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr + (r.error ? String(r.error) : '') };
  }

  /** Like run, but throws with the output unless the script exits 0. */
  sh(script: string): string {
    const r = this.run(script);
    if (r.status !== 0) throw new Error(`in the scratch root: ${script}\nexit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /**
   * Starts a unit's ExecStart as systemd would: the unit's user and group, its ambient and bounding capabilities
   * and no-new-privs (setpriv), its environment, the root read-only but its ReadWritePaths (ProtectSystem=strict),
   * a private /tmp. The returned process is the service's main process (every step execs the next).
   */
  startUnit(unit: Unit): ChildProcess {
    const m = q(this.merged);
    const caps = (list: string[]) => ['-all', ...list.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',');
    const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...unit.environmentFromFiles(this), ...unit.environment };
    const setpriv = [
      'setpriv', `--reuid=${unit.get('User')}`, `--regid=${unit.get('Group') ?? unit.get('User')}`, '--init-groups',
      `--inh-caps=${caps(unit.list('AmbientCapabilities'))}`, `--ambient-caps=${caps(unit.list('AmbientCapabilities'))}`,
      `--bounding-set=${caps(unit.list('CapabilityBoundingSet'))}`,
      ...(unit.get('NoNewPrivileges') === 'yes' ? ['--no-new-privs'] : []),
    ];
    const script = [
      this.#mount(),
      ...unit.list('ReadWritePaths').map((p) => `mount --bind ${m}${p} ${m}${p}`),
      ...(unit.get('ProtectSystem') === 'strict' ? [`mount -o remount,bind,ro ${m}`] : []),
      `exec chroot ${m} ${setpriv.map(q).join(' ')} env -i ${Object.entries(env).map(([k, v]) => q(`${k}=${v}`)).join(' ')} ${unit.get('ExecStart')!}`,
    ].join('\n');
    return spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-ec', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A systemd unit file's [Service] and [Unit] keys (the last value of each, space-separated lists joined). */
export class Unit {
  readonly #values = new Map<string, string[]>();
  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
      if (m) this.#values.set(m[1]!, [...(this.#values.get(m[1]!) ?? []), m[2]!]);
    }
  }
  get(key: string): string | undefined { return this.#values.get(key)?.at(-1); }
  list(key: string): string[] { return (this.#values.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean); }
  get environment(): Record<string, string> {
    return Object.fromEntries((this.#values.get('Environment') ?? []).map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
  }
  /** The KEY=value lines of the unit's EnvironmentFile= files (a leading "-": the file may be missing). */
  environmentFromFiles(root: ScratchRoot): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of this.#values.get('EnvironmentFile') ?? []) {
      const r = root.run(`cat ${q(f.replace(/^-/, ''))}`);
      if (r.status !== 0 && !f.startsWith('-')) throw new Error(`EnvironmentFile ${f}: ${r.stderr}`);
      for (const line of r.stdout.split('\n')) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
        if (m) out[m[1]!] = m[2]!;
      }
    }
    return out;
  }
}
