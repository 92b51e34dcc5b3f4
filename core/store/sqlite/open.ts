// Opens an embedded SQLite file the way every store here wants it: WAL (readers never wait for the writer),
// a busy timeout for the other processes sharing the file, and the store's schema.
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { privateDir, privateFile } from '../../files.js';
import type { Logger } from '../../log.js';

/** FULL syncs the WAL at every commit (an acknowledged write is on disk); NORMAL may lose the last commit on power loss. */
export type Sync = 'FULL' | 'NORMAL';

export function openSqlite(file: string, ddl: string, sync: Sync): Database.Database {
  if (file !== ':memory:') {
    // admin.db holds password hashes: the directory 0700 and the file 0600 (SQLite gives -wal and -shm the file's mode)
    privateDir(dirname(file));
    privateFile(file);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.pragma('busy_timeout = 5000');
  db.exec(ddl);
  return db;
}

/**
 * The connection part every SQLite-backed store shares: opened once by the store's init() (then the store's own
 * upgrades run), a `conn` that names the store when it is used before init(), ping and close.
 */
export class SqliteHandle {
  #db: Database.Database | null = null;

  constructor(private readonly what: string, private readonly file: string, private readonly log: Logger) {}

  open(ddl: string, sync: Sync, upgrade: (db: Database.Database) => void = () => {}): void {
    if (this.#db) return;
    const db = openSqlite(this.file, ddl, sync);
    upgrade(db);
    this.#db = db;
    this.log.debug({ file: this.file }, `${this.what} (sqlite) ready`);
  }

  get conn(): Database.Database {
    if (!this.#db) throw new Error(`${this.what} (sqlite): init() was not called`);
    return this.#db;
  }

  ping(): boolean {
    try {
      return (this.conn.prepare('SELECT 1 AS ok').get() as { ok: number }).ok === 1;
    } catch {
      return false;
    }
  }

  close(): void {
    this.#db?.close();
    this.#db = null;
  }
}
