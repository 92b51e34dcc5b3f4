// The embedded fault store: one SQLite file under dataDir. Every write is one transaction, so commitMinute leaves
// either the whole minute (episodes, events, checkpoint) or the previous one.
import Database from 'better-sqlite3';
import { openSqlite } from './open.js';
import type { Logger } from '../../log.js';
import { episodeUid, type AnalyzerCheckpoint, type EpisodeEvent, type FaultQuery, type FaultStore, type StoredEpisode } from '../faults.js';
import {
  checkWrites, compareEvents, decodeState, encodeState, eventRows, pickEpisode, type EpisodeWrite, type EventRow,
} from '../faults-common.js';
import { diagnosisSchema, type Diagnosis } from '../../diagnosis.js';

// The same content as the MongoDB documents (core/store/mongo/docs.ts): the episode as the contract prints it,
// keyed by uid, and events keyed by their hash (faults-common.ts eventId), so a replayed event is stored once.
const DDL = `
CREATE TABLE IF NOT EXISTS episodes (
  uid TEXT PRIMARY KEY,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  open INTEGER NOT NULL,
  doc TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS episodes_start ON episodes (start_ms DESC, uid);
CREATE INDEX IF NOT EXISTS episodes_open ON episodes (open, start_ms DESC);
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  uid TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_uid ON events (uid, at_ms);
CREATE TABLE IF NOT EXISTS diagnoses (uid TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (
  name TEXT PRIMARY KEY,
  minute INTEGER NOT NULL,
  state BLOB NOT NULL,
  updated_at TEXT NOT NULL
);`;

/** checkpoint parts are rows of the checkpoint table named `analyzer/<part>` */
const PART_PREFIX = 'analyzer/';

export interface SqliteFaultStoreOptions {
  /** a file path, or ':memory:' */
  file: string;
  log: Logger;
  now?: () => Date;
}

interface EpisodeRowDb { uid: string; doc: string; updated_at: string }
interface EventRowDb { id: string; uid: string; at_ms: number; kind: EpisodeEvent['kind']; doc: string }

export class SqliteFaultStore implements FaultStore {
  private db: Database.Database | null = null;
  private readonly now: () => Date;

