// The MongoDB fault store's documents, write operations and indexes, as pure functions: no client, no clock.
// commitMinute must converge when a crash cuts it short and the analyzer replays the same minute, so every write
// here is an upsert keyed by a deterministic value (episode uid, event hash, chunk id) and the checkpoint pointer
// comes last.
import { Binary, type AnyBulkWriteOperation, type Document, type IndexDescription } from 'mongodb';
import type { FaultEpisode } from '../../model.js';
import { episodeUid, type EpisodeEvent, type StoredEpisode } from '../faults.js';
import { compareEvents, eventRows, pickEpisode, type EpisodeWrite } from '../faults-common.js';

export const COLLECTIONS = {
  episodes: 'fault_episodes',
  events: 'fault_events',
  checkpoint: 'analyzer_checkpoint',
  state: 'analyzer_state',
  /** checkpoint parts' chunks (AnalyzerCheckpoint.parts), each part's pointer in `checkpoint` as `part:<name>` */
  stateParts: 'analyzer_state_parts',
  /** path diagnoses by episode uid (_id): apart from the episodes, whose replaceOne would drop them */
  diagnoses: 'fault_diagnoses',
} as const;

/** Under MongoDB's 16 MiB document limit with room for the chunk's other fields. */
export const STATE_CHUNK_BYTES = 8 * 1024 * 1024;

export interface EpisodeDoc extends FaultEpisode, Document {
  uid: string;
  startMs: number;
  open: boolean;
  updatedAt: string;
}

export interface EventDoc extends Document {
  _id: string;
  uid: string;
  atMs: number;
  kind: EpisodeEvent['kind'];
  event: EpisodeEvent;
}

export interface StateChunkDoc extends Document {
  _id: string;
  minute: number;
  n: number;
  data: Binary;
}

/** A checkpoint part's chunk: the part's name besides the chunk's fields. */
export interface PartChunkDoc extends StateChunkDoc {
  part: string;
}

export interface CheckpointDoc extends Document {
  /** 'analyzer', or `part:<name>` for a checkpoint part */
  _id: string;
  minute: number;
  chunks: number;
  bytes: number;
  updatedAt: string;
}

export const INDEXES: Record<keyof typeof COLLECTIONS, IndexDescription[]> = {
  episodes: [
    // the episode's identity: a replayed minute updates its episodes instead of adding copies
    { key: { uid: 1 }, name: 'uid_unique', unique: true },
    { key: { startMs: -1, uid: 1 }, name: 'start_desc' },
    { key: { open: 1, startMs: -1, uid: 1 }, name: 'open_start_desc' },
  ],
  // events are keyed by their hash in _id (unique by nature); this one serves an episode's history
  events: [{ key: { uid: 1, atMs: 1 }, name: 'uid_at' }],
  checkpoint: [],
  state: [{ key: { minute: 1, n: 1 }, name: 'minute_n' }],
  stateParts: [{ key: { part: 1, minute: 1, n: 1 }, name: 'part_minute_n' }],
  diagnoses: [],
};

export function episodeDoc(e: FaultEpisode, updatedAt: string): EpisodeDoc {
  const ep = pickEpisode(e);
  return { ...ep, uid: episodeUid(ep), startMs: Date.parse(ep.start), open: ep.end === null, updatedAt };
}

export const eventDocs = (w: EpisodeWrite): EventDoc[] =>
  eventRows(w).map((r) => ({ _id: r.id, uid: r.uid, atMs: r.atMs, kind: r.kind, event: r.event }));

/** Episodes replace their previous version by uid; events are inserted once ($setOnInsert) by their hash. */
export function episodeOps(writes: EpisodeWrite[], updatedAt: string): {
  episodes: AnyBulkWriteOperation<EpisodeDoc>[];
  events: AnyBulkWriteOperation<EventDoc>[];
} {
  return {
    episodes: writes.map((w) => {
      const doc = episodeDoc(w.episode, updatedAt);
      return { replaceOne: { filter: { uid: doc.uid }, replacement: doc, upsert: true } };
    }),
    events: writes.flatMap(eventDocs).map(({ _id, ...rest }) => ({
      updateOne: { filter: { _id }, update: { $setOnInsert: rest }, upsert: true },
    })),
  };
}

/** The checkpoint state in chunks whose ids depend only on the minute and their position. */
export function stateChunks(minute: number, state: Buffer, size = STATE_CHUNK_BYTES): StateChunkDoc[] {
  const out: StateChunkDoc[] = [];
  for (let off = 0, n = 0; off < state.length || n === 0; off += size, n++) {
    out.push({ _id: `${minute}:${n}`, minute, n, data: new Binary(state.subarray(off, off + size)) });
  }
  return out;
}

/** A checkpoint part's chunks: ids depend only on the part, its minute and their position. */
export const partChunks = (part: string, minute: number, state: Buffer, size = STATE_CHUNK_BYTES): PartChunkDoc[] =>
  stateChunks(minute, state, size).map((c) => ({ ...c, _id: `${part}@${c._id}`, part }));

export const partPointerId = (part: string): string => `part:${part}`;

export const checkpointDoc = (minute: number, chunks: StateChunkDoc[], updatedAt: string, id = 'analyzer'): CheckpointDoc => ({
  _id: id, minute, chunks: chunks.length, bytes: chunks.reduce((s, c) => s + c.data.length(), 0), updatedAt,
});

/** Joins chunks back in order; throws when any is missing, naming the minute. */
export function joinChunks(pointer: CheckpointDoc, chunks: StateChunkDoc[]): Buffer {
  const sorted = chunks.filter((c) => c.minute === pointer.minute && c.n < pointer.chunks).sort((a, b) => a.n - b.n);
  if (sorted.length !== pointer.chunks || sorted.some((c, i) => c.n !== i)) {
    throw new Error(`fault store (mongo): checkpoint of minute ${pointer.minute} has ${sorted.length} of its ${pointer.chunks} state chunks`);
  }
  const buf = Buffer.concat(sorted.map((c) => Buffer.from(c.data.buffer)));
  if (buf.length !== pointer.bytes) throw new Error(`fault store (mongo): checkpoint of minute ${pointer.minute} has ${buf.length} of its ${pointer.bytes} state bytes`);
  return buf;
}

export function episodeFromDoc(doc: EpisodeDoc, events: EventDoc[]): StoredEpisode {
  const ep = pickEpisode(doc);
  const history = events
    .map((d) => ({ id: d._id, atMs: d.atMs, kind: d.kind, event: d.event }))
    .sort(compareEvents)
    .map((r) => r.event);
  return { ...ep, uid: doc.uid, history, updatedAt: doc.updatedAt };
}

export const listFilter = (q: { status: 'open' | 'all'; since?: string; signals?: readonly string[] }): Document => ({
  ...(q.status === 'open' ? { open: true } : {}),
  ...(q.since ? { startMs: { $gte: Date.parse(q.since) } } : {}),
  // a document stored before latency faults has no signal: it is loss ($in null matches a missing field)
  ...(q.signals ? { signal: { $in: q.signals.includes('loss') ? [null, ...q.signals] : [...q.signals] } } : {}),
});

export const LIST_SORT = { startMs: -1, uid: 1 } as const;
