/* The replay's line scanner (analyzer/record-scan.ts types it, analyzer/results-file.ts uses it): reads JSON Lines
 * result records straight from a file's bytes, many lines per call, with no JSON.parse and no object per line.
 *
 * It takes the plain shape agents and exports write: one flat object of the core keys (ts, host, vip, method, sent,
 * recv, rttMin, rttAvg, rttMax) in any order, strings of printable ASCII without escapes (up to MAX_NAME bytes),
 * plain JSON numbers. For such a line it gives exactly the values JSON.parse would; any other line (other keys,
 * escapes, nesting, literals, bad JSON) is marked "not taken" and the caller parses it with JSON.parse.
 * test/analyzer/record-scan.test.ts holds it to JSON.parse on generated lines. Validation against the contract stays
 * in JavaScript (core/records.ts validFields): this only reads.
 *
 * Strings come back as ids of an interning table (one id space for ts, host, vip and method): a file names the same
 * few thousand hosts and VIPs millions of times, so the caller makes each string once (names()) and caches its
 * inventory index per id. The table is bounded (maxNames); a line naming a new string past it is not taken. */
#define _GNU_SOURCE
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "napi_util.h"

/* per line: start, end (its newline), taken (1/0), then the ids of ts, host, vip, method (-1 absent) */
#define INTS 7
/* per line: sent, recv, rttMin, rttAvg, rttMax (NaN absent: JSON has no NaN) */
#define NUMS 5
/* longest string kept (the contract's names are <= 253 bytes); a longer one sends its line to JSON.parse */
#define MAX_NAME 255
/* a number's text longer than this goes to JSON.parse too */
#define MAX_NUMBER 64

enum { K_TS, K_HOST, K_VIP, K_METHOD, K_SENT, K_RECV, K_RTT_MIN, K_RTT_AVG, K_RTT_MAX };
static const char *const KEYS[] = { "ts", "host", "vip", "method", "sent", "recv", "rttMin", "rttAvg", "rttMax" };
static const uint8_t KEY_LEN[] = { 2, 4, 3, 6, 4, 4, 6, 6, 6 };

/* 10^k for k <= 22: exact doubles, so an integer below 2^53 divided by one is the correctly rounded decimal */
static const double POW10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

typedef struct {
  uint32_t *slots; /* open addressing by hash: id + 1, 0 empty */
  uint32_t mask;
  uint32_t *hashes, *offs;
  uint8_t *lens;
  uint32_t count, cap, max_names;
  char *arena;
  size_t used, arena_cap;
  locale_t c_locale; /* strtod_l in the C locale: '.' whatever node's locale says */
} Scanner;

static inline int is_ws(uint8_t c) { return c == 0x20 || c == 0x09 || c == 0x0d; }
static inline int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x7feb352d;
  h ^= h >> 15;
  h *= 0x846ca68b;
  return h ^ (h >> 16);
}

static int grow_slots(Scanner *s) {
  uint32_t n = (s->mask + 1) * 2;
  uint32_t *slots = calloc(n, sizeof *slots);
  if (!slots) return 0;
  for (uint32_t id = 0; id < s->count; id++) {
    uint32_t i = s->hashes[id] & (n - 1);
    while (slots[i]) i = (i + 1) & (n - 1);
    slots[i] = id + 1;
  }
  free(s->slots);
  s->slots = slots;
  s->mask = n - 1;
  return 1;
}

static int grow_names(Scanner *s) {
  uint32_t cap = s->cap * 2;
  uint32_t *hashes = realloc(s->hashes, cap * sizeof *hashes);
  if (!hashes) return 0;
  s->hashes = hashes;
  uint32_t *offs = realloc(s->offs, cap * sizeof *offs);
  if (!offs) return 0;
  s->offs = offs;
  uint8_t *lens = realloc(s->lens, cap);
  if (!lens) return 0;
  s->lens = lens;
  s->cap = cap;
  return 1;
}

/* The id of the string b[0, len) (hash h), made when new; -1 when the table is full (or memory ran out). */
static int32_t intern(Scanner *s, const uint8_t *b, uint32_t len, uint32_t h) {
  h = mix(h);
  uint32_t i = h & s->mask;
  for (uint32_t id; (id = s->slots[i]) != 0; i = (i + 1) & s->mask) {
    id--;
    if (s->hashes[id] == h && s->lens[id] == len && memcmp(s->arena + s->offs[id], b, len) == 0) return (int32_t)id;
  }
  if (s->count >= s->max_names) return -1;
  if (s->count == s->cap && !grow_names(s)) return -1;
  if ((s->count + 1) * 2 > s->mask + 1) { /* kept at most half full: grow first, then find the new name's slot */
    if (!grow_slots(s)) return -1;
    for (i = h & s->mask; s->slots[i]; i = (i + 1) & s->mask) {}
  }
  if (s->used + len > s->arena_cap) {
    size_t cap = s->arena_cap * 2 + len;
    if (cap > UINT32_MAX) return -1;
    char *arena = realloc(s->arena, cap);
    if (!arena) return -1;
    s->arena = arena;
    s->arena_cap = cap;
  }
  uint32_t id = s->count;
  memcpy(s->arena + s->used, b, len);
  s->offs[id] = (uint32_t)s->used;
  s->lens[id] = (uint8_t)len;
  s->hashes[id] = h;
  s->used += len;
  s->slots[i] = id + 1;
  s->count++;
  return (int32_t)id;
}

