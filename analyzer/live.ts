// The live analyzer: every minute, once the grace period for late records has passed, reads the closed minute from
// the series store, runs the engine, hands the transitions to the listeners (alerting), writes the board
// annotations, and commits episodes, events and the engine checkpoint in one fault-store transaction.
// After a restart it resumes at the minute after the checkpoint: no minute is skipped or evaluated twice, and when
// it is behind it catches up minute by minute.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Catalog } from '../core/catalog.js';
import type { Logger } from '../core/log.js';
import type { FaultTransition, WhitelistEntry } from '../core/model.js';
import type { EpisodeEvent, FaultStore } from '../core/store/faults.js';
import type { FaultEvent, SeriesStore } from '../core/store/series.js';
import type { CertWatch } from './cert-expiry.js';
import { batchFromRecords } from './engine/batch.js';
import type { Engine } from './engine/engine.js';
import { isoTime } from './engine/episodes.js';
import type { EngineState } from './engine/state.js';

/** Gets every evaluated minute's transitions (also an empty list), before the minute is committed. */
export type MinuteListener = (minute: number, transitions: FaultTransition[]) => Promise<void> | void;

export interface LiveAnalyzerDeps {
  /** the engine for the current inventory; replaced when useCatalog() hands in a changed one */
  engine: Engine;
  /** builds the engine for a changed inventory (absent: useCatalog is refused) */
  engineFor?: (catalog: Catalog) => Engine;
  series: SeriesStore;
  faults: FaultStore;
  /** the whitelist in force at a minute (ms) */
  whitelist: (minute: number) => Promise<WhitelistEntry[]>;
  listeners?: MinuteListener[];
  /** seconds after a minute closes before it is read (late records) */
  graceSec: number;
  log: Logger;
  registry?: Registry;
  now?: () => number;
  /** wait after a failed minute before trying again */
  retryMs?: number;
  /** longest sleep between checks (a clock that jumps is noticed within this) */
  maxSleepMs?: number;
  /** certificate-expiry warnings from the http checks' records */
  cert?: CertWatch;
}

export class LiveAnalyzer {
  private state: EngineState | null = null;
  /** the next minute to evaluate; null until the checkpoint is read */
  private next: number | null = null;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private pendingCatalog: Catalog | null = null;
  private readonly now: () => number;
  private readonly metrics;

