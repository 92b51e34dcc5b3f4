// What init() creates on the server: the database, the default retention policy for raw records, the `rollup`
// policy and the continuous query that fills its hourly `probe_1h` measurement. Each step checks what exists first,
// so init() can run on every start (and on every gateway replica).
import type { Logger } from '../../log.js';
import { ident, type InfluxClient } from './client.js';
import { PROBE } from './lines.js';

export const ROLLUP_RP = 'rollup';
export const ROLLUP_MEASUREMENT = 'probe_1h';
export const ROLLUP_CQ = 'cq_probe_1h';

export interface InfluxLayout {
  database: string;
  /** default policy: raw `probe` records and `fault` events */
  retentionPolicy: string;
  retention: string;
  rollupRetention: string;
}

/** The rollup's SELECT ... INTO (the continuous query's body; `where` lets a backfill run it over a past range). */
export function rollupSelect(l: InfluxLayout, where = ''): string {
  const db = ident(l.database);
  return 'SELECT min("rtt_min") AS "rtt_min", mean("rtt_avg") AS "rtt_avg", max("rtt_max") AS "rtt_max", '
    + 'mean("loss") AS "loss", sum("sent") AS "sent", sum("recv") AS "recv" '
    + `INTO ${db}.${ident(ROLLUP_RP)}.${ident(ROLLUP_MEASUREMENT)} FROM ${db}.${ident(l.retentionPolicy)}.${ident(PROBE)}`
    + `${where ? ` WHERE ${where}` : ''} GROUP BY time(1h), *`;
}

// RESAMPLE FOR 2h: each hourly run recomputes the previous hour too, so records an agent delivers late (from its
// spool, within the hour) still reach the rollup.
const cqStatement = (l: InfluxLayout): string =>
  `CREATE CONTINUOUS QUERY ${ident(ROLLUP_CQ)} ON ${ident(l.database)} RESAMPLE FOR 2h BEGIN ${rollupSelect(l)} END`;

/** InfluxDB prints durations normalised ("720h0m0s"); this turns "30d" / "400d" / "12h" into that form to compare. */
export function normalDuration(d: string): string {
  const units: Record<string, number> = { w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 };
  let sec = 0;
  for (const [, n, u] of d.matchAll(/(\d+)([wdhms])/g)) sec += Number(n) * units[u!]!;
  if (d === 'INF' || d === '0s' || sec === 0) return '0s';
  return `${Math.floor(sec / 3600)}h${Math.floor((sec % 3600) / 60)}m${sec % 60}s`;
}

async function ensurePolicy(client: InfluxClient, l: InfluxLayout, name: string, duration: string, isDefault: boolean, log: Logger): Promise<void> {
  const db = ident(l.database);
  const rows = await client.rows(`SHOW RETENTION POLICIES ON ${db}`);
  const have = rows.find((r) => r.name === name);
  const spec = `DURATION ${duration} REPLICATION 1${isDefault ? ' DEFAULT' : ''}`;
  if (!have) {
    await client.query(`CREATE RETENTION POLICY ${ident(name)} ON ${db} ${spec}`);
    log.info({ database: l.database, policy: name, duration }, 'InfluxDB retention policy created');
  } else if (have.duration !== normalDuration(duration) || (isDefault && have.default !== true)) {
    await client.query(`ALTER RETENTION POLICY ${ident(name)} ON ${db} ${spec}`);
    log.info({ database: l.database, policy: name, duration, was: have.duration }, 'InfluxDB retention policy changed');
  }
}

async function ensureContinuousQuery(client: InfluxClient, l: InfluxLayout, log: Logger): Promise<void> {
  const [series = []] = await client.query('SHOW CONTINUOUS QUERIES');
  const mine = series.find((s) => s.name === l.database);
  const existing = mine?.values?.find((v) => v[0] === ROLLUP_CQ)?.[1] as string | undefined;
  const want = cqStatement(l);
  // The server prints the statement back with plain identifiers where it can: compare without the quotes.
  const bare = (q: string) => q.replace(/"/g, '');
  if (existing !== undefined && bare(existing) === bare(want)) return;
  if (existing !== undefined) await client.query(`DROP CONTINUOUS QUERY ${ident(ROLLUP_CQ)} ON ${ident(l.database)}`);
  await client.query(want);
  log.info({ database: l.database, cq: ROLLUP_CQ, replaced: existing !== undefined }, 'InfluxDB continuous query created');
}

export async function ensureLayout(client: InfluxClient, l: InfluxLayout, log: Logger): Promise<void> {
  await client.query(`CREATE DATABASE ${ident(l.database)}`);
  await ensurePolicy(client, l, l.retentionPolicy, l.retention, true, log);
  await ensurePolicy(client, l, ROLLUP_RP, l.rollupRetention, false, log);
  await ensureContinuousQuery(client, l, log);
}
