// Child processes of the drills: `vipwatch COMMAND` run as a real process (optionally inside a network namespace),
// its logs kept in one file per run, killed and restarted by PID. A process that exits without being told to is a
// crash: the CrashWatch it reports to fails every wait of the drill at once (with the log's tail), instead of the
// drill waiting out its time limit.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Netns } from '../support/netns.js';
import { waitFor } from '../support/ports.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'bin/vipwatch.js');

export interface ProcOptions {
  /** run inside this namespace (`ip netns exec`); the root namespace when absent */
  ns?: Netns;
  env?: Record<string, string>;
  /** log files go here as <name>-<run>.log */
  logDir: string;
  /** told when the process exits without kill() */
  watch?: CrashWatch;
}

/**
 * Fails the drill's waits as soon as one of its processes crashed. Every wait is bounded: `until` by its timeout,
 * `sleep` by its length.
 */
export class CrashWatch {
  #crash: Error | null = null;
  readonly #waiters = new Set<(e: Error) => void>();

  report(e: Error): void {
    if (this.#crash) return;
    this.#crash = e;
    for (const w of this.#waiters) w(e);
  }

  get crashed(): Error | null { return this.#crash; }

  /** Throws the first crash, if any. */
  check(): void {
    if (this.#crash) throw this.#crash;
  }

  /** Sleeps ms, or rejects at once when a process crashes meanwhile. */
  sleep(ms: number): Promise<void> {
    this.check();
    return new Promise((resolve, reject) => {
      const onCrash = (e: Error) => { clearTimeout(timer); this.#waiters.delete(onCrash); reject(e); };
      const timer = setTimeout(() => { this.#waiters.delete(onCrash); resolve(); }, ms);
      this.#waiters.add(onCrash);
    });
  }

  /** Polls `check` every 100 ms until it holds; fails after timeoutMs, or at once when a process crashed. */
  async until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      this.check();
      if (await check().catch(() => false)) return;
      await this.sleep(100);
    }
    this.check();
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

/** One `vipwatch` command that can be started, killed and started again; each run logs to its own file. */
export class VipwatchProc {
  #proc: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  /** set by kill(): the coming exit is wanted */
  #stopping = false;
  runs = 0;

  constructor(readonly name: string, readonly args: string[], readonly opts: ProcOptions) {}

  logFile(run = this.runs): string {
    return join(this.opts.logDir, `${this.name}-${run}.log`);
  }

  /** The log lines of one run (pino JSON), parsed; lines that are not JSON are kept as {msg}. */
  logs(run = this.runs): Array<Record<string, unknown>> {
    const f = this.logFile(run);
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => {
      try { return JSON.parse(l) as Record<string, unknown>; } catch { return { msg: l }; }
    });
  }

  tail(n = 15): string {
    const f = this.logFile();
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-n).join('\n') : '(no log)';
  }

  get pid(): number | undefined { return this.#proc?.pid; }

  alive(): boolean {
    return !!this.#proc && this.#proc.exitCode === null && this.#proc.signalCode === null;
  }

  start(): void {
    if (this.alive()) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    this.runs++;
    const fd = openSync(this.logFile(), 'a');
    const opts = { cwd: ROOT, stdio: ['ignore', fd, fd] as ['ignore', number, number], env: { ...process.env, ...this.opts.env } };
    const argv = ['--no-warnings', CLI, ...this.args];
    this.#proc = this.opts.ns ? this.opts.ns.spawn(process.execPath, argv, opts) : spawn(process.execPath, argv, opts);
    closeSync(fd);
    const p = this.#proc;
    this.#stopping = false;
    this.#exited = new Promise((r) => p.once('exit', (code, signal) => {
      if (!this.#stopping) this.opts.watch?.report(new Error(`${this.name} (pid ${p.pid}) crashed: exit ${code ?? signal}\n--- ${this.logFile()}:\n${this.tail()}`));
      r();
    }));
  }

  /** Starts and waits until `ready` holds; fails early (with the log's tail) if the process exits. */
  async startReady(ready: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
    this.start();
    const p = this.#proc!;
    await waitFor(async () => {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`${this.name} exited (${p.exitCode ?? p.signalCode}):\n${this.tail()}`);
      return ready();
    }, timeoutMs, `${this.name} to be ready`).catch((e: Error) => {
      throw new Error(`${e.message}\n--- ${this.logFile()}:\n${this.tail()}`);
    });
  }

  /** Sends `signal` to the process by its PID and waits for it to end (SIGKILL after 5 s). */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.#proc;
    if (!p || !this.alive()) return;
    this.#stopping = true;
    const timer = setTimeout(() => { try { process.kill(p.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5000);
    try { process.kill(p.pid!, signal); } catch { /* gone */ }
    await this.#exited;
    clearTimeout(timer);
  }
}

/** GET url answers 200 (any error counts as no). */
export const answers200 = async (url: string): Promise<boolean> => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
};

/** A counter's value in Prometheus text, summed over the series whose labels include every given label. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
