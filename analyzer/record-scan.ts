// The replay's fast path for one JSON Lines record: reads the record's core fields straight from the file's bytes,
// without JSON.parse and without building an object (JSON.parse was most of bench:analyze's time). It handles the
// plain shape agents and exports write: one flat object of the core keys (ts, host, vip, method, sent, recv, rttMin,
// rttAvg, rttMax) in any order, ASCII strings without escapes, plain JSON numbers. Anything else (other keys, escapes,
// nesting, literals, a key twice, bad JSON) makes scanLine() return -1 and the caller takes JSON.parse. When it
// returns the line's end the fields are exactly what JSON.parse would give; test/analyzer/record-scan.test.ts holds it
// to that.
import { METHODS } from '../core/records.js';

const Q = 0x22; // "
const BS = 0x5c; // backslash
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;

const NL = 0x0a;
/** JSON's white space but the newline, which ends the line */
const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d;
const isDigit = (c: number): boolean => c >= ZERO && c <= 0x39;

// field numbers; the first four are strings
const TS = 0, HOST = 1, VIP = 2, METHOD = 3, SENT = 4, RECV = 5, RTT_MIN = 6, RTT_AVG = 7, RTT_MAX = 8;
const KEYS = ['ts', 'host', 'vip', 'method', 'sent', 'recv', 'rttMin', 'rttAvg', 'rttMax'] as const;
const KEY_BYTES = KEYS.map((k) => Buffer.from(k, 'latin1'));

/** 10^k for k <= 22: exact doubles, so an integer below 2^53 divided by one is the correctly rounded decimal. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Byte strings seen before, in a WAYS-way table by hash: a file names the same few thousand hosts and VIPs millions
 * of times, and handing back the same string object (its hash already computed) makes the inventory lookups cheap.
 * A name goes to one of a set of WAYS slots (a new name takes the first, the others move down one and the last
 * leaves), so a few names of one hash set do not evict each other line after line (with pairs of slots, 4% of the
 * bench's lines still met a VIP evicted since its last line); memory stays bounded whatever the file holds.
 * A slot is one 64-byte cache line of a flat table: its name's hash, length and id, then its bytes, so a lookup
 * mostly reads one line of memory (a Buffer per slot, with lengths and ids in arrays of their own, missed the cache
 * several times a name on a 10,000-VIP file). A name longer than a slot holds (or empty) is not kept: it gets a new
 * string and the spare slot past the table, whose id is dropped on every use.
 */
class Interner {
  /** the slots as integers: [hash, length (0 = empty), id, unused, the name's bytes...] */
  readonly table: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly strs: string[];
  private readonly mask: number;
  /** the slot past the table, for names too long to keep */
  private readonly spare: number;
  /** the table index of the last get()'s slot's id (see ID) */
  slot = 0;

  constructor(bits: number) {
    const n = 1 << bits;
    this.mask = (n - 1) & ~(WAYS - 1);
    this.spare = n;
    this.table = new Int32Array((n + 1) * SLOT_INTS);
    this.bytes = new Uint8Array(this.table.buffer);
    for (let i = ID; i < this.table.length; i += SLOT_INTS) this.table[i] = UNSET;
    this.strs = new Array<string>(n).fill('');
  }

  get(buf: Buffer, s: number, e: number, hash: number): string {
    const len = e - s;
    if (len > NAME_BYTES || len === 0) {
      this.slot = this.spare * SLOT_INTS + ID;
      this.table[this.slot] = UNSET;
      return buf.toString('latin1', s, e);
    }
    // mix the bits (names differ mostly in their last characters), then the set's first slot
    hash = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d);
    hash ^= hash >>> 13;
    const a = hash & this.mask;
    for (let w = 0; w < WAYS; w++) {
      if (this.holds(a + w, buf, s, len, hash)) { this.slot = (a + w) * SLOT_INTS + ID; return this.strs[a + w]!; }
    }
    // a new name: the set's names (hash, length, id, bytes) move down one slot and the last one leaves
    const t = this.table;
    const o = a * SLOT_INTS;
    t.copyWithin(o + SLOT_INTS, o, o + (WAYS - 1) * SLOT_INTS);
    for (let w = WAYS - 1; w > 0; w--) this.strs[a + w] = this.strs[a + w - 1]!;
    const str = buf.toString('latin1', s, e);
    const b = this.bytes;
    const ob = o * 4 + HEAD_BYTES;
    for (let i = 0; i < len; i++) b[ob + i] = buf[s + i]!;
    t[o] = hash;
    t[o + 1] = len;
    t[o + ID] = UNSET;
    this.strs[a] = str;
    this.slot = o + ID;
    return str;
  }

  private holds(slot: number, buf: Buffer, s: number, len: number, hash: number): boolean {
    const o = slot * SLOT_INTS;
    if (this.table[o] !== hash || this.table[o + 1] !== len) return false;
    return sameBytes(buf, s, this.bytes, o * 4 + HEAD_BYTES, len);
  }
}

