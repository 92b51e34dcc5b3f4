// The MongoDB fault store (official driver). No multi-document transaction is needed, so it runs on a standalone
// server as well as a replica set: commitMinute writes episodes and events as deterministic upserts, then the state
// chunks, then the checkpoint pointer last. A crash anywhere in between leaves the previous checkpoint in force; the
// analyzer replays that minute and the same upserts land on the same documents.
import { MongoNetworkError, MongoServerSelectionError, type Db } from 'mongodb';
import type { Logger } from '../../log.js';
import type { AnalyzerCheckpoint, FaultQuery, FaultStore, StoredEpisode } from '../faults.js';
import { checkWrites, decodeState, encodeState, type EpisodeWrite } from '../faults-common.js';
import { StoreUnavailableError } from '../series.js';
import { MongoConnection } from './client.js';
import {
  COLLECTIONS, INDEXES, LIST_SORT, checkpointDoc, episodeFromDoc, episodeOps, joinChunks, listFilter, partChunks, partPointerId, stateChunks,
  type CheckpointDoc, type EpisodeDoc, type EventDoc, type PartChunkDoc, type StateChunkDoc,
} from './docs.js';
import { diagnosisSchema, type Diagnosis } from '../../diagnosis.js';

export interface MongoFaultStoreOptions {
  url: string;
  database: string;
  /** a client shared with the outbox store (sharedMongo); else the store opens its own for `url` */
  connection?: MongoConnection;
  log: Logger;
  now?: () => Date;
}

export class MongoFaultStore implements FaultStore {
  readonly connection: MongoConnection;
  private db: Db | null = null;
  private readonly now: () => Date;

  constructor(private readonly opts: MongoFaultStoreOptions) {
    this.now = opts.now ?? (() => new Date());
    this.connection = opts.connection ?? MongoConnection.of(opts.url);
  }

  async init(): Promise<void> {
    if (this.db) return;
    this.db = await this.guard('connect', () => this.connection.open(this.opts.database, async (db) => {
      for (const [name, specs] of Object.entries(INDEXES) as Array<[keyof typeof COLLECTIONS, typeof INDEXES.episodes]>) {
        if (specs.length) await db.collection(COLLECTIONS[name]).createIndexes(specs);
      }
    }));
    this.opts.log.debug({ database: this.opts.database }, 'fault store (mongo) ready');
  }

  private get conn(): Db {
    if (!this.db) throw new Error('fault store (mongo): init() was not called');
    return this.db;
  }

  private episodes() { return this.conn.collection<EpisodeDoc>(COLLECTIONS.episodes); }
  private events() { return this.conn.collection<EventDoc>(COLLECTIONS.events); }
  private chunks() { return this.conn.collection<StateChunkDoc>(COLLECTIONS.state); }
  private parts() { return this.conn.collection<PartChunkDoc>(COLLECTIONS.stateParts); }
  private pointer() { return this.conn.collection<CheckpointDoc>(COLLECTIONS.checkpoint); }
  private diagnoses() { return this.conn.collection<{ _id: string; diagnosis: Diagnosis }>(COLLECTIONS.diagnoses); }

