// Replay: the live analyzer's engine run over a file of records, minute by minute from the first minute to the last
// (minutes without records included). Exposes each minute's transitions as they happen (for alerting's outbox) and
// the resulting episodes.
import type { Catalog } from '../core/catalog.js';
import type { Rules } from '../core/config.js';
import type { FaultEpisode, FaultTransition, WhitelistEntry } from '../core/model.js';
import { episodeUid } from '../core/store/faults.js';
import { emptyBatch } from './engine/batch.js';
import { Engine } from './engine/engine.js';
import { TYPE_ORDER } from './engine/episodes.js';
import type { EngineState } from './engine/state.js';
import { loadResults, type LoadedResults } from './results-file.js';

export interface MinuteOutcome {
  minute: number;
  records: number;
  transitions: FaultTransition[];
  /** wall time the engine took for this minute (ms) */
  evalMs: number;
  /** CPU time of the process during this minute's evaluation (ms): unlike wall time, not inflated by other load */
  evalCpuMs: number;
}

/** Evaluates every minute from the first to the last of `loaded`, in order (from `initial`, else a fresh state). */
export function* replayMinutes(engine: Engine, loaded: LoadedResults, whitelist: readonly WhitelistEntry[], initial?: EngineState): Generator<MinuteOutcome> {
  if (loaded.first === null || loaded.last === null) return;
  let state = initial ?? engine.initialState();
  const empty = emptyBatch();
  for (let m = loaded.first; m <= loaded.last; m += engine.minuteMs) {
    const batch = loaded.minutes.get(m) ?? empty;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = engine.step(state, m, batch, whitelist);
    const c = process.cpuUsage(c0);
    const evalMs = performance.now() - t0;
    state = r.state;
    loaded.minutes.delete(m); // the batch is no longer needed: let it go
    yield { minute: m, records: batch.length, transitions: r.transitions, evalMs, evalCpuMs: (c.user + c.system) / 1000 };
  }
}

/** Folds transitions into episodes (the last word on each), ordered by start, rule order, key, then loss before latency. */
export class EpisodeCollector {
  private readonly byUid = new Map<string, FaultEpisode>();
  add(transitions: readonly FaultTransition[]): void {
    for (const t of transitions) this.byUid.set(episodeUid(t.episode), t.episode);
  }
  episodes(): FaultEpisode[] {
    return [...this.byUid.values()].sort((a, b) =>
      a.start.localeCompare(b.start) || TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || a.key.localeCompare(b.key) || a.id.localeCompare(b.id));
  }
}

export interface ReplayOptions {
  catalog: Catalog;
  rules: Rules;
  minuteMs: number;
  whitelist: readonly WhitelistEntry[];
  /** called after each evaluated minute, in order */
  onMinute?: (outcome: MinuteOutcome) => void | Promise<void>;
}

export interface ReplayResult {
  episodes: FaultEpisode[];
  minutes: number;
  records: number;
  lastMinute: number | null;
  /** the slowest minute's engine time (ms) */
  worstMinuteMs: number;
}

/** Reads the whole file, then replays it. Throws ValidationError (file, line, field, value) on bad lines. */
export async function replayFile(resultsFile: string, o: ReplayOptions): Promise<ReplayResult> {
  const engine = new Engine(o.catalog, { rules: o.rules, minuteMs: o.minuteMs });
  const loaded = await loadResults(resultsFile, engine.topo, o.minuteMs);
  const collector = new EpisodeCollector();
  let minutes = 0;
  let worst = 0;
  for (const outcome of replayMinutes(engine, loaded, o.whitelist)) {
    minutes++;
    worst = Math.max(worst, outcome.evalMs);
    collector.add(outcome.transitions);
    await o.onMinute?.(outcome);
  }
  return { episodes: collector.episodes(), minutes, records: loaded.records, lastMinute: loaded.last, worstMinuteMs: worst };
}
