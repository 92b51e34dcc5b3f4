// Retention for the embedded series store, as InfluxDB's retention policies do for the influx backend: raw minutes,
// the per-minute group rollup and fault events older than `retention` go; the hourly rollup (week-long charts) after
// `rollupRetention`. better-sqlite3 is synchronous, so deleting a long backlog at once (a file that ran for months
// before retention existed) would hold every reader and the gateway's writes for seconds: one prune() deletes, per
// table, the oldest rows up to about `stepRows` of them (whole minutes or hours, which go together) and says whether
// more is left; the store calls it again after later writes until nothing is.
import type Database from 'better-sqlite3';

export interface RetentionMs {
  retention: number;
  rollupRetention: number;
}

/** the tables with a time column, and which retention applies */
const TABLES: Array<{ table: string; time: string; keep: keyof RetentionMs }> = [
  { table: 'probe', time: 'ts', keep: 'retention' },
  { table: 'probe_group', time: 'ts', keep: 'retention' },
  { table: 'fault', time: 'ts', keep: 'retention' },
  { table: 'probe_hour', time: 'hour', keep: 'rollupRetention' },
];

export class Retention {
  private readonly steps: Array<{ keep: keyof RetentionMs; bound: Database.Statement; del: Database.Statement }>;

  constructor(db: Database.Database, private readonly keepMs: RetentionMs, stepRows: number) {
    // each time column leads its table's primary key or has an index, so both statements read the oldest rows first
    this.steps = TABLES.map((t) => ({
      keep: t.keep,
      // the time of the stepRows-th oldest expired row; none when fewer are left
      bound: db.prepare(`SELECT ${t.time} AS t FROM ${t.table} WHERE ${t.time} < ? ORDER BY ${t.time} LIMIT 1 OFFSET ${stepRows - 1}`),
      del: db.prepare(`DELETE FROM ${t.table} WHERE ${t.time} <= ? AND ${t.time} < ?`),
    }));
  }

  /** One step of expired rows out of each table as of `now` (ms); call inside a transaction. */
  prune(now: number): { deleted: number; more: boolean } {
    let deleted = 0;
    let more = false;
    for (const s of this.steps) {
      const cutoff = now - this.keepMs[s.keep];
      const bound = s.bound.get(cutoff) as { t: number } | undefined;
      deleted += s.del.run(bound?.t ?? cutoff, cutoff).changes;
      if (bound) more = true;
    }
    return { deleted, more };
  }
}