  constructor(private readonly d: LiveAnalyzerDeps) {
    this.now = d.now ?? Date.now;
    const registers = d.registry ? [d.registry] : [];
    this.metrics = {
      minutes: new Counter({ name: 'vipwatch_analyzer_minutes_total', help: 'minutes evaluated', registers }),
      records: new Counter({ name: 'vipwatch_analyzer_records_total', help: 'records evaluated', registers }),
      unknown: new Counter({ name: 'vipwatch_analyzer_unknown_records_total', help: 'records of hosts or VIPs not in the inventory (ignored)', registers }),
      transitions: new Counter({ name: 'vipwatch_analyzer_transitions_total', help: 'fault transitions', labelNames: ['kind', 'type'], registers }),
      failures: new Counter({ name: 'vipwatch_analyzer_failures_total', help: 'minutes that failed and will be retried', registers }),
      lag: new Gauge({ name: 'vipwatch_analyzer_lag_seconds', help: 'now minus the end of the last evaluated minute', registers }),
      open: new Gauge({ name: 'vipwatch_analyzer_open_faults', help: 'open fault episodes', registers }),
      evalSec: new Histogram({ name: 'vipwatch_analyzer_step_seconds', help: 'engine time per minute', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2], registers }),
      checkpointSec: new Histogram({ name: 'vipwatch_analyzer_checkpoint_seconds', help: 'checkpoint time per minute (packing and the fault-store commit)', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers }),
      laneReplayed: new Counter({ name: 'vipwatch_analyzer_lane_replayed_minutes_total', help: 'minutes replayed from the series store after a restart to bring the latency checkpoint parts up to date', registers }),
    };
  }

  /**
   * A changed inventory (from the inventory source). It is taken at the next minute boundary, before the next minute
   * is evaluated: the open episodes, the minute and the checkpoint carry over; under a changed topology the smoothing
   * histories start afresh (an open fault stays open: recoverMinutes exceeds smoothNeed) and the latency baselines
   * are rebuilt from the series store.
   */
  useCatalog(catalog: Catalog): void {
    if (!this.d.engineFor) throw new Error('live analyzer: no engineFor given, cannot take a changed inventory');
    this.pendingCatalog = catalog;
  }

  private async takeInventory(): Promise<void> {
    const catalog = this.pendingCatalog;
    if (!catalog) return;
    this.pendingCatalog = null;
    const old = this.d.engine;
    const engine = this.d.engineFor!(catalog);
    this.d.engine = engine;
    if (!this.state) return; // not resumed yet: resume() restores the checkpoint with the new engine
    // in memory, the latency lane inline: kept when the topology is the same (it is sized by it)
    const { state, historiesKept, baselineKept } = engine.restore(old.serialize(this.state));
    state.minute = this.state.minute;
    this.state = state;
    this.d.log.info({ next: isoTime(this.next!), vips: engine.topo.vips.length, hosts: engine.topo.hosts.length, open: state.open.size, historiesKept },
      'analyzer takes the changed inventory');
    if (!baselineKept) await this.rebuildBaselines(this.next!);
  }

  private get minuteMs(): number {
    return this.d.engine.minuteMs;
  }

  /** The newest minute whose grace period is over. */
  lastDue(now = this.now()): number {
    const m = this.minuteMs;
    return Math.floor((now - this.d.graceSec * 1000 - m) / m) * m;
  }

  /** Reads the checkpoint (or picks the first minute when there is none). */
  private async resume(): Promise<void> {
    const cp = await this.d.faults.checkpoint();
    if (cp) {
      const parts = this.d.engine.rules.latencyFaults ? await this.d.faults.checkpointParts() : {};
      const { state, historiesKept, baselineKept, replayFrom } = this.d.engine.restore(cp.state, Object.fromEntries(Object.entries(parts).map(([k, p]) => [k, p.state])));
      if (!historiesKept) this.d.log.warn({ minute: isoTime(cp.minute) }, 'checkpoint from another inventory: open faults kept, smoothing histories start afresh');
      this.state = state;
      this.state.minute = cp.minute;
      this.next = cp.minute + this.minuteMs;
      this.d.log.info({ checkpoint: isoTime(cp.minute), next: isoTime(this.next) }, 'analyzer resumes after its checkpoint');
      if (replayFrom !== null) await this.replayLane(replayFrom, cp.minute);
      else if (!baselineKept) await this.rebuildBaselines(this.next);
    } else {
      // A first start: begin a smoothing window back, so a fault already under way is seen at once.
      this.state = this.d.engine.initialState();
      this.next = this.lastDue() - (this.d.engine.rules.smoothWindow - 1) * this.minuteMs;
      this.d.log.info({ first: isoTime(this.next) }, 'analyzer starts without a checkpoint');
      await this.rebuildBaselines(this.next);
    }
  }

  /**
   * Latency baselines without a checkpoint to resume them from: reads back baselineMinutes (plus the smoothing
   * window) of records from the series store, a minute at a time, and feeds them to the baselines only.
   */
  private async rebuildBaselines(next: number): Promise<void> {
    const { engine, series } = this.d;
    if (!engine.rules.latencyFaults) return;
    const minutes = engine.rules.baselineMinutes + engine.rules.smoothWindow;
    const warm = engine.warmer(this.state!);
    const t0 = performance.now();
    let records = 0;
    for (let m = next - minutes * this.minuteMs; m < next; m += this.minuteMs) {
      const { batch } = batchFromRecords(engine.topo, await series.readRange(m, m + this.minuteMs));
      warm(m, batch);
      records += batch.length;
    }
    this.d.log.info({ from: isoTime(next - minutes * this.minuteMs), minutes, records, ms: Math.round(performance.now() - t0) }, 'latency baselines rebuilt from the series store');
  }

  /**
   * The latency lane's checkpoint parts are as of older minutes than the rest of the checkpoint (one part is written
   * a minute): feeds minutes `from`..`to` of the series store to the parts behind, which brings them to `to`.
   */
  private async replayLane(from: number, to: number): Promise<void> {
    const { engine, series } = this.d;
    const replay = engine.laneReplayer(this.state!);
    const t0 = performance.now();
    let records = 0;
    for (let m = from; m <= to; m += this.minuteMs) {
      const { batch } = batchFromRecords(engine.topo, await series.readRange(m, m + this.minuteMs));
      replay(m, batch);
      records += batch.length;
    }
    this.metrics.laneReplayed.inc((to - from) / this.minuteMs + 1);
    this.d.log.info({ from: isoTime(from), to: isoTime(to), records, ms: Math.round(performance.now() - t0) }, 'latency baselines brought up to the checkpoint from the series store');
  }

  /** Evaluates one minute and commits it. */
  private async evaluate(minute: number): Promise<void> {
    const { engine, series, faults } = this.d;
    const records = await series.readRange(minute, minute + this.minuteMs);
    const { batch, unknown } = batchFromRecords(engine.topo, records);
    const whitelist = await this.d.whitelist(minute);
    const t0 = performance.now();
    const stepped = engine.step(this.state!, minute, batch, whitelist);
    const state = stepped.state;
    this.metrics.evalSec.observe((performance.now() - t0) / 1000);
    // certificate-expiry warnings beside the fault rules (analyzer/cert-expiry.ts), committed with them
    const cert = this.d.cert ? await this.d.cert.step(minute, records, whitelist) : null;
    const transitions = cert?.transitions.length ? [...stepped.transitions, ...cert.transitions] : stepped.transitions;
    for (const l of this.d.listeners ?? []) await l(minute, transitions);
    const annotations: FaultEvent[] = transitions
      .filter((t) => t.kind !== 'update')
      .map((t) => ({ minute, event: t.kind === 'open' ? 'open' : 'close', episode: t.episode }));
    if (annotations.length) await series.writeFaultEvents(annotations);
    const at = isoTime(minute);
    const c0 = performance.now();
    const cp = engine.checkpoint(state);
    await faults.commitMinute(
      transitions.map((t) => ({ episode: t.episode, events: [{ at, kind: t.kind } satisfies EpisodeEvent] })),
      { minute, state: cp.state, parts: cp.parts },
    );
    this.metrics.checkpointSec.observe((performance.now() - c0) / 1000);
    this.state = state;
    if (cert) this.d.cert!.adopt(cert);
    this.metrics.minutes.inc();
    this.metrics.records.inc(batch.length);
    if (unknown) this.metrics.unknown.inc(unknown);
    for (const t of transitions) this.metrics.transitions.inc({ kind: t.kind, type: t.episode.type });
    this.metrics.open.set(state.open.size);
    this.metrics.lag.set((this.now() - minute - this.minuteMs) / 1000);
    if (transitions.length) this.d.log.info({ minute: at, transitions: transitions.map((t) => `${t.kind} ${t.episode.id}`) }, 'fault transitions');
    else this.d.log.debug({ minute: at, records: batch.length }, 'minute evaluated');
  }

  /**
   * Evaluates every minute that is due, in order, and returns how many it did. On a failure the in-memory state is
   * dropped (step changes it in place) and the next call starts again from the stored checkpoint.
   */
  async runDue(): Promise<number> {
    if (this.next === null) {
      await this.takeInventory();
      await this.resume();
    }
    let done = 0;
    const last = this.lastDue();
    try {
      while (this.next! <= last) {
        await this.takeInventory();
        await this.evaluate(this.next!);
        this.next! += this.minuteMs;
        done++;
        if (!this.running && this.loop) break;
      }
    } catch (e) {
      this.metrics.failures.inc();
      this.d.log.error({ minute: isoTime(this.next!), err: (e as Error).message }, 'minute failed; retrying from the checkpoint');
      this.state = null;
      this.next = null;
      this.d.cert?.reset();
      throw e;
    }
    return done;
  }

  /** Runs until stop(): evaluates due minutes, then sleeps until the next one is due. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        let waitMs: number;
        try {
          await this.runDue();
          waitMs = this.next! + this.minuteMs + this.d.graceSec * 1000 - this.now();
        } catch {
          waitMs = this.d.retryMs ?? 5000;
        }
        if (!this.running) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, Math.min(Math.max(0, waitMs), this.d.maxSleepMs ?? 10_000));
        });
      }
    })();
  }

  /**
   * Finishes the minute in progress, then stops: a clean shutdown also brings every latency checkpoint part up to the
   * last minute, so the next start has nothing to replay.
   */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    this.loop = null;
    await this.saveLane();
  }

  /** Writes the latency checkpoint parts that are behind the last committed minute (with that minute's checkpoint). */
  async saveLane(): Promise<void> {
    const state = this.state;
    if (!state || state.minute === null || !this.d.engine.rules.latencyFaults) return;
    const cp = this.d.engine.checkpoint(state, true);
    if (!Object.keys(cp.parts).length) return;
    try {
      await this.d.faults.commitMinute([], { minute: state.minute, state: cp.state, parts: cp.parts });
      this.d.log.info({ minute: isoTime(state.minute), parts: Object.keys(cp.parts).length }, 'latency checkpoint parts saved at shutdown');
    } catch (e) {
      // the parts stay as they were: the next start replays their minutes from the series store
      this.state = null;
      this.next = null;
      this.d.log.warn({ err: (e as Error).message }, 'latency checkpoint parts not saved at shutdown');
    }
  }
}