  /** Network and server-selection failures become StoreUnavailableError, so callers can retry the minute later. */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof MongoNetworkError || e instanceof MongoServerSelectionError) {
        throw new StoreUnavailableError(`fault store (mongo): ${what} failed: ${e.message}`, e);
      }
      throw e;
    }
  }

  /** Episodes first, then their events: a reader may see an episode before all its history, never history without it. */
  private async writeAll(writes: EpisodeWrite[]): Promise<void> {
    const ops = episodeOps(writes, this.now().toISOString());
    if (ops.episodes.length) await this.episodes().bulkWrite(ops.episodes, { ordered: false });
    if (ops.events.length) await this.events().bulkWrite(ops.events, { ordered: false });
  }

  async upsert(writes: EpisodeWrite[]): Promise<void> {
    checkWrites(writes);
    await this.guard('upsert', () => this.writeAll(writes));
  }

  async commitMinute(writes: EpisodeWrite[], checkpoint: AnalyzerCheckpoint): Promise<void> {
    checkWrites(writes);
    const chunks = stateChunks(checkpoint.minute, encodeState(checkpoint.state));
    const parts = Object.entries(checkpoint.parts ?? {}).map(([name, s]) => ({ name, chunks: partChunks(name, checkpoint.minute, encodeState(s)) }));
    await this.guard('commitMinute', async () => {
      await this.writeAll(writes);
      // parts before the main pointer: a crash in between leaves a part newer than the main checkpoint says, which the
      // analyzer refuses (it rebuilds that state), never a main checkpoint counting on a part that was not written
      for (const p of parts) {
        const id = partPointerId(p.name);
        await this.parts().bulkWrite(p.chunks.map((c) => ({ replaceOne: { filter: { _id: c._id }, replacement: c, upsert: true } })), { ordered: false });
        await this.pointer().replaceOne({ _id: id }, checkpointDoc(checkpoint.minute, p.chunks, this.now().toISOString(), id), { upsert: true });
        await this.parts().deleteMany({ part: p.name, minute: { $ne: checkpoint.minute } });
      }
      await this.chunks().bulkWrite(chunks.map((c) => ({ replaceOne: { filter: { _id: c._id }, replacement: c, upsert: true } })), { ordered: false });
      await this.pointer().replaceOne({ _id: 'analyzer' }, checkpointDoc(checkpoint.minute, chunks, this.now().toISOString()), { upsert: true });
      // only once the pointer has moved: the previous minute's chunks are no longer needed
      await this.chunks().deleteMany({ minute: { $ne: checkpoint.minute } });
    });
  }

  async checkpoint(): Promise<AnalyzerCheckpoint | null> {
    return this.guard('checkpoint', async () => {
      const pointer = await this.pointer().findOne({ _id: 'analyzer' });
      if (!pointer) return null;
      const chunks = await this.chunks().find({ minute: pointer.minute, n: { $lt: pointer.chunks } }).toArray();
      return { minute: pointer.minute, state: decodeState(joinChunks(pointer, chunks)) };
    });
  }

  async checkpointParts(): Promise<Record<string, { minute: number; state: unknown }>> {
    return this.guard('checkpointParts', async () => {
      const out: Record<string, { minute: number; state: unknown }> = {};
      for (const pointer of await this.pointer().find({ _id: { $regex: /^part:/ } }).toArray()) {
        const name = pointer._id.slice('part:'.length);
        const chunks = await this.parts().find({ part: name, minute: pointer.minute, n: { $lt: pointer.chunks } }).toArray();
        out[name] = { minute: pointer.minute, state: decodeState(joinChunks(pointer, chunks)) };
      }
      return out;
    });
  }

  async list(q: FaultQuery): Promise<StoredEpisode[]> {
    return this.guard('list', async () => {
      let cursor = this.episodes().find(listFilter(q)).sort(LIST_SORT);
      if (q.limit !== undefined) cursor = cursor.limit(q.limit);
      const docs = await cursor.toArray();
      return this.withHistory(docs);
    });
  }

  async get(uid: string): Promise<StoredEpisode | null> {
    return this.guard('get', async () => {
      const doc = await this.episodes().findOne({ uid });
      return doc ? (await this.withHistory([doc]))[0]! : null;
    });
  }

  private async withHistory(docs: EpisodeDoc[]): Promise<StoredEpisode[]> {
    if (!docs.length) return [];
    const events = await this.events().find({ uid: { $in: docs.map((d) => d.uid) } }).toArray();
    const byUid = new Map<string, EventDoc[]>();
    for (const ev of events) {
      let list = byUid.get(ev.uid);
      if (!list) byUid.set(ev.uid, (list = []));
      list.push(ev);
    }
    const diagnoses = new Map((await this.diagnoses().find({ _id: { $in: docs.map((d) => d.uid) } }).toArray()).map((d) => [d._id, d.diagnosis]));
    return docs.map((d) => {
      const e = episodeFromDoc(d, byUid.get(d.uid) ?? []);
      return diagnoses.has(d.uid) ? { ...e, diagnosis: diagnoses.get(d.uid)! } : e;
    });
  }

  async setDiagnosis(uid: string, diagnosis: Diagnosis): Promise<boolean> {
    const d = diagnosisSchema.parse(diagnosis);
    return this.guard('setDiagnosis', async () => {
      if (!(await this.episodes().findOne({ uid }, { projection: { _id: 1 } }))) return false;
      await this.diagnoses().updateOne({ _id: uid }, { $set: { diagnosis: d } }, { upsert: true });
      return true;
    });
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.conn.command({ ping: 1 })).ok === 1;
    } catch {
      return false;
    }
  }

  /** Ends this store's lease: the client closes with the last store that uses it. */
  async close(): Promise<void> {
    if (!this.db) return;
    this.db = null;
    await this.connection.release();
  }
}
