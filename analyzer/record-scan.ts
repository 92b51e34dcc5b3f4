// The replay's fast path for one JSON Lines record: reads the record's core fields straight from the file's bytes,
// without JSON.parse and without building an object (JSON.parse was most of bench:analyze's time). It handles the
// plain shape agents and exports write: one flat object of the core keys (ts, host, vip, method, sent, recv, rttMin,
// rttAvg, rttMax) in any order, ASCII strings without escapes, plain JSON numbers. Anything else (other keys, escapes,
// nesting, literals, a key twice, bad JSON) makes scanLine() return -1 and the caller takes JSON.parse. When it
// returns the line's end the fields are exactly what JSON.parse would give; test/analyzer/record-scan.test.ts holds it
// to that.

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
const TS = 0, HOST = 1, VIP = 2, METHOD = 3, SENT = 4, RECV = 5, RTT_MIN = 6, RTT_AVG = 7;
const KEYS = ['ts', 'host', 'vip', 'method', 'sent', 'recv', 'rttMin', 'rttAvg', 'rttMax'] as const;
const KEY_BYTES = KEYS.map((k) => Buffer.from(k, 'latin1'));

/** 10^k for k <= 22: exact doubles, so an integer below 2^53 divided by one is the correctly rounded decimal. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Byte strings seen before, in a two-way table by hash: a file names the same few thousand hosts and VIPs millions
 * of times, and handing back the same string object (its hash already computed) makes the inventory lookups cheap.
 * A name goes to one of a pair of slots (a new name takes the first, whose name moves to the second), so two names
 * of one hash pair do not evict each other line after line as they did with one slot per hash; memory stays bounded
 * whatever the file holds.
 */
class Interner {
  private readonly bytes: Array<Buffer | undefined>;
  private readonly strs: string[];
  private readonly mask: number;
  /**
   * Per slot, a number the reader attaches to the slot's string (the inventory index of a host or VIP name), so a
   * name seen before costs no Map lookup; UNSET until attached, and reset when the slot takes another string.
   */
  readonly ids: Int32Array;
  /** the slot of the last get() */
  slot = 0;

  constructor(bits: number) {
    this.mask = ((1 << bits) - 1) & ~1;
    this.bytes = new Array<Buffer | undefined>(1 << bits).fill(undefined);
    this.strs = new Array<string>(1 << bits).fill('');
    this.ids = new Int32Array(1 << bits).fill(UNSET);
  }

  get(buf: Buffer, s: number, e: number, hash: number): string {
    // mix the bits (names differ mostly in their last characters), then the pair's first slot
    hash = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d);
    const a = (hash ^ (hash >>> 13)) & this.mask;
    if (this.holds(a, buf, s, e)) { this.slot = a; return this.strs[a]!; }
    if (this.holds(a + 1, buf, s, e)) { this.slot = a + 1; return this.strs[a + 1]!; }
    // a new name: the first slot's name moves to the second (the older one leaves)
    this.bytes[a + 1] = this.bytes[a];
    this.strs[a + 1] = this.strs[a]!;
    this.ids[a + 1] = this.ids[a]!;
    const str = buf.toString('latin1', s, e);
    this.bytes[a] = Buffer.from(buf.subarray(s, e));
    this.strs[a] = str;
    this.ids[a] = UNSET;
    this.slot = a;
    return str;
  }

  private holds(slot: number, buf: Buffer, s: number, e: number): boolean {
    const b = this.bytes[slot];
    const len = e - s;
    if (b === undefined || b.length !== len) return false;
    let i = 0;
    while (i < len && buf[s + i] === b[i]) i++;
    return i === len;
  }
}

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
  /** the slots of this line's host and VIP names in hostIds and vipIds (valid when the line was scanned) */
  hostSlot = 0;
  vipSlot = 0;
  /** per slot: the inventory index the reader attached to the host (VIP) name there, UNSET if none yet */
  get hostIds(): Int32Array { return this.hosts.ids; }
  get vipIds(): Int32Array { return this.vips.ids; }

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
      const ks = ++p;
      while (p < limit && buf[p] !== Q) {
        const c = buf[p];
        if (c === BS || c === NL) return -1;
        p++;
      }
      if (p >= limit) return -1;
      const key = keyOf(buf, ks, p);
      if (key < 0 || (seen & (1 << key)) !== 0) return -1;
      seen |= 1 << key;
      p++;
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
    } else if (key === TS) this.ts = this.strings.get(buf, s, p, hash);
    else this.method = this.strings.get(buf, s, p, hash);
    return p + 1;
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

/** The field number of the key on bytes [s, e), or -1 for any other key. */
function keyOf(buf: Buffer, s: number, e: number): number {
  const len = e - s;
  let k: number;
  if (len === 2) k = TS;
  else if (len === 3) k = VIP;
  else if (len === 4) k = buf[s] === 0x68 ? HOST : buf[s] === 0x73 ? SENT : RECV; // h s
  else if (len === 6) k = buf[s] === 0x6d ? METHOD : buf[s + 3] === 0x41 ? RTT_AVG : buf[s + 4] === 0x69 ? RTT_MIN : RTT_MIN + 2; // m A i
  else return -1;
  const kb = KEY_BYTES[k]!;
  for (let i = 0; i < len; i++) if (buf[s + i] !== kb[i]) return -1;
  return k;
}

/** The scanned fields as JSON.parse would give the object (for tests). */
export function scannedObject(s: RecordScanner): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) if (s[k] !== undefined) out[k] = s[k];
  return out;
}
