// The MySQL / MariaDB job store (sql/002_probe_jobs.sql), in the admin store's database: every replica reads it.
import mysql, { type Pool, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import type { Job, JobResult, NewJob } from '../../jobs.js';
import type { Logger } from '../../log.js';
import type { JobStore, ProbeAudit, ProbeAuditInput, StoredResult } from '../jobs.js';
import { loadMigrations, migrate, type Migration } from './migrate.js';
import { redact } from './admin.js';

export interface MysqlJobStoreOptions { url: string; log: Logger; now?: () => Date; migrations?: Migration[] }

const toSql = (t: Date | string): string => new Date(t).toISOString().replace('T', ' ').replace('Z', '');
const fromSql = (s: string): string => `${s.replace(' ', 'T')}Z`;

export class MysqlJobStore implements JobStore {
  private pool: Pool | null = null;
  private readonly now: () => Date;

  constructor(private readonly opts: MysqlJobStoreOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  async init(): Promise<void> {
    if (this.pool) return;
    // the same numbered migrations as the admin store (under its lock): whichever starts first applies them
    await migrate(this.opts.url, this.opts.migrations ?? loadMigrations(), this.opts.log);
    this.pool = mysql.createPool({ uri: this.opts.url, dateStrings: true, waitForConnections: true });
    this.opts.log.debug({ url: redact(this.opts.url) }, 'job store (mysql) ready');
  }

  private async rows(sql: string, params: unknown[] = []): Promise<RowDataPacket[]> {
    if (!this.pool) throw new Error('job store (mysql): init() was not called');
    return (await this.pool.query<RowDataPacket[]>(sql, params))[0];
  }

  async create(job: NewJob): Promise<Job> {
    if (!this.pool) throw new Error('job store (mysql): init() was not called');
    const c = await this.pool.getConnection();
    try {
      await c.beginTransaction();
      const [res] = await c.query<ResultSetHeader>(`INSERT INTO probe_jobs (id, requester, address, created_at, start_by, doc)
        VALUES (?, ?, ?, ?, ?, '{}')`, [job.id, job.requester, job.address, toSql(job.createdAt), toSql(job.startBy)]);
      const stored: Job = { ...job, seq: res.insertId };
      await c.query('UPDATE probe_jobs SET doc = ? WHERE seq = ?', [JSON.stringify(stored), stored.seq]);
      await c.commit();
      return stored;
    } catch (e) {
      await c.rollback().catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async get(id: string): Promise<Job | null> {
    const [r] = await this.rows('SELECT doc FROM probe_jobs WHERE id = ?', [id]);
    return r ? (JSON.parse(r.doc) as Job) : null;
  }

  async liveSeqs(now: string): Promise<number[]> {
    return (await this.rows('SELECT seq FROM probe_jobs WHERE start_by > ? ORDER BY seq', [toSql(now)])).map((r) => Number(r.seq));
  }

  async bySeqs(seqs: number[]): Promise<Job[]> {
    if (!seqs.length) return [];
    return (await this.rows('SELECT doc FROM probe_jobs WHERE seq IN (?) ORDER BY seq', [seqs])).map((r) => JSON.parse(r.doc) as Job);
  }

  async putResult(jobId: string, host: string, result: JobResult, at: string): Promise<boolean> {
    if (!this.pool) throw new Error('job store (mysql): init() was not called');
    const [res] = await this.pool.query<ResultSetHeader>('INSERT IGNORE INTO probe_results (job_id, host, at, doc) VALUES (?, ?, ?, ?)',
      [jobId, host, toSql(at), JSON.stringify(result)]);
    return res.affectedRows === 1;
  }

  async results(jobId: string): Promise<StoredResult[]> {
    const rows = await this.rows('SELECT host, at, doc FROM probe_results WHERE job_id = ? ORDER BY at, host', [jobId]);
    return rows.map((r) => ({ host: r.host, at: fromSql(r.at), result: JSON.parse(r.doc) as JobResult }));
  }

  async countSince(by: { requester: string } | { address: string }, since: string): Promise<number> {
    const [col, value] = 'requester' in by ? ['requester', by.requester] : ['address', by.address];
    const [r] = await this.rows(`SELECT COUNT(*) AS n FROM probe_jobs WHERE ${col} = ? AND created_at >= ?`, [value, toSql(since)]);
    return Number(r!.n);
  }

  async addAudit(a: ProbeAuditInput): Promise<void> {
    await this.rows('INSERT INTO probe_audit (at, actor, action, job_id, target, method, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [toSql(this.now()), a.actor, a.action, a.jobId, a.target, a.method, JSON.stringify(a.detail)]);
  }

  async audit(limit = 500): Promise<ProbeAudit[]> {
    const rows = await this.rows('SELECT * FROM probe_audit ORDER BY id DESC LIMIT ?', [limit]);
    return rows.map((r) => ({
      id: Number(r.id), at: fromSql(r.at), actor: r.actor, action: r.action, jobId: r.job_id, target: r.target, method: r.method,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }

  async ping(): Promise<boolean> {
    try {
      await this.rows('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool?.end();
    this.pool = null;
  }
}