  constructor(private readonly opts: SqliteFaultStoreOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  async init(): Promise<void> {
    if (this.db) return;
    // NORMAL still keeps every transaction atomic; a power cut may lose the last one, and the analyzer then
    // replays that minute from the previous checkpoint.
    this.db = openSqlite(this.opts.file, DDL, 'NORMAL');
    this.opts.log.debug({ file: this.opts.file }, 'fault store (sqlite) ready');
  }

  private get conn(): Database.Database {
    if (!this.db) throw new Error('fault store (sqlite): init() was not called');
    return this.db;
  }

  private writeAll(writes: EpisodeWrite[]): void {
    const at = this.now().toISOString();
    const putEpisode = this.conn.prepare(`INSERT INTO episodes (uid, id, type, start_ms, open, doc, updated_at)
      VALUES (@uid, @id, @type, @startMs, @open, @doc, @at)
      ON CONFLICT (uid) DO UPDATE SET open = excluded.open, doc = excluded.doc, updated_at = excluded.updated_at`);
    const putEvent = this.conn.prepare('INSERT OR IGNORE INTO events (id, uid, at_ms, kind, doc) VALUES (?, ?, ?, ?, ?)');
    for (const w of writes) {
      const e = pickEpisode(w.episode);
      putEpisode.run({ uid: episodeUid(e), id: e.id, type: e.type, startMs: Date.parse(e.start), open: e.end === null ? 1 : 0, doc: JSON.stringify(e), at });
      for (const r of eventRows(w)) putEvent.run(r.id, r.uid, r.atMs, r.kind, JSON.stringify(r.event));
    }
  }

  async upsert(writes: EpisodeWrite[]): Promise<void> {
    checkWrites(writes);
    this.conn.transaction(() => this.writeAll(writes))();
  }

  async commitMinute(writes: EpisodeWrite[], checkpoint: AnalyzerCheckpoint): Promise<void> {
    checkWrites(writes);
    const state = encodeState(checkpoint.state);
    const put = this.conn.prepare(`INSERT INTO checkpoint (name, minute, state, updated_at) VALUES ('analyzer', ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET minute = excluded.minute, state = excluded.state, updated_at = excluded.updated_at`);
    const putPart = this.conn.prepare(`INSERT INTO checkpoint (name, minute, state, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET minute = excluded.minute, state = excluded.state, updated_at = excluded.updated_at`);
    const parts = Object.entries(checkpoint.parts ?? {}).map(([name, s]) => [PART_PREFIX + name, encodeState(s)] as const);
    this.conn.transaction(() => {
      this.writeAll(writes);
      put.run(checkpoint.minute, state, this.now().toISOString());
      for (const [name, s] of parts) putPart.run(name, checkpoint.minute, s, this.now().toISOString());
    })();
  }

  async checkpoint(): Promise<AnalyzerCheckpoint | null> {
    const row = this.conn.prepare("SELECT minute, state FROM checkpoint WHERE name = 'analyzer'").get() as { minute: number; state: Buffer } | undefined;
    return row ? { minute: row.minute, state: decodeState(row.state) } : null;
  }

  async checkpointParts(): Promise<Record<string, { minute: number; state: unknown }>> {
    const rows = this.conn.prepare('SELECT name, minute, state FROM checkpoint WHERE substr(name, 1, ?) = ?')
      .all(PART_PREFIX.length, PART_PREFIX) as Array<{ name: string; minute: number; state: Buffer }>;
    return Object.fromEntries(rows.map((r) => [r.name.slice(PART_PREFIX.length), { minute: r.minute, state: decodeState(r.state) }]));
  }

  async list(q: FaultQuery): Promise<StoredEpisode[]> {
    const where = [q.status === 'open' ? 'open = 1' : '1 = 1', 'start_ms >= @since',
      // an episode stored before latency faults has no signal: it is loss
      ...(q.signals ? ["COALESCE(json_extract(doc, '$.signal'), 'loss') IN (SELECT value FROM json_each(@signals))"] : [])].join(' AND ');
    const params = { since: q.since ? Date.parse(q.since) : -8.64e15, limit: q.limit ?? -1, ...(q.signals ? { signals: JSON.stringify(q.signals) } : {}) };
    const episodes = this.conn.prepare(`SELECT uid, doc, updated_at FROM episodes WHERE ${where}
      ORDER BY start_ms DESC, uid LIMIT @limit`).all(params) as EpisodeRowDb[];
    const events = this.conn.prepare(`SELECT id, uid, at_ms, kind, doc FROM events WHERE uid IN (
      SELECT uid FROM episodes WHERE ${where} ORDER BY start_ms DESC, uid LIMIT @limit)`).all(params) as EventRowDb[];
    const diagnoses = this.conn.prepare(`SELECT uid, doc FROM diagnoses WHERE uid IN (
      SELECT uid FROM episodes WHERE ${where} ORDER BY start_ms DESC, uid LIMIT @limit)`).all(params) as DiagnosisRowDb[];
    return assemble(episodes, events, diagnoses);
  }

  async get(uid: string): Promise<StoredEpisode | null> {
    const ep = this.conn.prepare('SELECT uid, doc, updated_at FROM episodes WHERE uid = ?').get(uid) as EpisodeRowDb | undefined;
    if (!ep) return null;
    const events = this.conn.prepare('SELECT id, uid, at_ms, kind, doc FROM events WHERE uid = ?').all(uid) as EventRowDb[];
    const diagnoses = this.conn.prepare('SELECT uid, doc FROM diagnoses WHERE uid = ?').all(uid) as DiagnosisRowDb[];
    return assemble([ep], events, diagnoses)[0]!;
  }

  async setDiagnosis(uid: string, diagnosis: Diagnosis): Promise<boolean> {
    const d = diagnosisSchema.parse(diagnosis);
    return this.conn.transaction(() => {
      if (!this.conn.prepare('SELECT 1 FROM episodes WHERE uid = ?').get(uid)) return false;
      this.conn.prepare('INSERT INTO diagnoses (uid, doc) VALUES (?, ?) ON CONFLICT (uid) DO UPDATE SET doc = excluded.doc').run(uid, JSON.stringify(d));
      return true;
    })();
  }

  async ping(): Promise<boolean> {
    try {
      return (this.conn.prepare('SELECT 1 AS ok').get() as { ok: number }).ok === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }
}

interface DiagnosisRowDb { uid: string; doc: string }

function assemble(episodes: EpisodeRowDb[], events: EventRowDb[], diagnoses: DiagnosisRowDb[]): StoredEpisode[] {
  const diagnosisOf = new Map(diagnoses.map((d) => [d.uid, JSON.parse(d.doc) as Diagnosis]));
  const byUid = new Map<string, EventRow[]>();
  for (const r of events) {
    let list = byUid.get(r.uid);
    if (!list) byUid.set(r.uid, (list = []));
    list.push({ id: r.id, atMs: r.at_ms, kind: r.kind, event: JSON.parse(r.doc) as EpisodeEvent });
  }
  return episodes.map((row) => ({
    ...(JSON.parse(row.doc) as StoredEpisode),
    ...(diagnosisOf.has(row.uid) ? { diagnosis: diagnosisOf.get(row.uid)! } : {}),
    uid: row.uid,
    history: (byUid.get(row.uid) ?? []).sort(compareEvents).map((r) => r.event),
    updatedAt: row.updated_at,
  }));
}
