// The outbox on MongoDB (official driver). No multi-document transaction is needed: deliveries are written first with
// deterministic ids ($setOnInsert), then the state; a crash between the two re-runs the minute, which writes the same
// ids. The layout's version is kept in the state collection; a delivery stored before subjects were kept reads ''.
import type { Collection, Db } from 'mongodb';
import type { Logger } from '../../log.js';
import { MongoConnection } from './client.js';
import { OUTBOX_SCHEMA_VERSION, type Delivery, type NewDelivery, type OutboxMessage, type OutboxStore } from '../outbox.js';

type Doc<M extends OutboxMessage> = Omit<Delivery<M>, 'id'> & { _id: string };
type StateDoc<S> = { _id: string; state?: S; version?: number };

export interface MongoOutboxStoreOptions {
  url: string;
  database: string;
  log: Logger;
  /** collection name prefix: `${prefix}outbox` and `${prefix}state` */
  prefix?: string;
  /** a client shared with the fault store (sharedMongo); else the store opens its own for `url` */
  connection?: MongoConnection;
}

export class MongoOutboxStore<M extends OutboxMessage = OutboxMessage, S = unknown> implements OutboxStore<M, S> {
  readonly connection: MongoConnection;
  private db: Db | null = null;

  constructor(private readonly opts: MongoOutboxStoreOptions) {
    this.connection = opts.connection ?? MongoConnection.of(opts.url);
  }

  private collection<T extends object>(name: string, db = this.db): Collection<T> {
    if (!db) throw new Error(`outbox ${this.opts.database}: init() was not called`);
    return db.collection<T>(`${this.opts.prefix ?? 'alert_'}${name}`);
  }

  private get outbox(): Collection<Doc<M>> { return this.collection<Doc<M>>('outbox'); }
  private get stateColl(): Collection<StateDoc<S>> { return this.collection('state'); }

  async init(): Promise<void> {
    if (this.db) return;
    this.db = await this.connection.open(this.opts.database, (db) => this.prepare(db));
    this.opts.log.debug({ database: this.opts.database, version: OUTBOX_SCHEMA_VERSION }, 'outbox store (mongo) ready');
  }

  /** The layout: refuses a newer one, creates the indexes, records the version. */
  private async prepare(db: Db): Promise<void> {
    const outbox = this.collection<Doc<M>>('outbox', db);
    const state = this.collection<StateDoc<S>>('state', db);
    const stored = (await state.findOne({ _id: 'schema' }))?.version ?? 1;
    if (stored > OUTBOX_SCHEMA_VERSION) throw new Error(`outbox ${this.opts.database}: layout version ${stored} is newer than this vipwatch knows (${OUTBOX_SCHEMA_VERSION})`);
    await outbox.createIndex({ status: 1, deliverAt: 1, nextAttemptAt: 1 });
    // version 3: a fault's messages by its episode uid, the newest first (the documents already hold both fields)
    await outbox.createIndex({ 'message.uid': 1 });
    await outbox.createIndex({ deliverAt: -1 });
    await state.updateOne({ _id: 'schema' }, { $set: { version: OUTBOX_SCHEMA_VERSION } }, { upsert: true });
  }

  private toDelivery = ({ _id, ...d }: Doc<M>): Delivery<M> => ({ id: _id, ...d, subject: d.subject ?? '' });

  async loadState(): Promise<S | null> {
    return (await this.stateColl.findOne({ _id: 'policy' }))?.state ?? null;
  }

  async commit(state: S, deliveries: NewDelivery<M>[]): Promise<void> {
    if (deliveries.length) {
      await this.outbox.bulkWrite(deliveries.map(({ id, ...d }) => ({
        updateOne: {
          filter: { _id: id },
          update: { $setOnInsert: { ...d, status: 'pending' as const, attempts: 0, nextAttemptAt: 0, lastError: null, deliveredAt: null } as never },
          upsert: true,
        },
      })), { ordered: true });
    }
    await this.stateColl.replaceOne({ _id: 'policy' }, { state }, { upsert: true });
  }

  async due(now: number, limit: number): Promise<Delivery<M>[]> {
    const docs = await this.outbox.find({ status: 'pending', deliverAt: { $lte: now }, nextAttemptAt: { $lte: now } } as never)
      .sort({ deliverAt: 1, order: 1, _id: 1 }).limit(limit).toArray();
    return docs.map((d) => this.toDelivery(d as Doc<M>));
  }

  async markDone(ids: string[], at: number): Promise<void> {
    await this.outbox.updateMany({ _id: { $in: ids } } as never, { $set: { status: 'done', deliveredAt: at, lastError: null } } as never);
  }

  async markRetry(ids: string[], attempts: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.outbox.updateMany({ _id: { $in: ids } } as never, { $set: { attempts, nextAttemptAt, lastError: error } } as never);
  }

  async list(status?: Delivery['status']): Promise<Delivery<M>[]> {
    const docs = await this.outbox.find((status ? { status } : {}) as never).sort({ deliverAt: 1, order: 1, _id: 1 }).toArray();
    return docs.map((d) => this.toDelivery(d as Doc<M>));
  }
  async get(id: string): Promise<Delivery<M> | null> {
    const d = await this.outbox.findOne({ _id: id } as never);
    return d ? this.toDelivery(d as Doc<M>) : null;
  }

  async recent(limit: number): Promise<Delivery<M>[]> {
    const docs = await this.outbox.find({}).sort({ deliverAt: -1, order: -1, _id: -1 }).limit(limit).toArray();
    return docs.map((d) => this.toDelivery(d as Doc<M>));
  }

  async forEpisodes(uids: readonly string[]): Promise<Delivery<M>[]> {
    if (!uids.length) return [];
    const docs = await this.outbox.find({ 'message.uid': { $in: [...uids] } } as never).sort({ deliverAt: 1, order: 1, _id: 1 }).toArray();
    return docs.map((d) => this.toDelivery(d as Doc<M>));
  }

  async counts(): Promise<Record<Delivery['status'], number>> {
    const rows = await this.outbox.aggregate<{ _id: Delivery['status']; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    return { pending: 0, done: 0, ...Object.fromEntries(rows.map((r) => [r._id, r.n])) };
  }


  async pendingCount(): Promise<number> {
    return this.outbox.countDocuments({ status: 'pending' } as never);
  }

  /** Ends this store's lease: the client closes with the last store that uses it. */
  async close(): Promise<void> {
    if (!this.db) return;
    this.db = null;
    await this.connection.release();
  }

  /** for tests: drops this store's collections */
  async drop(): Promise<void> {
    await this.outbox.drop().catch(() => {});
    await this.stateColl.drop().catch(() => {});
  }
}
