// Opens an embedded SQLite file the way every store here wants it: WAL (readers never wait for the writer),
// a busy timeout for the other processes sharing the file, and the store's schema.
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { privateDir, privateFile } from '../../files.js';

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
