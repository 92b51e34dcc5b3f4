// What every FaultStore backend shares: event identity, the order of a history, list order, and the
// checkpoint codec. Pure functions, so the backends agree byte for byte and the contract suite can hold them to it.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ValidationError, show } from '../errors.js';
import { episodeUid, type EpisodeEvent, type EpisodeWrite, type StoredEpisode } from './faults.js';

/** JSON with object keys sorted, so equal values give equal text whatever order their keys were built in. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
}

/**
 * An event's identity: the same (episode, minute, kind, detail) written twice is one event. Two alerts of one minute
 * to different recipients differ in detail, so both are kept.
 */
export const eventId = (uid: string, e: EpisodeEvent): string =>
  createHash('sha1').update(`${uid}\n${e.at}\n${e.kind}\n${stableJson(e.detail ?? null)}`).digest('hex');

/** Within one minute an episode opens, changes, alerts, then closes. */
export const KIND_RANK: Record<EpisodeEvent['kind'], number> = { open: 0, update: 1, alert: 2, close: 3 };

export interface EventRow { id: string; atMs: number; kind: EpisodeEvent['kind']; event: EpisodeEvent }

export const compareEvents = (a: EventRow, b: EventRow): number =>
  a.atMs - b.atMs || KIND_RANK[a.kind] - KIND_RANK[b.kind] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** List order: newest start first; episodes that started together by uid, so every backend lists them alike. */
export const compareEpisodes = (a: StoredEpisode, b: StoredEpisode): number =>
  Date.parse(b.start) - Date.parse(a.start) || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0);

export type { EpisodeWrite };

const EVENT_KINDS = new Set(Object.keys(KIND_RANK));

/**
 * Checks what a caller hands to upsert/commitMinute before anything is written, so a bad item loses nothing
 * already stored and the error names the episode, field and value.
 */
export function checkWrites(writes: EpisodeWrite[]): void {
  const problems: ValidationError['problems'] = [];
  writes.forEach(({ episode: e, events }, i) => {
    const entry = `episode ${i} (${show(e?.id)})`;
    const bad = (field: string, value: unknown, why: string) => problems.push({ file: 'fault store', entry, field, message: `${why} (value ${show(value)})` });
    if (typeof e?.id !== 'string' || !e.id) bad('id', e?.id, 'must be a non-empty string');
    if (!Number.isFinite(Date.parse(e?.start))) bad('start', e?.start, 'must be an ISO time');
    if (!Number.isFinite(Date.parse(e?.detectedAt))) bad('detectedAt', e?.detectedAt, 'must be an ISO time');
    if (e?.end !== null && !Number.isFinite(Date.parse(e?.end as string))) bad('end', e?.end, 'must be an ISO time or null');
    (events ?? []).forEach((ev, j) => {
      if (!Number.isFinite(Date.parse(ev?.at))) bad(`events[${j}].at`, ev?.at, 'must be an ISO time');
      if (!EVENT_KINDS.has(ev?.kind)) bad(`events[${j}].kind`, ev?.kind, 'must be open, update, close or alert');
    });
  });
  if (problems.length) throw new ValidationError(problems);
}

/** One event as a backend keeps it: deterministic id, sortable time. */
export const eventRows = (w: EpisodeWrite): Array<EventRow & { uid: string }> => {
  const uid = episodeUid(w.episode);
  return w.events.map((e) => {
    // only the interface's fields, and no undefined ones (BSON would store them as null, JSON drops them)
    const event: EpisodeEvent = e.detail === undefined ? { at: e.at, kind: e.kind } : { at: e.at, kind: e.kind, detail: e.detail };
    return { uid, id: eventId(uid, event), atMs: Date.parse(e.at), kind: e.kind, event };
  });
};

/**
 * The analyzer's state can be large (one smoothing window per VIP x province x isp: ~930,000 at full size), so it is
 * stored gzipped; level 1 because it is written every minute (gzip costs ~0.1 s on 19 MB, JSON far more). A state
 * that is a Uint8Array is kept as its bytes, skipping JSON: the engine's fast path for a packed state. The first
 * byte says which: 'J' JSON, 'B' bytes.
 */
export function encodeState(state: unknown): Buffer {
  const body = state instanceof Uint8Array
    ? Buffer.concat([Buffer.from('B'), state])
    : Buffer.from(`J${JSON.stringify(state ?? null)}`);
  return gzipSync(body, { level: 1 });
}

export function decodeState(buf: Uint8Array): unknown {
  const body = gunzipSync(buf);
  if (body[0] === 0x42) return new Uint8Array(body.buffer, body.byteOffset + 1, body.length - 1);
  return JSON.parse(body.subarray(1).toString('utf8'));
}

/** Only the contract's fields, in the contract's order (core/episode.ts): whatever else a caller's object carries is not stored. */
export { pickEpisode } from '../episode.js';
