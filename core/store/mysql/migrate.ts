// Numbered migrations from sql/ (001_init.sql, 002_....sql): each applied once, in order, and recorded in
// schema_migrations. A named lock keeps two replicas starting together from applying the same file twice.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { ValidationError } from '../../errors.js';
import type { Logger } from '../../log.js';

export const SQL_DIR = fileURLToPath(new URL('../../../sql/', import.meta.url));

export interface Migration { version: number; name: string; sql: string }

/** Orders migration files by number; refuses names without one and numbers used twice. Pure. */
export function parseMigrations(files: Array<{ file: string; sql: string }>, dir = 'sql'): Migration[] {
  const problems: ValidationError['problems'] = [];
  const out: Migration[] = [];
  const seen = new Map<number, string>();
  for (const { file, sql } of files) {
    const m = /^(\d+)_([\w.-]+)\.sql$/.exec(file);
    if (!m) {
      problems.push({ file: join(dir, file), message: 'a migration file must be named NNN_name.sql' });
      continue;
    }
    const version = Number(m[1]);
    const other = seen.get(version);
    if (other) problems.push({ file: join(dir, file), message: `version ${version} is also used by ${other}` });
    seen.set(version, file);
    out.push({ version, name: file, sql });
  }
  if (problems.length) throw new ValidationError(problems);
  return out.sort((a, b) => a.version - b.version);
}

export const loadMigrations = (dir = SQL_DIR): Migration[] =>
  parseMigrations(readdirSync(dir).filter((f) => f.endsWith('.sql')).map((file) => ({ file, sql: readFileSync(join(dir, file), 'utf8') })), dir);

const LOCK = 'vipwatch_admin_migrate';

/**
 * Applies the pending migrations over a connection of its own (multipleStatements is on for it only, never for the
 * pool that serves requests). Returns the versions applied now.
 */
export async function migrate(uri: string, migrations: Migration[], log: Logger): Promise<number[]> {
  const conn = await mysql.createConnection({ uri, multipleStatements: true });
  try {
    const [[lock]] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, 60) AS got', [LOCK]);
    if (lock?.got !== 1) throw new Error(`admin store (mysql): could not take lock ${LOCK} within 60 s to apply migrations`);
    try {
      await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
      const [rows] = await conn.query<RowDataPacket[]>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => Number(r.version)));
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        try {
          await conn.query(m.sql);
        } catch (e) {
          throw new Error(`admin store (mysql): migration ${m.name} failed: ${(e as Error).message}`, { cause: e });
        }
        await conn.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, UTC_TIMESTAMP(3))', [m.version, m.name]);
        applied.push(m.version);
        log.info({ migration: m.name }, 'admin store (mysql): migration applied');
      }
      return applied;
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [LOCK]);
    }
  } finally {
    await conn.end();
  }
}
