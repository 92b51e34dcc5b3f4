// The rules engine: one minute of records plus the previous state in, the fault transitions of that minute out.
// Pure: no I/O, no clock; the same inputs give the same outputs. `step` updates the state it is given (the state
// is large typed arrays; copying them each minute would cost more than the rules) and returns it.
import type { Catalog } from '../../core/catalog.js';
import type { Rules } from '../../core/config.js';
import { FAULT_TYPES, type FaultTransition, type WhitelistEntry } from '../../core/model.js';
import { agentRule, excludedHosts, HostCounts, hostPass } from './agent.js';
import type { MinuteBatch } from './batch.js';
import { windowMask } from './bits.js';
import { cellPass, Gathered } from './cells.js';
import { correlate } from './correlation.js';
import { dcRule, openDcs } from './dc.js';
import { EpisodeBook, isoTime } from './episodes.js';
import { latencyFigures } from './figures.js';
import { lossFigures } from './loss-figures.js';
import { ispRule } from './isp.js';
import { CellCounts, type Lane } from './lane.js';
import { latencyPass } from './latency.js';
import { behindAt, logExcluded, oldestSave, partName, serializeLanePart, type SerializedLanePart } from './lane-checkpoint.js';
import { provinceStatus } from './provinces.js';
import { regionRule } from './region.js';
import { initialState, restoreState, serializeState, type EngineState, type LatencyLayout, type SerializedState } from './state.js';
import { applyWhitelist } from './suppression.js';
import { buildTopology, type Topology } from './topology.js';
import { vipRule } from './vip.js';

export interface EngineOptions {
  rules: Rules;
  /** length of a minute in ms (cfg.minuteSec * 1000; 60 000 in production) */
  minuteMs?: number;
}

export interface StepResult {
  state: EngineState;
  transitions: FaultTransition[];
}

export class Engine {
  readonly topo: Topology;
  readonly rules: Rules;
  readonly minuteMs: number;
  // Scratch buffers reused every minute (not state: nothing in them survives a step).
  private readonly gathered: Gathered;
  private readonly hostCounts: HostCounts;
  private readonly lossCounts: CellCounts;
  private readonly latencyCounts: CellCounts;
  private readonly excluded: Uint8Array;
  private readonly layout: LatencyLayout;

  constructor(catalog: Catalog, opts: EngineOptions) {
    if (opts.rules.smoothWindow > 16) throw new Error(`rules.smoothWindow: at most 16 minutes are kept, got ${opts.rules.smoothWindow}`);
    if (opts.rules.smoothNeed > opts.rules.smoothWindow) throw new Error(`rules.smoothNeed (${opts.rules.smoothNeed}) exceeds rules.smoothWindow (${opts.rules.smoothWindow}): nothing could ever be lossy`);
    this.topo = buildTopology(catalog);
    this.rules = opts.rules;
    this.minuteMs = opts.minuteMs ?? 60_000;
    this.gathered = new Gathered(this.topo);
    this.hostCounts = new HostCounts(this.topo.hosts.length);
    this.lossCounts = new CellCounts(this.topo, opts.rules.smoothNeed, opts.rules.vipProvinceShare);
    this.latencyCounts = new CellCounts(this.topo, opts.rules.smoothNeed, opts.rules.vipProvinceShare);
    this.excluded = new Uint8Array(this.topo.hosts.length);
    this.layout = { window: opts.rules.smoothWindow, baselineMinutes: opts.rules.baselineMinutes, parts: opts.rules.baselineCheckpointMinutes };
  }

  initialState(): EngineState {
    return initialState(this.topo, this.layout);
  }

  /** The whole state as one value, the latency lane included (an in-memory hand-over; tests). */
  serialize(state: EngineState): SerializedState {
    return serializeState(state, this.rules.latencyFaults ? this.layout : null);
  }

  /**
   * The live analyzer's checkpoint of an evaluated minute: the state without the latency lane's cell arrays, and the
   * lane parts due (lane-checkpoint.ts): one a minute in turn, every part not yet saved, or with `all` (a clean
   * shutdown) every part not already as of this minute. Marks them saved in the state, so commit both together.
   */
  checkpoint(state: EngineState, all = false): { state: SerializedState; parts: Record<string, SerializedLanePart> } {
    const parts: Record<string, SerializedLanePart> = {};
    if (!this.rules.latencyFaults) return { state: serializeState(state, null), parts };
    const { saved } = state.laneLog;
    const m = state.minute;
    if (m !== null) {
      const turn = Math.round(m / this.minuteMs) % this.layout.parts;
      const first = oldestSave(state.laneLog) === null;
      for (let k = 0; k < this.layout.parts; k++) {
        if (saved[k] === m || !(all || first || k === turn)) continue;
        parts[partName(k)] = serializeLanePart(this.topo, state, this.layout, k);
        saved[k] = m;
      }
    }
    return { state: serializeState(state, this.layout, false), parts };
  }

  /**
   * Restores a checkpoint, with the latency lane's parts as stored apart (by name). `replayFrom`: the first minute
   * the lane must be fed again (`laneReplayer`) up to the checkpoint's minute, since its parts are older.
   */
  restore(json: unknown, parts: Record<string, unknown> = {}): { state: EngineState; historiesKept: boolean; baselineKept: boolean; replayFrom: number | null } {
    const r = restoreState(this.topo, json, this.layout, (k) => parts[partName(k)]);
    return { ...r, replayFrom: r.replayAfter === null ? null : r.replayAfter + this.minuteMs };
  }

