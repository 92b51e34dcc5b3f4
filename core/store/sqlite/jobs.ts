// The embedded job store: tables beside the admin store's in admin.db (a second connection; WAL lets the two
// share the file, and other processes on the machine too). Columns mirror sql/002_probe_jobs.sql.
import Database from 'better-sqlite3';
import type { Job, JobResult, NewJob } from '../../jobs.js';
import type { Logger } from '../../log.js';
import type { JobStore, ProbeAudit, ProbeAuditInput, StoredResult } from '../jobs.js';
import { SqliteHandle } from './open.js';

/** The job tables; also created by the SQLite admin store, so admin.db holds what the MySQL schema holds. */
export const JOBS_DDL = `
CREATE TABLE IF NOT EXISTS probe_jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE, requester TEXT NOT NULL, address TEXT NOT NULL,
  created_at TEXT NOT NULL, start_by TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS probe_jobs_start_by ON probe_jobs (start_by);
CREATE INDEX IF NOT EXISTS probe_jobs_requester ON probe_jobs (requester, created_at);
CREATE INDEX IF NOT EXISTS probe_jobs_address ON probe_jobs (address, created_at);
CREATE TABLE IF NOT EXISTS probe_results (
  job_id TEXT NOT NULL, host TEXT NOT NULL, at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (job_id, host)
);
CREATE TABLE IF NOT EXISTS probe_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('created', 'refused')), job_id TEXT NULL,
  target TEXT NOT NULL, method TEXT NOT NULL, detail TEXT NOT NULL
);`;

export interface SqliteJobStoreOptions { file: string; log: Logger; now?: () => Date }

const iso = (t: string): string => new Date(t).toISOString();

export class SqliteJobStore implements JobStore {
  private readonly sqlite: SqliteHandle;
  private readonly now: () => Date;

  constructor(opts: SqliteJobStoreOptions) {
    this.sqlite = new SqliteHandle('job store', opts.file, opts.log);
    this.now = opts.now ?? (() => new Date());
  }

  async init(): Promise<void> {
    this.sqlite.open(JOBS_DDL, 'FULL');
  }

  private get conn(): Database.Database {
    return this.sqlite.conn;
  }

  async create(job: NewJob): Promise<Job> {
    return this.conn.transaction(() => {
      const { lastInsertRowid } = this.conn.prepare(`INSERT INTO probe_jobs (id, requester, address, created_at, start_by, doc)
        VALUES (?, ?, ?, ?, ?, '{}')`).run(job.id, job.requester, job.address, iso(job.createdAt), iso(job.startBy));
      const stored: Job = { ...job, seq: Number(lastInsertRowid) };
      this.conn.prepare('UPDATE probe_jobs SET doc = ? WHERE seq = ?').run(JSON.stringify(stored), stored.seq);
      return stored;
    })();
  }

  async get(id: string): Promise<Job | null> {
    const r = this.conn.prepare('SELECT doc FROM probe_jobs WHERE id = ?').get(id) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as Job) : null;
  }

  async liveSeqs(now: string): Promise<number[]> {
    return (this.conn.prepare('SELECT seq FROM probe_jobs WHERE start_by > ? ORDER BY seq').all(iso(now)) as Array<{ seq: number }>).map((r) => r.seq);
  }

  async bySeqs(seqs: number[]): Promise<Job[]> {
    if (!seqs.length) return [];
    const rows = this.conn.prepare(`SELECT doc FROM probe_jobs WHERE seq IN (${seqs.map(() => '?').join(',')}) ORDER BY seq`).all(...seqs) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as Job);
  }

  async putResult(jobId: string, host: string, result: JobResult, at: string): Promise<boolean> {
    const r = this.conn.prepare('INSERT OR IGNORE INTO probe_results (job_id, host, at, doc) VALUES (?, ?, ?, ?)').run(jobId, host, iso(at), JSON.stringify(result));
    return r.changes === 1;
  }

  async results(jobId: string): Promise<StoredResult[]> {
    const rows = this.conn.prepare('SELECT host, at, doc FROM probe_results WHERE job_id = ? ORDER BY at, host').all(jobId) as Array<{ host: string; at: string; doc: string }>;
    return rows.map((r) => ({ host: r.host, at: r.at, result: JSON.parse(r.doc) as JobResult }));
  }

  async countSince(by: { requester: string } | { address: string }, since: string): Promise<number> {
    const [col, value] = 'requester' in by ? ['requester', by.requester] : ['address', by.address];
    const r = this.conn.prepare(`SELECT COUNT(*) AS n FROM probe_jobs WHERE ${col} = ? AND created_at >= ?`).get(value, iso(since)) as { n: number };
    return r.n;
  }

  async addAudit(a: ProbeAuditInput): Promise<void> {
    this.conn.prepare('INSERT INTO probe_audit (at, actor, action, job_id, target, method, detail) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(this.now().toISOString(), a.actor, a.action, a.jobId, a.target, a.method, JSON.stringify(a.detail));
  }

  async audit(limit = 500): Promise<ProbeAudit[]> {
    const rows = this.conn.prepare('SELECT * FROM probe_audit ORDER BY id DESC LIMIT ?').all(limit) as Array<{
      id: number; at: string; actor: string; action: ProbeAudit['action']; job_id: string | null; target: string; method: string; detail: string;
    }>;
    return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, jobId: r.job_id, target: r.target, method: r.method, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }

  async ping(): Promise<boolean> {
    return this.sqlite.ping();
  }

  async close(): Promise<void> {
    this.sqlite.close();
  }
}
