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
    this.layout = { window: opts.rules.smoothWindow, baselineMinutes: opts.rules.baselineMinutes };
  }

  initialState(): EngineState {
    return initialState(this.topo, this.layout);
  }

  serialize(state: EngineState): SerializedState {
    return serializeState(state, this.rules.latencyFaults ? this.layout : null);
  }

  restore(json: unknown): { state: EngineState; historiesKept: boolean; baselineKept: boolean } {
    return restoreState(this.topo, json, this.layout);
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
    // loss flags of the warm minutes (a lossy minute is never slow), kept apart from the real smoothing histories
    const scratch: EngineState = { ...state, cellBad: new Uint16Array(state.cellBad.length), cellSeen: new Uint16Array(state.cellSeen.length) };
    const counts = new CellCounts(this.topo, this.rules.smoothNeed, this.rules.vipProvinceShare);
    return (minute, batch) => {
      this.gathered.load(batch);
      excludedHosts(this.topo, state, this.excluded);
      cellPass(this.topo, this.rules, scratch, this.gathered, this.excluded, counts);
      latencyPass(this.topo, this.rules, scratch, this.gathered, this.excluded, Math.round(minute / this.minuteMs), counts);
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
