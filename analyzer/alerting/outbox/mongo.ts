// Outbox on MongoDB (official driver). No multi-document transaction is needed: deliveries are written first with
// deterministic ids ($setOnInsert), then the state; a crash between the two re-runs the minute, which writes the same ids.
import { MongoClient, type Collection, type Db } from 'mongodb';
import type { PolicyState } from '../policy.js';
import type { Delivery, NewDelivery, OutboxStore } from './store.js';

type Doc = Omit<Delivery, 'id'> & { _id: string };
const toDelivery = ({ _id, ...d }: Doc): Delivery => ({ id: _id, ...d });

export class MongoOutboxStore implements OutboxStore {
  private client: MongoClient | null = null;
  private db: Db | null = null;

  constructor(private readonly url: string, private readonly database: string, private readonly prefix = 'alert_') {}

  private get outbox(): Collection<Doc> {
    if (!this.db) throw new Error(`outbox ${this.url}/${this.database}: init() was not called`);
    return this.db.collection<Doc>(`${this.prefix}outbox`);
  }

  private get stateColl(): Collection<{ _id: string; state: PolicyState }> {
    if (!this.db) throw new Error(`outbox ${this.url}/${this.database}: init() was not called`);
    return this.db.collection(`${this.prefix}state`);
  }

  async init(): Promise<void> {
    this.client = await MongoClient.connect(this.url, { serverSelectionTimeoutMS: 5_000 });
    this.db = this.client.db(this.database);
    await this.outbox.createIndex({ status: 1, deliverAt: 1, nextAttemptAt: 1 });
  }

  async loadState(): Promise<PolicyState | null> {
    return (await this.stateColl.findOne({ _id: 'policy' }))?.state ?? null;
  }

  async commit(state: PolicyState, deliveries: NewDelivery[]): Promise<void> {
    if (deliveries.length) {
      await this.outbox.bulkWrite(deliveries.map(({ id, ...d }) => ({
        updateOne: {
          filter: { _id: id },
          update: { $setOnInsert: { ...d, status: 'pending' as const, attempts: 0, nextAttemptAt: 0, lastError: null, deliveredAt: null } },
          upsert: true,
        },
      })), { ordered: true });
    }
    await this.stateColl.replaceOne({ _id: 'policy' }, { state }, { upsert: true });
  }

  async due(now: number, limit: number): Promise<Delivery[]> {
    const docs = await this.outbox.find({ status: 'pending', deliverAt: { $lte: now }, nextAttemptAt: { $lte: now } })
      .sort({ deliverAt: 1, order: 1, _id: 1 }).limit(limit).toArray();
    return docs.map(toDelivery);
  }

  async markDone(ids: string[], at: number): Promise<void> {
    await this.outbox.updateMany({ _id: { $in: ids } }, { $set: { status: 'done', deliveredAt: at, lastError: null } });
  }

  async markRetry(ids: string[], attempts: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.outbox.updateMany({ _id: { $in: ids } }, { $set: { attempts, nextAttemptAt, lastError: error } });
  }

  async list(status?: Delivery['status']): Promise<Delivery[]> {
    const docs = await this.outbox.find(status ? { status } : {}).sort({ deliverAt: 1, order: 1, _id: 1 }).toArray();
    return docs.map(toDelivery);
  }

  async pendingCount(): Promise<number> {
    return this.outbox.countDocuments({ status: 'pending' });
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = null;
    this.db = null;
  }

  /** for tests: drops this store's collections */
  async drop(): Promise<void> {
    await this.outbox.drop().catch(() => {});
    await this.stateColl.drop().catch(() => {});
  }
}
