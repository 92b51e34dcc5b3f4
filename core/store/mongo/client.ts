// One MongoDB client per server a process uses. Faults and outbox use one MongoDB (the config loader makes their URLs
// equal), so a process that holds both shares one client between them: one connection pool and one set of
// monitoring connections instead of two. The first store's init() connects it, the last store's close() closes it.
// Constructing a client does not connect, so composing the stores needs no server.
import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import type { Config } from '../../config.js';

/** Options for every vipwatch client; a serverSelectionTimeoutMS written in the URL is kept (the object would win). */
export function clientOptions(url: string): MongoClientOptions {
  return { appName: 'vipwatch', ...(/[?&]serverSelectionTimeoutMS=/i.test(url) ? {} : { serverSelectionTimeoutMS: 5_000 }) };
}

/** A MongoClient shared by the stores that lease it: connected by the first lease, closed when the last lease ends. */
export class MongoConnection {
  #leases = 0;
  #connecting: Promise<unknown> | null = null;

  constructor(readonly client: MongoClient) {}

  static of(url: string): MongoConnection {
    return new MongoConnection(new MongoClient(url, clientOptions(url)));
  }

  /** A store's init(): the client, connected (the first lease connects it; the others wait for that). */
  async lease(): Promise<MongoClient> {
    this.#leases++;
    try {
      await (this.#connecting ??= this.client.connect());
      return this.client;
    } catch (e) {
      // a later lease tries again
      this.#connecting = null;
      await this.release();
      throw e;
    }
  }

  /** A store's init(): a lease, then `prepare` on its database (indexes, layout); a failure gives the lease back. */
  async open(database: string, prepare: (db: Db) => Promise<void>): Promise<Db> {
    const db = (await this.lease()).db(database);
    try {
      await prepare(db);
      return db;
    } catch (e) {
      await this.release();
      throw e;
    }
  }

  /** A store's close() after a successful lease(): the last one closes the client. */
  async release(): Promise<void> {
    if (this.#leases === 0) return;
    if (--this.#leases > 0) return;
    this.#connecting = null;
    await this.client.close();
  }
}

/** The connection faults and outbox share when both use MongoDB; undefined when either does not (each opens its own). */
export function sharedMongo(cfg: Pick<Config, 'faults'> & { alerting: Pick<Config['alerting'], 'outbox'> }): MongoConnection | undefined {
  return cfg.faults.backend === 'mongo' && cfg.alerting.outbox.backend === 'mongo' ? MongoConnection.of(cfg.faults.mongo.url) : undefined;
}
