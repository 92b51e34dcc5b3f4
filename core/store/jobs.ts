// The job store: on-demand probe jobs, their results and their audit log. It lives in the admin store's database
// (the SQLite file admin.db, or the MySQL database with sql/002_probe_jobs.sql), so every gateway and web replica
// that shares the admin store sees the same jobs. Backends: core/store/sqlite/jobs.ts, core/store/mysql/jobs.ts.
import type { Job, JobResult, NewJob } from '../jobs.js';

export interface StoredResult { host: string; at: string; result: JobResult }

export interface ProbeAuditInput {
  actor: string;
  /** created: a job was made; refused: a request was turned down (the detail says why) */
  action: 'created' | 'refused';
  jobId: string | null;
  target: string;
  method: string;
  detail: Record<string, unknown>;
}

export interface ProbeAudit extends ProbeAuditInput { id: number; at: string }

export interface JobStore {
  init(): Promise<void>;
  /** stores a new job; its seq is assigned here (increasing) */
  create(job: NewJob): Promise<Job>;
  get(id: string): Promise<Job | null>;
  /** seq of every job agents may still start (startBy after `now`): cheap, polled by every gateway each second */
  liveSeqs(now: string): Promise<number[]>;
  bySeqs(seqs: number[]): Promise<Job[]>;
  /** the first result of a host for a job is kept; false when one was there already */
  putResult(jobId: string, host: string, result: JobResult, at: string): Promise<boolean>;
  results(jobId: string): Promise<StoredResult[]>;
  /** jobs made at or after `since` by a requester, or to an address: the rate limits */
  countSince(by: { requester: string } | { address: string }, since: string): Promise<number>;
  addAudit(a: ProbeAuditInput): Promise<void>;
  /** newest first */
  audit(limit?: number): Promise<ProbeAudit[]>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