  private lanes(state: EngineState): Record<'loss' | 'latency', Lane> {
    return {
      loss: { signal: 'loss', flags: state.cellBad, raw: state.raw, counts: this.lossCounts },
      latency: { signal: 'latency', flags: state.cellSlow, raw: state.rawLatency, counts: this.latencyCounts },
    };
  }

  /**
   * Feeds earlier minutes into the latency baselines only (no rules, no episodes, the loss histories untouched):
   * the live analyzer's rebuild from the series store when it has no baseline to resume. Call the returned function
   * for consecutive minutes ending right before the next minute `step` gets.
   */
  warmer(state: EngineState): (minute: number, batch: MinuteBatch) => void {
    return this.feeder(state, () => excludedHosts(this.topo, state, this.excluded), () => [[0, this.topo.vips.length]]);
  }

  /**
   * After a restore with `replayFrom`: feeds each minute from replayFrom to the checkpoint's minute again to the lane
   * parts older than that minute, with the hosts then under agent faults, which brings every part to the minute
   * the rest of the state is at, exactly as an uninterrupted run would have it.
   */
  laneReplayer(state: EngineState): (minute: number, batch: MinuteBatch) => void {
    const log = state.laneLog;
    const byMinute = new Map(log.excluded);
    return this.feeder(state, (minute) => {
      this.excluded.fill(0);
      for (const h of byMinute.get(minute) ?? []) this.excluded[h] = 1;
    }, (minute) => behindAt(this.topo, log, minute));
  }

  private feeder(state: EngineState, exclude: (minute: number) => void, vips: (minute: number) => Array<[number, number]>): (minute: number, batch: MinuteBatch) => void {
    // loss flags of the fed minutes (a lossy minute is never slow), kept apart from the real smoothing histories
    const scratch: EngineState = { ...state, cellBad: new Uint16Array(state.cellBad.length), cellSeen: new Uint16Array(state.cellSeen.length) };
    const counts = new CellCounts(this.topo, this.rules.smoothNeed, this.rules.vipProvinceShare);
    return (minute, batch) => {
      this.gathered.load(batch);
      exclude(minute);
      cellPass(this.topo, this.rules, scratch, this.gathered, this.excluded, counts);
      latencyPass(this.topo, this.rules, scratch, this.gathered, this.excluded, Math.round(minute / this.minuteMs), null, vips(minute));
    };
  }

  /**
   * Evaluates minute `minute` (ms, the minute's start). Minutes must come in order without gaps (a minute without
   * records is still a minute: pass an empty batch). `whitelist` is the list in force for this minute.
   */
  step(state: EngineState, minute: number, batch: MinuteBatch, whitelist: readonly WhitelistEntry[] = []): StepResult {
    if (state.fingerprint !== this.topo.fingerprint) throw new Error('engine state belongs to another inventory: restore it through Engine.restore');
    if (state.minute !== null && minute !== state.minute + this.minuteMs) {
      throw new Error(`minutes must be evaluated in order: last was ${isoTime(state.minute)}, got ${isoTime(minute)} (expected ${isoTime(state.minute + this.minuteMs)})`);
    }
    const { topo, rules } = this;
    const mask = windowMask(rules.smoothWindow);
    for (const raws of [state.raw, state.rawLatency]) {
      for (const t of FAULT_TYPES) {
        const a = raws[t];
        for (let i = 0; i < a.length; i++) a[i] = (a[i]! << 1) & mask;
      }
    }
    const lanes = this.lanes(state);
    const book = new EpisodeBook(state, rules, minute, this.minuteMs, lanes);

    this.gathered.load(batch);
    hostPass(topo, rules, state, this.gathered, this.hostCounts);
    agentRule(topo, rules, this.hostCounts, book);
    excludedHosts(topo, state, this.excluded);
    if (rules.latencyFaults) logExcluded(state.laneLog, minute, this.excluded);

    cellPass(topo, rules, state, this.gathered, this.excluded, this.lossCounts);
    if (rules.latencyFaults) latencyPass(topo, rules, state, this.gathered, this.excluded, Math.round(minute / this.minuteMs), this.latencyCounts);
    // rules 4-7 once per signal: the agent rule stays loss-only
    for (const lane of rules.latencyFaults ? [lanes.loss, lanes.latency] : [lanes.loss]) {
      vipRule(topo, rules, lane, book);
      dcRule(topo, rules, lane, book);
      const dcOpen = openDcs(topo, book, lane);
      const provinces = provinceStatus(topo, rules, state.cellSeen, lane, dcOpen);
      ispRule(topo, rules, lane, provinces, dcOpen, book);
      regionRule(topo, provinces, lane, book);
    }
    book.observeRest();

    const touched = book.touched();
    correlate(touched, (id) => book.isOpen(id));
    applyWhitelist(topo, touched, whitelist, minute);
    state.minute = minute;
    const transitions = book.transitions();
    for (const t of transitions) {
      if (t.episode.signal === 'latency' && t.kind !== 'close') t.latency = latencyFigures(topo, rules, state, t.episode);
      else if (t.episode.signal === 'loss' && t.episode.type !== 'agent' && t.kind !== 'close') t.loss = lossFigures(topo, rules, state, this.gathered, this.excluded, t.episode);
    }
    return { state, transitions };
  }
}