/** slots per Interner set */
export const WAYS = 4;
/** integers per Interner slot (64 bytes); the id is the third, the name's bytes follow the first four */
export const SLOT_INTS = 16;
const ID = 2;
const HEAD_BYTES = 16;
/** bytes a name may have to be kept by an Interner (hosts and IPs are far shorter; the contract allows 253) */
const NAME_BYTES = SLOT_INTS * 4 - HEAD_BYTES;

/** an id not looked up yet (ids are >= 0, and -1 is "not in the inventory") */
export const UNSET = -2;

export class RecordScanner {
  ts: string | undefined;
  host: string | undefined;
  vip: string | undefined;
  method: string | undefined;
  sent: number | undefined;
  recv: number | undefined;
  rttMin: number | undefined;
  rttAvg: number | undefined;
  rttMax: number | undefined;

  // one interner per kind of name, so that reading the VIP never evicts the host's slot of the same line
  private readonly strings = new Interner(10);
  private readonly hosts = new Interner(14);
  private readonly vips = new Interner(16);
  /** the last ts kept (its bytes, up to NAME_BYTES, and string); at first the empty string */
  private readonly lastTsBytes = new Uint8Array(NAME_BYTES);
  private lastTsLen = 0;
  private lastTs = '';
  /** where in hostIds and vipIds this line's host and VIP names keep their ids (valid when the line was scanned) */
  hostSlot = 0;
  vipSlot = 0;
  /**
   * Per name the interner holds, the inventory index the reader attached to it (at hostIds[hostSlot]), so a name
   * seen before costs no Map lookup: UNSET until attached, and reset when its slot takes another name.
   */
  get hostIds(): Int32Array { return this.hosts.table; }
  get vipIds(): Int32Array { return this.vips.table; }

  /**
   * Reads the record that starts at `start` and ends at the next newline before `limit`. Returns the newline's
   * position, or -1: not the plain shape (or no newline before `limit`), so the caller takes the line to JSON.parse.
   * Finding the line's end here saves a separate search for it on every line.
   */
  scanLine(buf: Buffer, start: number, limit: number): number {
    this.ts = this.host = this.vip = this.method = undefined;
    this.sent = this.recv = this.rttMin = this.rttAvg = this.rttMax = undefined;
    let seen = 0;
    let p = start;
    while (p < limit && isWs(buf[p]!)) p++;
    if (p >= limit || buf[p] !== OPEN) return -1;
    p++;
    while (p < limit && isWs(buf[p]!)) p++;
    if (p < limit && buf[p] === CLOSE) return this.lineEnd(buf, p + 1, limit);
    for (;;) {
      // the key
      if (p >= limit || buf[p] !== Q) return -1;
      const key = keyAt(buf, ++p, limit);
      if (key < 0 || (seen & (1 << key)) !== 0) return -1;
      seen |= 1 << key;
      p += KEY_BYTES[key]!.length + 1;
      while (p < limit && isWs(buf[p]!)) p++;
      if (p >= limit || buf[p] !== COLON) return -1;
      p++;
      while (p < limit && isWs(buf[p]!)) p++;
      // the value
      p = key <= METHOD ? this.string(buf, p, limit, key) : this.number(buf, p, limit, key);
      if (p < 0) return -1;
      while (p < limit && isWs(buf[p]!)) p++;
      if (p >= limit) return -1;
      const c = buf[p];
      if (c === CLOSE) return this.lineEnd(buf, p + 1, limit);
      if (c !== COMMA) return -1;
      p++;
      while (p < limit && isWs(buf[p]!)) p++;
    }
  }

  /** After the closing brace: white space, then the newline (its position), else -1. */
  private lineEnd(buf: Buffer, p: number, limit: number): number {
    while (p < limit && isWs(buf[p]!)) p++;
    return p < limit && buf[p] === NL ? p : -1;
  }

  /** A string of printable ASCII without escapes (the same characters to JSON.parse); the position after it, or -1. */
  private string(buf: Buffer, p: number, end: number, key: number): number {
    if (buf[p] !== Q) return -1;
    const s = ++p;
    let hash = 0;
    for (;;) {
      if (p >= end) return -1;
      const c = buf[p]!;
      if (c === Q) break;
      if (c === BS || c < 0x20 || c >= 0x7f) return -1;
      hash = (Math.imul(hash, 31) + c) | 0;
      p++;
    }
    if (key === HOST) {
      this.host = this.hosts.get(buf, s, p, hash);
      this.hostSlot = this.hosts.slot;
    } else if (key === VIP) {
      this.vip = this.vips.get(buf, s, p, hash);
      this.vipSlot = this.vips.slot;
    } else if (key === TS) this.ts = this.tsAt(buf, s, p, hash);
    else this.method = methodAt(buf, s, p) ?? this.strings.get(buf, s, p, hash);
    return p + 1;
  }

