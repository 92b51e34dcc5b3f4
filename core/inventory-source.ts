// The one inventory source every part reads (gateway, analyzer, web; `vipwatch start` shares one): loads and validates
// the file (or the built-in demo), watches it, and publishes each valid change to its subscribers. A bad edit is
// refused here, once, for everyone: logged with file, entry and field, and the previous inventory stays in force.
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
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
  #timer: NodeJS.Timeout | null = null;
  #checking = false;
  /** modification time and size of the file as last read: a poll that sees others reads it again */
  #loaded = { mtimeMs: -1, size: -1 };

  /** Loads the inventory now: a bad file throws (ValidationError naming file, entry and field). */
  constructor(private readonly o: InventorySourceOptions) {
    if (o.file) this.#loaded = fileStamp(o.file);
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
    this.#loaded = fileStamp(file);
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

  /**
   * Watches the file: every watchMs its modification time and size are compared with those it was last read with
   * (so a change made at any moment, even before start(), is seen); a no-op for the demo inventory.
   */
  start(): void {
    const file = this.o.file;
    if (!file || this.#timer) return;
    this.#timer = setInterval(() => { void this.#check(file); }, this.o.watchMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #check(file: string): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      // a file missing for a moment (an editor's save) is read again when it is back
      const st = await stat(file).catch(() => null);
      if (st && (st.mtimeMs !== this.#loaded.mtimeMs || st.size !== this.#loaded.size)) this.reload();
    } finally {
      this.#checking = false;
    }
  }
}

const fileStamp = (file: string): { mtimeMs: number; size: number } => {
  try {
    const st = statSync(file);
    return { mtimeMs: st.mtimeMs, size: st.size };
  } catch {
    return { mtimeMs: -1, size: -1 };
  }
};

/** The configured source (cfg.inventory, or the built-in demo), loaded but not yet watching: call start(). */
export const inventorySource = (cfg: InventoryConfig, log: Logger): InventorySource =>
  new InventorySource({ file: cfg.inventory, log, watchMs: cfg.inventoryWatchMs });
