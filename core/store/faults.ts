// The fault store: fault episodes with their history, and the analyzer's checkpoint.
// Backends: core/store/sqlite (embedded default) and core/store/mongo (MongoDB).
import type { EpisodeSignal } from '../episode.js';
import type { FaultEpisode } from '../model.js';
import type { Diagnosis } from '../diagnosis.js';

export interface EpisodeEvent {
  /** ISO minute the event belongs to */
  at: string;
  kind: 'open' | 'update' | 'close' | 'alert';
  /** free-form detail, e.g. which recipients an alert went to */
  detail?: Record<string, unknown>;
}

/** An episode as stored: the contract's shape plus a storage key and its history. */
export interface StoredEpisode extends FaultEpisode {
  /** unique per episode: `${id}@${start}` (the contract id type:key repeats across episodes) */
  uid: string;
  history: EpisodeEvent[];
  updatedAt: string;
}

export interface FaultQuery {
  status: 'open' | 'all';
  limit?: number;
  /** only episodes that started at or after this ISO time */
  since?: string;
  /** only episodes of these signals (an episode stored without a signal is loss) */
  signals?: readonly EpisodeSignal[];
}

export interface AnalyzerCheckpoint {
  /** the last minute (ms) fully evaluated and stored */
  minute: number;
  /** the engine's state after that minute: a JSON-serialisable value, or a Uint8Array (kept as its bytes, no JSON) */
  state: unknown;
  /**
   * named parts of the state too large to rewrite every minute (the latency lane): written with this minute (as of
   * it) and kept, each until a later minute rewrites it; read back by checkpointParts(), not by checkpoint()
   */
  parts?: Record<string, unknown>;
}

/** One episode's latest version and the events to add to its history. */
export type EpisodeWrite = { episode: FaultEpisode; events: EpisodeEvent[] };

export interface FaultStore {
  init(): Promise<void>;
  /**
   * inserts or replaces episodes by uid, appending the given events to their history (idempotent per event: an
   * event is its (at, kind, detail), so a replayed one is kept once; two alerts of one minute with different
   * details are two events). History comes back in time order, and within a minute open, update, alert, close.
   * Invalid input throws ValidationError before anything is written.
   */
  upsert(episodes: EpisodeWrite[]): Promise<void>;
  /** newest start first; episodes that started in the same minute by uid */
  list(q: FaultQuery): Promise<StoredEpisode[]>;
  get(uid: string): Promise<StoredEpisode | null>;
  /**
   * episodes, events and checkpoint of one minute, together: a crash leaves either all or the previous minute
   * (SQLite: one transaction; MongoDB: deterministic upserts with the checkpoint written last, so replaying the
   * minute after a crash converges on the same documents)
   */
  commitMinute(episodes: EpisodeWrite[], checkpoint: AnalyzerCheckpoint): Promise<void>;
  checkpoint(): Promise<AnalyzerCheckpoint | null>;
  /** every checkpoint part by name, each with the minute it was written with */
  checkpointParts(): Promise<Record<string, { minute: number; state: unknown }>>;
  /**
   * keeps a path diagnosis with an episode (apart from the episode's own writes, which never remove it): list and
   * get return it as the episode's `diagnosis`; false when no episode has this uid
   */
  setDiagnosis(uid: string, diagnosis: Diagnosis): Promise<boolean>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export const episodeUid = (e: Pick<FaultEpisode, 'id' | 'start'>): string => `${e.id}@${e.start}`;
