// Typed arrays in the checkpoint's JSON: raw deflate (level 1: the arrays are mostly zeros and small counts, and
// speed matters more than the last bytes) and base64.
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export type Typed = Uint8Array | Uint16Array | Float32Array;

export const pack = (a: Typed): string => deflateRawSync(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), { level: 1 }).toString('base64');

/** Fills `into` from a packed string; false when the sizes differ (another inventory or layout). */
export function unpackInto(s: unknown, into: Typed): boolean {
  if (typeof s !== 'string') return false;
  const bytes = inflateRawSync(Buffer.from(s, 'base64'));
  if (bytes.byteLength !== into.byteLength) return false;
  new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(bytes);
  return true;
}
