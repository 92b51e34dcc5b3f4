// The one inventory source every part reads (gateway, analyzer, web; `vipwatch start` shares one): loads and validates
// the file (or the built-in demo), watches it, and publishes each valid change to its subscribers. A bad edit is
// refused here, once, for everyone: logged with file, entry and field, and the previous inventory stays in force.
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { buildCatalog, type Catalog } from './catalog.js';
import { demoInventory } from './demo.js';
import { ValidationError, formatProblem } from './errors.js';
import { loadInventory, type Inventory } from './inventory.js';
import type { Logger } from './log.js';
import type { InventoryConfig } from './config.js';

/** One version of the inventory, with its lookup tables. */
export interface InventorySnapshot {
  inventory: Inventory;
  catalog: Catalog;
  /** 1 for the first load, +1 for each accepted change */
  version: number;
}

export type InventoryListener = (snap: InventorySnapshot) => void;

export interface InventorySourceOptions {
  /** the inventory file; unset: the built-in demo inventory (nothing to watch) */
  file?: string;
  log: Logger;
  /** how often the file's modification time is checked (cfg.inventoryWatchMs) */
  watchMs: number;
}

export class InventorySource {
  #current: InventorySnapshot;
  readonly #listeners = new Set<InventoryListener>();
  #watching = false;

  /** Loads the inventory now: a bad file throws (ValidationError naming file, entry and field). */
  constructor(private readonly o: InventorySourceOptions) {
    const inventory = o.file ? loadInventory(o.file) : demoInventory();
    this.#current = { inventory, catalog: buildCatalog(inventory), version: 1 };
  }

  get current(): InventorySnapshot {
    return this.#current;
  }

  /** Calls `fn` with every accepted change (not with the current version); returns the unsubscribe function. */
  subscribe(fn: InventoryListener): () => void {
    this.#listeners.add(fn);
    return () => { this.#listeners.delete(fn); };
  }

  /**
   * Reads the file again. A valid inventory becomes current and goes to every subscriber (a subscriber that throws is
   * logged, the others still get it); a bad one is logged and refused. Returns whether it was taken.
   */
  reload(): boolean {
    const file = this.o.file;
    if (!file) return false;
    let inventory: Inventory;
    try {
      inventory = loadInventory(file);
    } catch (e) {
      const problems = e instanceof ValidationError ? e.problems.map(formatProblem) : [(e as Error).message];
      this.o.log.error({ inventory: file, problems }, 'inventory change refused; the previous inventory stays in force');
      return false;
    }
    this.#current = { inventory, catalog: buildCatalog(inventory), version: this.#current.version + 1 };
    this.o.log.info({ inventory: file, version: this.#current.version, hosts: inventory.hosts.length, vips: inventory.vips.length }, 'inventory changed');
    for (const fn of this.#listeners) {
      try {
        fn(this.#current);
      } catch (e) {
        this.o.log.error({ inventory: file, err: (e as Error).message }, 'an inventory subscriber failed');
      }
    }
    return true;
  }

  /** Watches the file (polling its modification time every watchMs); a no-op for the demo inventory. */
  start(): void {
    const file = this.o.file;
    if (!file || this.#watching) return;
    this.#watching = true;
    watchFile(file, { interval: this.o.watchMs }, this.#onStat);
  }

  stop(): void {
    if (!this.#watching || !this.o.file) return;
    unwatchFile(this.o.file, this.#onStat);
    this.#watching = false;
  }

  readonly #onStat = (cur: Stats, prev: Stats): void => {
    // a file that disappears for a moment (an editor's save) is read again when it is back
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
    if (cur.nlink === 0 && cur.mtimeMs === 0) return;
    this.reload();
  };
}

/** The configured source (cfg.inventory, or the built-in demo), loaded but not yet watching: call start(). */
export const inventorySource = (cfg: InventoryConfig, log: Logger): InventorySource =>
  new InventorySource({ file: cfg.inventory, log, watchMs: cfg.inventoryWatchMs });