/* The core key whose text starts at b[p] (after its opening quote) with its closing quote, or -1. */
static int key_at(const uint8_t *b, size_t p, size_t limit) {
  int k;
  if (p >= limit) return -1;
  switch (b[p]) {
    case 't': k = K_TS; break;
    case 'h': k = K_HOST; break;
    case 'v': k = K_VIP; break;
    case 'm': k = K_METHOD; break;
    case 's': k = K_SENT; break;
    case 'r':
      if (p + 4 >= limit) return -1;
      k = b[p + 1] == 'e' ? K_RECV : b[p + 3] == 'A' ? K_RTT_AVG : b[p + 4] == 'i' ? K_RTT_MIN : K_RTT_MAX;
      break;
    default: return -1;
  }
  size_t len = KEY_LEN[k];
  if (p + len >= limit || memcmp(b + p, KEYS[k], len) != 0 || b[p + len] != '"') return -1;
  return k;
}

/* A JSON number at b[p]: its value in *v and the position after it, or 0 (not a JSON number, or too long). */
static size_t number_at(Scanner *s, const uint8_t *b, size_t p, size_t end, double *v) {
  size_t start = p;
  int neg = b[p] == '-';
  if (neg) p++;
  if (p >= end || !is_digit(b[p])) return 0;
  uint64_t mant = 0;
  int digits = 0, frac = 0;
  if (b[p] == '0') { p++; digits = 1; }
  else while (p < end && is_digit(b[p])) { if (digits < 19) mant = mant * 10 + (uint64_t)(b[p] - '0'); p++; digits++; }
  if (p < end && b[p] == '.') {
    p++;
    if (p >= end || !is_digit(b[p])) return 0;
    while (p < end && is_digit(b[p])) { if (digits < 19) mant = mant * 10 + (uint64_t)(b[p] - '0'); p++; frac++; digits++; }
  }
  int exp = p < end && (b[p] == 'e' || b[p] == 'E');
  if (exp) {
    p++;
    if (p < end && (b[p] == '+' || b[p] == '-')) p++;
    if (p >= end || !is_digit(b[p])) return 0;
    while (p < end && is_digit(b[p])) p++;
  }
  if (!exp && digits <= 15) {
    double x = frac ? (double)mant / POW10[frac] : (double)mant;
    *v = neg ? -x : x;
  } else {
    /* JSON's number syntax is a subset of strtod's: read it whole, correctly rounded as JSON.parse does */
    char text[MAX_NUMBER + 1];
    size_t len = p - start;
    if (len > MAX_NUMBER) return 0;
    memcpy(text, b + start, len);
    text[len] = 0;
    *v = strtod_l(text, NULL, s->c_locale);
  }
  return p;
}

/* After the closing brace: white space, then the newline (its position), else -1. */
static long line_end(const uint8_t *b, size_t p, size_t limit) {
  while (p < limit && is_ws(b[p])) p++;
  return p < limit && b[p] == '\n' ? (long)p : -1;
}

/* Reads the plain-shape record at b[p] into ids / nums; returns its newline's position, or -1 when not taken. */
static long scan_line(Scanner *s, const uint8_t *b, size_t p, size_t limit, int32_t *ids, double *nums) {
  ids[0] = ids[1] = ids[2] = ids[3] = -1;
  for (int i = 0; i < NUMS; i++) nums[i] = NAN;
  while (p < limit && is_ws(b[p])) p++;
  if (p >= limit || b[p] != '{') return -1;
  p++;
  while (p < limit && is_ws(b[p])) p++;
  if (p < limit && b[p] == '}') return line_end(b, p + 1, limit);
  for (;;) {
    if (p >= limit || b[p] != '"') return -1;
    int key = key_at(b, ++p, limit);
    if (key < 0) return -1; /* a key twice: the last one counts, as in JSON.parse */
    p += KEY_LEN[key] + 1u;
    while (p < limit && is_ws(b[p])) p++;
    if (p >= limit || b[p] != ':') return -1;
    p++;
    while (p < limit && is_ws(b[p])) p++;
    if (p >= limit) return -1;
    if (key <= K_METHOD) {
      if (b[p] != '"') return -1;
      size_t start = ++p;
      uint32_t h = 0;
      for (;; p++) {
        if (p >= limit) return -1;
        uint8_t c = b[p];
        if (c == '"') break;
        if (c == '\\' || c < 0x20 || c >= 0x7f) return -1;
        h = h * 31 + c;
      }
      if (p - start > MAX_NAME) return -1;
      int32_t id = intern(s, b + start, (uint32_t)(p - start), h);
      if (id < 0) return -1;
      ids[key] = id;
      p++;
    } else {
      size_t q = number_at(s, b, p, limit, &nums[key - K_SENT]);
      if (!q) return -1;
      p = q;
    }
    while (p < limit && is_ws(b[p])) p++;
    if (p >= limit) return -1;
    if (b[p] == '}') return line_end(b, p + 1, limit);
    if (b[p] != ',') return -1;
    p++;
    while (p < limit && is_ws(b[p])) p++;
  }
}

