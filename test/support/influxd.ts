// A real InfluxDB (Debian's influxd 1.x) on a temp dir and a free loopback port, for tests and benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

export interface Influxd {
  url: string;
  dir: string;
  /** kills the server (SIGKILL: no clean shutdown), keeping its data */
  kill(): Promise<void>;
  /** starts it again on the same port and data */
  restart(): Promise<void>;
  /** kills it and deletes its data */
  stop(): Promise<void>;
}

export async function startInfluxd(): Promise<Influxd> {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-influxd-'));
  const [http, rpc] = [await freePort(), await freePort()];
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(conf, [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${rpc}"`,
    '[meta]', `  dir = "${dir}/meta"`, '  logging-enabled = false',
    '[data]', `  dir = "${dir}/data"`, `  wal-dir = "${dir}/wal"`, '  query-log-enabled = false', '  wal-fsync-delay = "0s"',
    '[http]', `  bind-address = "127.0.0.1:${http}"`, '  log-enabled = false', '  max-body-size = 0',
    '[monitor]', '  store-enabled = false',
    '[continuous_queries]', '  log-enabled = false', '  run-interval = "1s"',
    '[subscriber]', '  enabled = false',
    '[logging]', '  level = "warn"',
  ].join('\n'));
  const url = `http://127.0.0.1:${http}`;
  let proc: ChildProcess | null = null;
  const launch = async () => {
    proc = spawn('influxd', ['run', '-config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
    const exited = new Promise<never>((_, rej) => proc!.once('exit', (c) => rej(new Error(`influxd exited with ${c}: ${err}`))));
    await Promise.race([waitFor(async () => (await fetch(`${url}/ping`)).status === 204, 20_000, 'influxd /ping'), exited]);
    exited.catch(() => {});
  };
  const kill = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => { p.once('exit', () => r()); process.kill(p.pid!, 'SIGKILL'); });
  };
  await launch();
  return {
    url, dir, kill,
    restart: async () => { await kill(); await launch(); },
    stop: async () => { await kill(); rmSync(dir, { recursive: true, force: true }); },
  };
}