  /** The ts on bytes [s, e): the last line's when the bytes are the same (a file's lines come a minute at a time). */
  private tsAt(buf: Buffer, s: number, e: number, hash: number): string {
    const len = e - s;
    const last = this.lastTsBytes;
    if (len === this.lastTsLen && sameBytes(buf, s, last, 0, len)) return this.lastTs;
    const ts = this.strings.get(buf, s, e, hash);
    if (len <= NAME_BYTES) {
      for (let i = 0; i < len; i++) last[i] = buf[s + i]!;
      this.lastTsLen = len;
      this.lastTs = ts;
    }
    return ts;
  }

  /**
   * A JSON number, -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?; the position after it, or -1. Up to 15 digits without an
   * exponent are computed exactly (an integer below 2^53 over an exact power of ten rounds correctly, as JSON.parse
   * does); others go through Number(), which reads JSON's number syntax alike.
   */
  private number(buf: Buffer, p: number, end: number, key: number): number {
    const s = p;
    const neg = buf[p] === MINUS;
    if (neg) p++;
    if (p >= end || !isDigit(buf[p]!)) return -1;
    let mant = 0;
    let digits = 0;
    if (buf[p] === ZERO) { p++; digits = 1; }
    else while (p < end && isDigit(buf[p]!)) { mant = mant * 10 + (buf[p++]! - ZERO); digits++; }
    let frac = 0;
    if (p < end && buf[p] === DOT) {
      p++;
      if (p >= end || !isDigit(buf[p]!)) return -1;
      while (p < end && isDigit(buf[p]!)) { mant = mant * 10 + (buf[p++]! - ZERO); frac++; digits++; }
    }
    let v: number;
    const c = p < end ? buf[p] : 0;
    if (c === 0x65 || c === 0x45) { // e E
      p++;
      if (p < end && (buf[p] === 0x2b || buf[p] === MINUS)) p++;
      if (p >= end || !isDigit(buf[p]!)) return -1;
      while (p < end && isDigit(buf[p]!)) p++;
      v = Number(buf.toString('latin1', s, p));
    } else if (digits <= 15) {
      v = frac ? mant / POW10[frac]! : mant;
      if (neg) v = -v;
    } else v = Number(buf.toString('latin1', s, p));
    if (key === SENT) this.sent = v;
    else if (key === RECV) this.recv = v;
    else if (key === RTT_MIN) this.rttMin = v;
    else if (key === RTT_AVG) this.rttAvg = v;
    else this.rttMax = v;
    return p;
  }
}

/**
 * The field number of the key whose text starts at `s` (after its opening quote), or -1 for any other key: the one
 * core key its first letters can be, then its bytes and the closing quote before `limit`. Matching the known bytes
 * saves a first pass looking for the quote (a key with an escape or a newline is no core key's bytes: -1 too).
 */
function keyAt(buf: Buffer, s: number, limit: number): number {
  const c = buf[s];
  let k: number;
  if (c === 0x74) k = TS; // t
  else if (c === 0x68) k = HOST; // h
  else if (c === 0x76) k = VIP; // v
  else if (c === 0x6d) k = METHOD; // m
  else if (c === 0x73) k = SENT; // s
  else if (c === 0x72) k = buf[s + 1] === 0x65 ? RECV : buf[s + 3] === 0x41 ? RTT_AVG : buf[s + 4] === 0x69 ? RTT_MIN : RTT_MAX; // r: e A i
  else return -1;
  const kb = KEY_BYTES[k]!;
  const len = kb.length;
  if (s + len >= limit) return -1;
  for (let i = 0; i < len; i++) if (buf[s + i] !== kb[i]) return -1;
  return buf[s + len] === Q ? k : -1;
}

/** the methods the contract knows (core/records.ts), as their bytes: one is matched without the interner */
const METHOD_BYTES = METHODS.map((m) => Buffer.from(m, 'latin1'));

/** The known method on bytes [s, e), or undefined. */
function methodAt(buf: Buffer, s: number, e: number): string | undefined {
  const len = e - s;
  for (let m = 0; m < METHODS.length; m++) {
    if (METHOD_BYTES[m]!.length === len && sameBytes(buf, s, METHOD_BYTES[m]!, 0, len)) return METHODS[m];
  }
  return undefined;
}

/** Whether a[as, as + len) holds the bytes of b[bs, bs + len). */
function sameBytes(a: Uint8Array, as: number, b: Uint8Array, bs: number, len: number): boolean {
  let i = 0;
  while (i < len && a[as + i] === b[bs + i]) i++;
  return i === len;
}

/** The scanned fields as JSON.parse would give the object (for tests). */
export function scannedObject(s: RecordScanner): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) if (s[k] !== undefined) out[k] = s[k];
  return out;
}