static void finalize(napi_env env, void *data, void *hint) {
  Scanner *s = data;
  free(s->slots);
  free(s->hashes);
  free(s->offs);
  free(s->lens);
  free(s->arena);
  if (s->c_locale) freelocale(s->c_locale);
  free(s);
}

/* new RecordScanner(maxNames) */
static napi_value js_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  uint32_t max_names;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &max_names) != napi_ok || max_names == 0)
    return throw_msg(env, "RecordScanner: maxNames must be a positive integer");
  Scanner *s = calloc(1, sizeof *s);
  if (!s) return throw_msg(env, "RecordScanner: out of memory");
  s->max_names = max_names;
  s->mask = 4095;
  s->cap = 1024;
  s->arena_cap = 1 << 16;
  s->slots = calloc(s->mask + 1, sizeof *s->slots);
  s->hashes = malloc(s->cap * sizeof *s->hashes);
  s->offs = malloc(s->cap * sizeof *s->offs);
  s->lens = malloc(s->cap);
  s->arena = malloc(s->arena_cap);
  s->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  if (!s->slots || !s->hashes || !s->offs || !s->lens || !s->arena || !s->c_locale || napi_wrap(env, self, s, finalize, NULL, NULL) != napi_ok) {
    finalize(env, s, NULL);
    return throw_msg(env, "RecordScanner: cannot set up the object");
  }
  return self;
}

/* scan(buf, start, end, ints, nums): the whole lines of buf[start, end), as many as ints (INTS a line) and nums (NUMS a
 * line) hold; returns how many. A line is [start, end) with end its newline; one without a newline is left. */
static napi_value js_scan(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], self;
  Scanner *s;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  CHECK(env, napi_unwrap(env, self, (void **)&s));
  size_t blen, ilen, nlen;
  uint8_t *b;
  int32_t *ints;
  double *nums;
  uint32_t start, end;
  if (argc < 5 || !typed_array(env, argv[0], napi_uint8_array, (void **)&b, &blen) || !typed_array(env, argv[3], napi_int32_array, (void **)&ints, &ilen) ||
      !typed_array(env, argv[4], napi_float64_array, (void **)&nums, &nlen) || napi_get_value_uint32(env, argv[1], &start) != napi_ok || napi_get_value_uint32(env, argv[2], &end) != napi_ok || start > end || end > blen)
    return throw_msg(env, "RecordScanner.scan(buffer, start, end, Int32Array, Float64Array): bad arguments");
  size_t room = ilen / INTS < nlen / NUMS ? ilen / INTS : nlen / NUMS;
  size_t n = 0, p = start;
  while (n < room && p < end) {
    int32_t *li = ints + n * INTS;
    double *ln = nums + n * NUMS;
    long nl = scan_line(s, b, p, end, li + 3, ln);
    li[2] = nl >= 0;
    if (nl < 0) {
      const uint8_t *q = memchr(b + p, '\n', end - p);
      if (!q) break;
      nl = q - b;
    }
    li[0] = (int32_t)p;
    li[1] = (int32_t)nl;
    p = (size_t)nl + 1;
    n++;
  }
  napi_value out;
  CHECK(env, napi_create_uint32(env, (uint32_t)n, &out));
  return out;
}

/* names(from): the interned strings with ids from `from` on, in id order */
static napi_value js_names(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self, arr;
  Scanner *s;
  uint32_t from;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  CHECK(env, napi_unwrap(env, self, (void **)&s));
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &from) != napi_ok) return throw_msg(env, "RecordScanner.names(from): bad argument");
  uint32_t n = from < s->count ? s->count - from : 0;
  CHECK(env, napi_create_array_with_length(env, n, &arr));
  for (uint32_t i = 0; i < n; i++) {
    napi_value str;
    uint32_t id = from + i;
    CHECK(env, napi_create_string_latin1(env, s->arena + s->offs[id], s->lens[id], &str));
    CHECK(env, napi_set_element(env, arr, i, str));
  }
  return arr;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    { "scan", NULL, js_scan, NULL, NULL, NULL, napi_default_method, NULL },
    { "names", NULL, js_names, NULL, NULL, NULL, napi_default_method, NULL },
  };
  napi_value cls, ints, nums;
  CHECK(env, napi_define_class(env, "RecordScanner", NAPI_AUTO_LENGTH, js_new, NULL, 2, methods, &cls));
  CHECK(env, napi_set_named_property(env, exports, "RecordScanner", cls));
  CHECK(env, napi_create_uint32(env, INTS, &ints));
  CHECK(env, napi_create_uint32(env, NUMS, &nums));
  CHECK(env, napi_set_named_property(env, exports, "INTS", ints));
  CHECK(env, napi_set_named_property(env, exports, "NUMS", nums));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
