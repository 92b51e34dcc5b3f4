// A fresh, uniquely named database on a real MariaDB, dropped afterwards. Uses the server at 127.0.0.1:3306
// (root, empty password) when one answers; otherwise, as root, starts one private mariadbd per process on a temp dir
// and a free loopback port (see environment.md), which stopMariadb() ends by its PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import mysql from 'mysql2/promise';
import { missing } from './env.js';
import { freePort, waitFor } from './ports.js';

export interface MariaDbDatabase {
  /** mysql://root@127.0.0.1:PORT/NAME */
  url: string;
  database: string;
  /** drops the database */
  close(): Promise<void>;
}

const answers = async (base: string): Promise<boolean> => {
  const conn = await mysql.createConnection({ uri: base, connectTimeout: 2000 }).catch(() => null);
  if (!conn) return false;
  await conn.end();
  return true;
};

interface Server { base: string; stop(): Promise<void> }

async function startPrivateServer(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'vipwatch-mariadb-'));
  const install = spawnSync('mariadb-install-db', ['--no-defaults', '--user=root', `--datadir=${dir}/data`,
    '--auth-root-authentication-method=normal', '--skip-test-db'], { encoding: 'utf8' });
  if (install.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed (${install.status}): ${install.stderr.slice(-2000)}`);
  }
  const port = await freePort();
  const base = `mysql://root@127.0.0.1:${port}`;
  const proc: ChildProcess = spawn('mariadbd', ['--no-defaults', '--user=root', `--datadir=${dir}/data`, `--socket=${dir}/sock`,
    '--bind-address=127.0.0.1', `--port=${port}`, '--innodb-buffer-pool-size=32M', '--skip-name-resolve'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((r) => { proc.once('exit', () => r()); process.kill(proc.pid!, 'SIGTERM'); });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const exited = new Promise<never>((_, rej) => proc.once('exit', (c) => rej(new Error(`mariadbd exited with ${c}: ${err}`))));
  exited.catch(() => undefined);
  try {
    await Promise.race([waitFor(() => answers(base), 30_000, `mariadbd on port ${port}`), exited]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, stop };
}

let server: Promise<Server> | null = null;

/** The server every database of this process lives on: found at 3306, or started once and shared. */
async function sharedServer(): Promise<Server> {
  const local: Server = { base: 'mysql://root@127.0.0.1:3306', stop: async () => undefined };
  return (await answers(local.base)) ? local : startPrivateServer();
}

/** A new database, or null when the machine has no MariaDB and cannot start one (the test is then skipped, with why). */
export async function mariadbDatabase(t: TestContext): Promise<MariaDbDatabase | null> {
  if (!server) {
    if (!(await answers('mysql://root@127.0.0.1:3306'))) {
      const why = missing({ commands: ['mariadbd', 'mariadb-install-db'], root: true });
      if (why) {
        t.skip(`skipped: no MariaDB answers on 127.0.0.1:3306 and none can be started: ${why}`);
        return null;
      }
    }
    server = sharedServer();
  }
  const { base } = await server;
  const database = `vipwatch_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: base });
  try {
    await admin.query(`CREATE DATABASE ${mysql.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  return {
    url: `${base}/${database}`,
    database,
    close: async () => {
      const conn = await mysql.createConnection({ uri: base });
      try {
        await conn.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(database)}`);
      } finally {
        await conn.end();
      }
    },
  };
}

/** Stops the server this helper started, if it did (call from the test file's after()). */
export async function stopMariadb(): Promise<void> {
  const s = server;
  server = null;
  if (s) await (await s).stop();
}
