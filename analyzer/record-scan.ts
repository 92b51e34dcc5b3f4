// The replay's fast path for one JSON Lines record: reads the record's core fields straight from the file's bytes,
// without JSON.parse and without building an object (JSON.parse was most of bench:analyze's time). It handles the
// plain shape agents and exports write: one flat object of the core keys (ts, host, vip, method, sent, recv, rttMin,
// rttAvg, rttMax) in any order, ASCII strings without escapes, plain JSON numbers. Anything else (other keys, escapes,
// nesting, literals, a key twice, bad JSON) makes scan() return false and the caller takes JSON.parse. When scan()
// returns true the fields are exactly what JSON.parse would give; test/analyzer/record-scan.test.ts holds it to that.

const Q = 0x22; // "
const BS = 0x5c; // backslash
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

// field numbers, and which are strings
const TS = 0, HOST = 1, VIP = 2, METHOD = 3, SENT = 4, RECV = 5, RTT_MIN = 6, RTT_AVG = 7, RTT_MAX = 8;
const KEYS = ['ts', 'host', 'vip', 'method', 'sent', 'recv', 'rttMin', 'rttAvg', 'rttMax'] as const;
const KEY_BYTES = KEYS.map((k) => Buffer.from(k, 'latin1'));

/** 10^k for k <= 22: exact doubles, so an integer below 2^53 divided by one is the correctly rounded decimal. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

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

  /** the last ts text and its string, so a file's repeated minute is not a new string on every line */
  private lastTs = Buffer.alloc(64);
  private lastTsLen = -1;
  private lastTsString = '';
  private pos = 0;
  private seen = 0;

  /** Reads the record on bytes [start, end) of buf; false: not the plain shape, use JSON.parse. */
  scan(buf: Buffer, start: number, end: number): boolean {
    this.ts = this.host = this.vip = this.method = undefined;
    this.sent = this.recv = this.rttMin = this.rttAvg = this.rttMax = undefined;
    this.seen = 0;
    this.pos = start;
    this.skipWs(buf, end);
    if (this.pos >= end || buf[this.pos] !== OPEN) return false;
    this.pos++;
    this.skipWs(buf, end);
    if (this.pos < end && buf[this.pos] === CLOSE) return this.finish(buf, end);
    for (;;) {
      const key = this.key(buf, end);
      if (key < 0 || (this.seen & (1 << key)) !== 0) return false;
      this.seen |= 1 << key;
      this.skipWs(buf, end);
      if (this.pos >= end || buf[this.pos] !== COLON) return false;
      this.pos++;
      this.skipWs(buf, end);
      if (!(key <= METHOD ? this.string(buf, end, key) : this.number(buf, end, key))) return false;
      this.skipWs(buf, end);
      if (this.pos >= end) return false;
      const c = buf[this.pos];
      if (c === CLOSE) return this.finish(buf, end);
      if (c !== COMMA) return false;
      this.pos++;
      this.skipWs(buf, end);
    }
  }

  /** At the closing brace: only white space may follow. */
  private finish(buf: Buffer, end: number): boolean {
    this.pos++;
    this.skipWs(buf, end);
    return this.pos >= end;
  }

  private skipWs(buf: Buffer, end: number): void {
    while (this.pos < end && isWs(buf[this.pos]!)) this.pos++;
  }

  /** The key at pos (a field number), or -1 for anything else. */
  private key(buf: Buffer, end: number): number {
    if (buf[this.pos] !== Q) return -1;
    const s = ++this.pos;
    while (this.pos < end && buf[this.pos] !== Q) {
      if (buf[this.pos] === BS) return -1;
      this.pos++;
    }
    if (this.pos >= end) return -1;
    const len = this.pos - s;
    this.pos++;
    for (let k = 0; k < KEY_BYTES.length; k++) {
      const kb = KEY_BYTES[k]!;
      if (kb.length !== len) continue;
      let i = 0;
      while (i < len && buf[s + i] === kb[i]) i++;
      if (i === len) return k;
    }
    return -1;
  }

  /** A string of printable ASCII without escapes (what JSON.parse reads as the same characters). */
  private string(buf: Buffer, end: number, key: number): boolean {
    if (buf[this.pos] !== Q) return false;
    const s = ++this.pos;
    for (;;) {
      if (this.pos >= end) return false;
      const c = buf[this.pos]!;
      if (c === Q) break;
      if (c === BS || c < 0x20 || c >= 0x7f) return false;
      this.pos++;
    }
    const e = this.pos++;
    if (key === TS) this.ts = this.tsString(buf, s, e);
    else {
      const v = buf.toString('latin1', s, e);
      if (key === HOST) this.host = v;
      else if (key === VIP) this.vip = v;
      else this.method = v;
    }
    return true;
  }

  private tsString(buf: Buffer, s: number, e: number): string {
    const len = e - s;
    if (len === this.lastTsLen) {
      let i = 0;
      while (i < len && buf[s + i] === this.lastTs[i]) i++;
      if (i === len) return this.lastTsString;
    }
    this.lastTsString = buf.toString('latin1', s, e);
    if (len <= this.lastTs.length) {
      buf.copy(this.lastTs, 0, s, e);
      this.lastTsLen = len;
    } else this.lastTsLen = -1;
    return this.lastTsString;
  }

  /**
   * A JSON number: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?. Up to 15 digits without exponent are computed exactly
   * (an integer below 2^53 over an exact power of ten rounds correctly, as JSON.parse does); others via Number().
   */
  private number(buf: Buffer, end: number, key: number): boolean {
    const s = this.pos;
    let neg = false;
    if (buf[this.pos] === MINUS) { neg = true; this.pos++; }
    if (this.pos >= end || !isDigit(buf[this.pos]!)) return false;
    let mant = 0;
    let digits = 0;
    if (buf[this.pos] === ZERO) { this.pos++; digits = 1; }
    else while (this.pos < end && isDigit(buf[this.pos]!)) { mant = mant * 10 + (buf[this.pos++]! - ZERO); digits++; }
    let frac = 0;
    if (this.pos < end && buf[this.pos] === DOT) {
      this.pos++;
      if (this.pos >= end || !isDigit(buf[this.pos]!)) return false;
      while (this.pos < end && isDigit(buf[this.pos]!)) { mant = mant * 10 + (buf[this.pos++]! - ZERO); frac++; digits++; }
    }
    let v: number;
    const c = this.pos < end ? buf[this.pos] : 0;
    if (c === 0x65 || c === 0x45) {
      this.pos++;
      if (this.pos < end && (buf[this.pos] === 0x2b || buf[this.pos] === MINUS)) this.pos++;
      if (this.pos >= end || !isDigit(buf[this.pos]!)) return false;
      while (this.pos < end && isDigit(buf[this.pos]!)) this.pos++;
      v = Number(buf.toString('latin1', s, this.pos));
    } else if (digits <= 15) {
      v = frac ? mant / POW10[frac]! : mant;
      if (neg) v = -v;
    } else v = Number(buf.toString('latin1', s, this.pos));
    switch (key) {
      case SENT: this.sent = v; break;
      case RECV: this.recv = v; break;
      case RTT_MIN: this.rttMin = v; break;
      case RTT_AVG: this.rttAvg = v; break;
      default: this.rttMax = v;
    }
    return true;
  }
}

/** The scanned fields as JSON.parse would give the object (for tests). */
export function scannedObject(s: RecordScanner): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) if (s[k] !== undefined) out[k] = s[k];
  return out;
}
