// The agent's continuous ICMP and TCP probing, all in C on node's loop: the phase table's slots, sending, replies,
// timeouts and the per-minute sums. JavaScript hands over the targets and their phases (agent/pacing.ts works them
// out) when the task list changes and gets one call per finished minute with its sums; nothing runs in JavaScript per
// probe. Same rules as agent/engine.ts, which still runs http targets and every target under a test's fake clock:
// every target once per interval at its phase, at most one probe per target after a stall, a token bucket as the
// last line of the rate cap, a probe counted in the minute it was sent in (wall clock), a minute handed over once it
// has ended and none of its probes is in flight. ICMP is timed as icmp_socket.c times it (CLOCK_REALTIME stamp just
// before sendto(), the kernel's receive stamp), TCP as tcp_connect.c does (TCP_INFO's handshake RTT).
//
// JS API (agent/native/icmp-socket.ts types it):
//   new ProbeSchedule(onMinute, minuteMs, timeoutMs, tickMs, maxPerSec)
//       onMinute(start: number, count: number, skipped: number, failed: number, error: string | null):
//       a finished minute (start: its first ms): .out[0, 6 * count) holds per target (id, sent, recv, min, max, sum),
//       RTTs in ms; skipped: probes the token bucket held back, failed: probes that could not start (error: the last
//       such error). start -1: stop() has finished, every minute was handed over.
//   .icmp4Error, .icmp6Error: null, or why that ICMP socket could not be opened (no CAP_NET_RAW, no IPv6)
//   .setTargets(ids: Int32Array, kinds: Uint8Array (0 icmp, 1 tcp), addresses: string[], ports: Int32Array,
//               order: Int32Array, phases: Float64Array, intervalMs: number)
//       ids: the caller's stable id per target (counts are kept by id, so a minute under way survives a new list);
//       order/phases: target indexes sorted by phase and their phases (ms into the interval), as PhasePlan has them.
//   .start(), .stop() (sends no more; onMinute(-1) once nothing is in flight), .close(), .inFlight()
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "probe_util.h"

#include <arpa/inet.h>
#include <linux/icmp.h>
#include <math.h>
#include <netinet/icmp6.h>
#include <stdlib.h>
#include <sys/epoll.h>

#define PAYLOAD_BYTES 56
#define PACKET_BYTES (8 + PAYLOAD_BYTES)
#define RBUF_BYTES 4096
#define DRAIN_MAX 256
/* minutes counted at once: the one under way, the ones whose probes are still in flight, and slack for a stall */
#define MINUTES 8

enum { KIND_ICMP = 0, KIND_TCP = 1 };

typedef struct {
  int32_t id;
  uint8_t kind;
  int family; /* 4 or 6 */
  struct sockaddr_storage to;
  socklen_t tolen;
} Target;

/* one target's minute: min is valid once recv > 0 (so a zeroed cell is an empty one) */
typedef struct { uint32_t sent, recv; double min, max, sum; } Cell;

typedef struct {
  double start; /* ms; -1: free */
  int32_t pending;
  Cell *cells;  /* indexed by target id; made when the slot is first used (with 1-minute minutes two slots are) */
} Minute;

/* a probe in flight: ICMP by sequence number, TCP by fd */
typedef struct {
  uint32_t serial; /* 0: none */
  int16_t minute;
  int32_t id;
  int64_t t0;      /* ICMP: CLOCK_REALTIME ns before sendto(); TCP: CLOCK_MONOTONIC ns before connect() */
  uint8_t family;
  uint8_t dst[16];
} Flight;

/* a probe's deadline: deadlines come in send order (one timeout for all), so a FIFO */
typedef struct { int64_t at; uint32_t serial; int32_t key; uint8_t kind; } Deadline;

typedef struct {
  int fd;
  int family;
  int err;     /* why it could not be opened (errno), when fd is -1 */
  uv_poll_t poll;
  void *owner; /* the Schedule */
} EchoSock;

typedef struct {
  napi_env env;
  napi_ref self, on_minute, out_ref;
  napi_async_context actx;
  double *out;
  int32_t out_cap; /* cells */
  uv_timer_t timer;
  uv_poll_t tcp_poll;
  int ep;
  EchoSock icmp[2]; /* IPv4, IPv6; fd -1 when it could not be opened */
  int open_handles;
  int open, finalized, running, stopping;
  /* settings */
  double minute_ms, timeout_ms, tick_ms, per_sec;
  /* targets */
  Target *targets;
  int32_t n, *order, ids_cap;
  double *phases, interval_ms, cursor;
  /* counts */
  Minute minutes[MINUTES];
  /* in flight */
  /* by sequence number: room for twice the probes the rate cap lets be in flight at once (sent within a timeout) */
  Flight *icmp_flights;
  int32_t seq_space;
  Flight *tcp_flights;
  int tcp_cap;
  int32_t in_flight, seq;
  uint32_t serial;
  Deadline *dl;
  int32_t dl_head, dl_len, dl_cap;
  /* token bucket */
  double tokens, tokens_at;
  /* since the last minute handed over */
  uint32_t skipped, failed;
  char error[160];
  uint16_t echo_id;
  uint8_t nonce[NONCE_BYTES];
  uint8_t packet[PACKET_BYTES];
  uint8_t rbuf[RBUF_BYTES];
} Schedule;

static double now_ms(void) { return (double)clock_ns(CLOCK_REALTIME) / 1e6; }

static void maybe_free(Schedule *s) {
  if (s->open_handles == 0 && s->finalized) {
    for (int i = 0; i < MINUTES; i++) free(s->minutes[i].cells);
    free(s->targets); free(s->order); free(s->phases); free(s->icmp_flights); free(s->tcp_flights); free(s->dl); free(s);
  }
}

static void on_handle_closed(uv_handle_t *h) {
  Schedule *s = (Schedule *)h->data;
  s->open_handles--;
  maybe_free(s);
}

/* ---- the minutes ---- */

static int minute_for(Schedule *s, double start) {
  int free_slot = -1;
  for (int i = 0; i < MINUTES; i++) {
    if (s->minutes[i].start == start) return i;
    if (s->minutes[i].start < 0 && free_slot < 0) free_slot = i;
  }
  if (free_slot < 0) return -1; /* only after a stall longer than the slots: the probe is not sent */
  Minute *m = &s->minutes[free_slot];
  if (!m->cells && !(m->cells = malloc((size_t)s->ids_cap * sizeof *m->cells))) return -1;
  m->start = start;
  m->pending = 0;
  memset(m->cells, 0, (size_t)s->ids_cap * sizeof *m->cells);
  return free_slot;
}

static void settle(Schedule *s, int16_t mi, int32_t id, double rtt) {
  Minute *m = &s->minutes[mi];
  m->pending--;
  s->in_flight--;
  if (rtt < 0 || rtt > s->timeout_ms) return; /* a reply after the timeout is lost all the same */
  Cell *c = &m->cells[id];
  c->recv++;
  c->sum += rtt;
  if (c->recv == 1 || rtt < c->min) c->min = rtt;
  if (rtt > c->max) c->max = rtt;
}

/* hands one minute to JS (start -1: the stop is over) */
static void emit(Schedule *s, double start, int32_t count) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value self, cb, argv[5];
  napi_get_reference_value(env, s->self, &self);
  napi_get_reference_value(env, s->on_minute, &cb);
  napi_create_double(env, start, &argv[0]);
  napi_create_int32(env, count, &argv[1]);
  napi_create_uint32(env, s->skipped, &argv[2]);
  napi_create_uint32(env, s->failed, &argv[3]);
  if (s->failed) napi_create_string_utf8(env, s->error, NAPI_AUTO_LENGTH, &argv[4]);
  else napi_get_null(env, &argv[4]);
  s->skipped = s->failed = 0;
  napi_callback_scope cscope;
  napi_open_callback_scope(env, self, s->actx, &cscope);
  call_js(env, self, cb, 5, argv);
  napi_close_callback_scope(env, cscope);
  napi_close_handle_scope(env, scope);
}

/* every minute that has ended with nothing in flight (all: every minute), oldest first */
static void flush(Schedule *s, double now, int all) {
  for (;;) {
    int best = -1;
    for (int i = 0; i < MINUTES; i++) {
      Minute *m = &s->minutes[i];
      if (m->start < 0 || (!all && (m->start + s->minute_ms > now || m->pending > 0))) continue;
      if (best < 0 || m->start < s->minutes[best].start) best = i;
    }
    if (best < 0) return;
    Minute *m = &s->minutes[best];
    int32_t count = 0;
    for (int32_t id = 0; id < s->ids_cap; id++) {
      Cell *c = &m->cells[id];
      if (!c->sent) continue;
      double *o = s->out + (size_t)count * 6;
      o[0] = id; o[1] = c->sent; o[2] = c->recv; o[3] = c->min; o[4] = c->max; o[5] = c->sum;
      count++;
    }
    double start = m->start;
    m->start = -1; /* `all` comes only with nothing in flight: no probe still points at this slot */
    if (count) emit(s, start, count);
    if (!s->open) return;
  }
}

/* ---- sending ---- */

static void fail(Schedule *s, const char *what, int err) {
  s->failed++;
  snprintf(s->error, sizeof s->error, "%s: %s", what, strerror(err));
}

static void add_deadline(Schedule *s, uint8_t kind, int32_t key, uint32_t serial, int64_t at) {
  if (s->dl_len == s->dl_cap) {
    if (s->dl_head > 0) {
      memmove(s->dl, s->dl + s->dl_head, (size_t)(s->dl_len - s->dl_head) * sizeof *s->dl);
      s->dl_len -= s->dl_head;
      s->dl_head = 0;
    }
    if (s->dl_len == s->dl_cap) {
      int32_t cap = s->dl_cap ? s->dl_cap * 2 : 4096;
      Deadline *d = realloc(s->dl, (size_t)cap * sizeof *d);
      if (!d) abort(); /* the agent cannot go on without memory for its probes in flight */
      s->dl = d;
      s->dl_cap = cap;
    }
  }
  s->dl[s->dl_len++] = (Deadline){ at, serial, key, kind };
}

static uint32_t next_serial(Schedule *s) { return ++s->serial ? s->serial : ++s->serial; }

static void send_icmp(Schedule *s, Target *t, int16_t mi) {
  EchoSock *e = &s->icmp[t->family == 6];
  Minute *m = &s->minutes[mi];
  m->cells[t->id].sent++;
  /* the caller hands over only targets of a family whose socket opened (.icmp4Error / .icmp6Error); a probe that
     cannot start counts as sent and lost, as in the JS engine */
  if (e->fd < 0) { fail(s, t->family == 6 ? "raw ICMPv6 socket" : "raw ICMP socket", e->err); return; }
  int seq = -1;
  for (int i = 0; i < s->seq_space; i++) {
    s->seq = (s->seq + 1) % s->seq_space;
    if (!s->icmp_flights[s->seq].serial) { seq = s->seq; break; }
  }
  if (seq < 0) return; /* every sequence number in flight: the probe is lost */
  uint8_t *p = s->packet;
  p[0] = t->family == 6 ? 128 : 8;
  p[2] = p[3] = 0;
  p[6] = (uint8_t)(seq >> 8);
  p[7] = (uint8_t)seq;
  if (t->family == 4) { /* the kernel fills in ICMPv6's checksum */
    uint16_t sum = inet_checksum(p, PACKET_BYTES);
    p[2] = (uint8_t)(sum >> 8);
    p[3] = (uint8_t)sum;
  }
  Flight *f = &s->icmp_flights[seq];
  f->serial = next_serial(s);
  f->minute = mi;
  f->id = t->id;
  f->family = (uint8_t)t->family;
  memcpy(f->dst, t->family == 4 ? (const void *)&((struct sockaddr_in *)&t->to)->sin_addr : (const void *)&((struct sockaddr_in6 *)&t->to)->sin6_addr, t->family == 4 ? 4 : 16);
  m->pending++;
  s->in_flight++;
  ssize_t n;
  do {
    f->t0 = clock_ns(CLOCK_REALTIME); /* as fping: the stamp, then at once the send (set first: a veth peer answers inside sendto) */
    n = sendto(e->fd, p, PACKET_BYTES, 0, (struct sockaddr *)&t->to, t->tolen);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    /* no route, buffer full...: the probe went nowhere, it is lost */
    f->serial = 0;
    settle(s, mi, t->id, -1);
    return;
  }
  add_deadline(s, KIND_ICMP, seq, f->serial, clock_ns(CLOCK_MONOTONIC) + (int64_t)(s->timeout_ms * 1e6));
}

static void send_tcp(Schedule *s, Target *t, int16_t mi) {
  Minute *m = &s->minutes[mi];
  m->cells[t->id].sent++;
  int fd = socket(t->to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { fail(s, "socket", errno); return; }
  if (fd >= s->tcp_cap) {
    int cap = s->tcp_cap ? s->tcp_cap : 1024;
    while (cap <= fd) cap *= 2;
    Flight *f = realloc(s->tcp_flights, (size_t)cap * sizeof *f);
    if (!f) { close(fd); fail(s, "tcp", ENOMEM); return; }
    memset(f + s->tcp_cap, 0, (size_t)(cap - s->tcp_cap) * sizeof *f);
    s->tcp_flights = f;
    s->tcp_cap = cap;
  }
  int64_t t0 = clock_ns(CLOCK_MONOTONIC);
  if (connect(fd, (struct sockaddr *)&t->to, t->tolen) < 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    if (!connect_lost(e)) fail(s, "connect", e); /* refused at once, no route...: simply lost */
    return;
  }
  struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT, .data.fd = fd };
  if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) { int e = errno; close(fd); fail(s, "epoll_ctl", e); return; }
  Flight *f = &s->tcp_flights[fd];
  f->serial = next_serial(s);
  f->minute = mi;
  f->id = t->id;
  f->t0 = t0;
  m->pending++;
  s->in_flight++;
  add_deadline(s, KIND_TCP, fd, f->serial, t0 + (int64_t)(s->timeout_ms * 1e6));
}

static int take_token(Schedule *s, double now) {
  s->tokens = fmin(s->per_sec, s->tokens + (now - s->tokens_at) / 1000 * s->per_sec);
  s->tokens_at = now;
  if (s->tokens < 1) return 0;
  s->tokens -= 1;
  return 1;
}

static void send_one(Schedule *s, int32_t index, double now) {
  if (!take_token(s, now)) { s->skipped++; return; }
  int mi = minute_for(s, floor(now / s->minute_ms) * s->minute_ms);
  if (mi < 0) { s->skipped++; return; }
  Target *t = &s->targets[index];
  if (t->kind == KIND_ICMP) send_icmp(s, t, (int16_t)mi);
  else send_tcp(s, t, (int16_t)mi);
}

static int32_t first_at_or_after(Schedule *s, double offset) {
  int32_t lo = 0, hi = s->n;
  while (lo < hi) {
    int32_t mid = (lo + hi) >> 1;
    if (s->phases[mid] < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* the time of the first slot at or after t */
static double next_at(Schedule *s, double t) {
  if (!s->n) return INFINITY;
  double iv = s->interval_ms, base = floor(t / iv) * iv;
  int32_t k = first_at_or_after(s, t - base);
  return k < s->n ? base + s->phases[k] : base + iv + s->phases[0];
}

/* ---- timeouts and replies ---- */

static void expire(Schedule *s) {
  int64_t mono = clock_ns(CLOCK_MONOTONIC);
  while (s->dl_head < s->dl_len && s->dl[s->dl_head].at <= mono) {
    Deadline d = s->dl[s->dl_head++];
    Flight *f = d.kind == KIND_ICMP ? &s->icmp_flights[d.key] : &s->tcp_flights[d.key];
    if (f->serial != d.serial) continue; /* settled already */
    f->serial = 0;
    if (d.kind == KIND_TCP) tcp_drop(d.key, 0);
    settle(s, f->minute, f->id, -1);
  }
  if (s->dl_head == s->dl_len) s->dl_head = s->dl_len = 0;
}

static void on_echo(uv_poll_t *h, int status, int events) {
  (void)status; (void)events;
  EchoSock *e = (EchoSock *)h->data;
  Schedule *s = (Schedule *)e->owner;
  if (!s->open) return;
  size_t alen = e->family == 4 ? 4 : 16;
  for (int k = 0; k < DRAIN_MAX; k++) {
    struct sockaddr_storage from;
    int64_t at;
    ssize_t n = recv_stamped(e->fd, s->rbuf, RBUF_BYTES, &from, &at);
    if (n < 0) break;
    int seq = echo_reply_seq(e->family, s->rbuf, (size_t)(n > RBUF_BYTES ? RBUF_BYTES : n), &from, s->echo_id, s->nonce);
    if (seq < 0 || seq >= s->seq_space) continue;
    Flight *f = &s->icmp_flights[seq];
    if (!f->serial || f->family != e->family || memcmp(addr_bytes(e->family, &from), f->dst, alen) != 0) continue;
    f->serial = 0; /* one reply per probe: a duplicate is not counted */
    int64_t d = at - f->t0;
    settle(s, f->minute, f->id, d > 0 ? (double)d / 1e6 : 0); /* realtime stamps: a clock stepped back reads as 0 */
  }
}

static void on_tcp(uv_poll_t *h, int status, int events) {
  (void)status; (void)events;
  Schedule *s = (Schedule *)h->data;
  if (!s->open) return;
  struct epoll_event ev[DRAIN_MAX];
  int n;
  do n = epoll_wait(s->ep, ev, DRAIN_MAX, 0); while (n < 0 && errno == EINTR);
  int64_t mono = clock_ns(CLOCK_MONOTONIC);
  for (int i = 0; i < n; i++) {
    int fd = ev[i].data.fd, err = 0;
    socklen_t len = sizeof err;
    Flight *f = &s->tcp_flights[fd];
    if (!f->serial) continue;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    double rtt = err == 0 ? handshake_ms(fd, mono - f->t0) : -1; /* refused: nothing listens, lost */
    f->serial = 0;
    tcp_drop(fd, err == 0);
    settle(s, f->minute, f->id, rtt);
  }
}

/* ---- the timer ---- */

static void arm(Schedule *s, double now);

static void on_tick(uv_timer_t *h) {
  Schedule *s = (Schedule *)h->data;
  if (!s->open) return;
  double now = now_ms();
  expire(s);
  if (s->running && s->n) {
    /* after a stall (suspended process), at most one probe per target, not the whole backlog */
    double from = fmax(s->cursor, now - s->interval_ms), to = now + 1, iv = s->interval_ms;
    for (double base = floor(from / iv) * iv; base < to; base += iv) {
      int32_t k = first_at_or_after(s, from - base);
      for (; k < s->n && base + s->phases[k] < to; k++) send_one(s, s->order[k], now);
      if (k < s->n) break;
    }
    s->cursor = to;
  }
  if (s->stopping && s->in_flight == 0) {
    s->stopping = 0;
    flush(s, now, 1);
    if (s->open) emit(s, -1, 0);
    return;
  }
  flush(s, now, 0);
  if (s->open) arm(s, now);
}

static void arm(Schedule *s, double now) {
  double next = INFINITY;
  if (s->running) next = fmin(next_at(s, s->cursor), floor(now / s->minute_ms) * s->minute_ms + s->minute_ms);
  for (int i = 0; i < MINUTES; i++) if (s->minutes[i].start >= 0) next = fmin(next, s->minutes[i].start + s->minute_ms);
  if (s->dl_head < s->dl_len) next = fmin(next, now + (double)(s->dl[s->dl_head].at - clock_ns(CLOCK_MONOTONIC)) / 1e6);
  if (!isfinite(next)) { uv_timer_stop(&s->timer); return; }
  double wait = fmax(s->tick_ms, ceil(next - now));
  uv_timer_start(&s->timer, on_tick, (uint64_t)wait, 0);
}

/* ---- JS ---- */

static void close_all(Schedule *s) {
  if (!s->open) return;
  s->open = 0;
  s->running = 0;
  for (int fd = 0; fd < s->tcp_cap; fd++) if (s->tcp_flights[fd].serial) { s->tcp_flights[fd].serial = 0; tcp_drop(fd, 0); }
  uv_timer_stop(&s->timer);
  uv_close((uv_handle_t *)&s->timer, on_handle_closed);
  uv_poll_stop(&s->tcp_poll);
  uv_close((uv_handle_t *)&s->tcp_poll, on_handle_closed);
  close(s->ep);
  for (int i = 0; i < 2; i++) {
    if (s->icmp[i].fd < 0) continue;
    uv_poll_stop(&s->icmp[i].poll);
    uv_close((uv_handle_t *)&s->icmp[i].poll, on_handle_closed);
    close(s->icmp[i].fd);
    s->icmp[i].fd = -1;
  }
  napi_async_destroy(s->env, s->actx);
  napi_delete_reference(s->env, s->on_minute);
  napi_delete_reference(s->env, s->self);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  Schedule *s = (Schedule *)data;
  napi_delete_reference(env, s->out_ref);
  s->finalized = 1;
  maybe_free(s);
}

/* a raw socket passing our echo replies only (ICMP_FILTER / ICMP6_FILTER, then by identifier), with kernel receive
 * stamps; -errno on failure */
static int open_echo(int family, uint16_t id) {
  int fd = family == 4 ? socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP)
                       : socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) return -errno;
  int on = 1, r;
  uint32_t v4block = ~(1u << 0);
  struct icmp6_filter f6;
  ICMP6_FILTER_SETBLOCKALL(&f6);
  ICMP6_FILTER_SETPASS(129, &f6);
  r = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  if (r == 0) r = family == 4 ? setsockopt(fd, SOL_RAW, ICMP_FILTER, &v4block, sizeof v4block) : setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f6, sizeof f6);
  if (r < 0) { int e = errno; close(fd); return -e; }
  attach_echo_filter(fd, family, id); /* fewer wake-ups; on_echo checks the identifier anyway */
  return fd;
}

/* sets .out to room for `cells` result cells */
static napi_status make_out(napi_env env, napi_value self, Schedule *s, int32_t cells) {
  napi_value ab, arr;
  void *p;
  napi_status st = napi_create_arraybuffer(env, (size_t)(cells ? cells : 1) * 6 * sizeof(double), &p, &ab);
  if (st == napi_ok) st = napi_create_typedarray(env, napi_float64_array, (size_t)(cells ? cells : 1) * 6, ab, 0, &arr);
  if (st == napi_ok) st = napi_set_named_property(env, self, "out", arr);
  if (st != napi_ok) return st;
  if (s->out_ref) napi_delete_reference(env, s->out_ref);
  s->out = p;
  s->out_cap = cells;
  return napi_create_reference(env, arr, 1, &s->out_ref);
}

static napi_value js_new(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], self;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  napi_valuetype t;
  double minute_ms, timeout_ms, tick_ms, per_sec;
  if (argc < 5 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function ||
      napi_get_value_double(env, argv[1], &minute_ms) != napi_ok || napi_get_value_double(env, argv[2], &timeout_ms) != napi_ok ||
      napi_get_value_double(env, argv[3], &tick_ms) != napi_ok || napi_get_value_double(env, argv[4], &per_sec) != napi_ok ||
      !(minute_ms >= 1) || !(timeout_ms >= 1) || !(tick_ms >= 1) || !(per_sec >= 1))
    return throw_msg(env, "ProbeSchedule(onMinute, minuteMs, timeoutMs, tickMs, maxPerSec): a function and four positive numbers");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return throw_errno(env, "epoll_create1", errno);
  Schedule *s = calloc(1, sizeof *s);
  if (!s) { close(ep); return throw_msg(env, "ProbeSchedule: out of memory"); }
  s->env = env;
  s->ep = ep;
  s->minute_ms = minute_ms; s->timeout_ms = timeout_ms; s->tick_ms = tick_ms; s->per_sec = per_sec;
  s->tokens = per_sec;
  s->tokens_at = now_ms();
  double most = per_sec * timeout_ms / 1000 * 2;
  for (s->seq_space = 1024; s->seq_space < most && s->seq_space < 65536; s->seq_space *= 2) {}
  s->icmp_flights = calloc((size_t)s->seq_space, sizeof *s->icmp_flights);
  if (!s->icmp_flights) { close(ep); free(s); return throw_msg(env, "ProbeSchedule: out of memory"); }
  for (int i = 0; i < MINUTES; i++) s->minutes[i].start = -1;
  /* the echo identifier and nonce: a raw socket sees every echo reply of the host, icmp.ts's probes' too */
  uint8_t rnd[2 + NONCE_BYTES];
  uv_random(NULL, NULL, rnd, sizeof rnd, 0, NULL);
  s->echo_id = get16(rnd);
  memcpy(s->nonce, rnd + 2, NONCE_BYTES);
  s->packet[4] = rnd[0];
  s->packet[5] = rnd[1];
  memcpy(s->packet + 8, s->nonce, NONCE_BYTES);
  if (napi_wrap(env, self, s, finalize, NULL, NULL) != napi_ok) { close(ep); free(s->icmp_flights); free(s); return throw_msg(env, "ProbeSchedule: cannot set up the object"); }
  /* from here the finalizer owns s */
  CHECK(env, make_out(env, self, s, 0));
  uv_loop_t *loop;
  CHECK(env, napi_get_uv_event_loop(env, &loop));
  uv_timer_init(loop, &s->timer);
  s->timer.data = s;
  s->open_handles++;
  uv_poll_init(loop, &s->tcp_poll, ep);
  s->tcp_poll.data = s;
  s->open_handles++;
  for (int i = 0; i < 2; i++) {
    int family = i ? 6 : 4;
    EchoSock *e = &s->icmp[i];
    e->family = family;
    e->owner = s;
    e->fd = open_echo(family, s->echo_id);
    if (e->fd < 0) { e->err = -e->fd; e->fd = -1; }
    napi_value why;
    if (e->fd < 0) {
      char msg[160];
      snprintf(msg, sizeof msg, "%s: %s", family == 4 ? "raw ICMP socket" : "raw ICMPv6 socket", strerror(e->err));
      CHECK(env, napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &why));
    } else {
      CHECK(env, napi_get_null(env, &why));
      uv_poll_init(loop, &e->poll, e->fd);
      e->poll.data = e;
      s->open_handles++;
      uv_poll_start(&e->poll, UV_READABLE, on_echo);
      uv_unref((uv_handle_t *)&e->poll);
    }
    CHECK(env, napi_set_named_property(env, self, family == 4 ? "icmp4Error" : "icmp6Error", why));
  }
  uv_poll_start(&s->tcp_poll, UV_READABLE, on_tcp);
  uv_unref((uv_handle_t *)&s->tcp_poll);
  napi_value name;
  CHECK(env, napi_create_reference(env, argv[0], 1, &s->on_minute));
  CHECK(env, napi_create_reference(env, self, 1, &s->self));
  CHECK(env, napi_create_string_utf8(env, "ProbeSchedule", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_async_init(env, self, name, &s->actx));
  s->open = 1;
  return self;
}

static Schedule *unwrap_open(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv, napi_value *self) {
  Schedule *s;
  if (napi_get_cb_info(env, info, argc, argv, self, NULL) != napi_ok || napi_unwrap(env, *self, (void **)&s) != napi_ok) {
    throw_msg(env, "ProbeSchedule: not a ProbeSchedule");
    return NULL;
  }
  if (!s->open) { throw_msg(env, "ProbeSchedule: closed"); return NULL; }
  return s;
}

static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is;
  napi_typedarray_type type;
  return napi_is_typedarray(env, v, &is) == napi_ok && is && napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) == napi_ok && type == want;
}

/* room for `cap` ids: a minute under way keeps its cells (the new ones empty); a free slot's are made again when used */
static int grow_cells(Schedule *s, int32_t cap) {
  for (int i = 0; i < MINUTES; i++) {
    Minute *m = &s->minutes[i];
    if (m->start < 0) {
      free(m->cells);
      m->cells = NULL;
      continue;
    }
    Cell *c = realloc(m->cells, (size_t)cap * sizeof *c);
    if (!c) return 0;
    memset(c + s->ids_cap, 0, (size_t)(cap - s->ids_cap) * sizeof *c);
    m->cells = c;
  }
  s->ids_cap = cap;
  return 1;
}

static napi_value js_set_targets(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], self;
  Schedule *s = unwrap_open(env, info, &argc, argv, &self);
  if (!s) return NULL;
  int32_t *ids, *ports, *order;
  uint8_t *kinds;
  double *phases, interval;
  size_t n, nk, np, no, nph;
  uint32_t na;
  bool isArr;
  if (argc < 7 || !typed(env, argv[0], napi_int32_array, (void **)&ids, &n) || !typed(env, argv[1], napi_uint8_array, (void **)&kinds, &nk) ||
      napi_is_array(env, argv[2], &isArr) != napi_ok || !isArr || napi_get_array_length(env, argv[2], &na) != napi_ok ||
      !typed(env, argv[3], napi_int32_array, (void **)&ports, &np) || !typed(env, argv[4], napi_int32_array, (void **)&order, &no) ||
      !typed(env, argv[5], napi_float64_array, (void **)&phases, &nph) || napi_get_value_double(env, argv[6], &interval) != napi_ok ||
      nk != n || na != n || np != n || no != n || nph != n || !(interval > 0))
    return throw_msg(env, "ProbeSchedule.setTargets(ids, kinds, addresses, ports, order, phases, intervalMs): arrays of one length and an interval > 0");
  Target *targets = calloc(n ? n : 1, sizeof *targets);
  int32_t *ord = malloc((n ? n : 1) * sizeof *ord);
  double *ph = malloc((n ? n : 1) * sizeof *ph);
  if (!targets || !ord || !ph) { free(targets); free(ord); free(ph); return throw_msg(env, "ProbeSchedule: out of memory"); }
  int32_t max_id = -1;
  for (size_t i = 0; i < n; i++) {
    Target *t = &targets[i];
    napi_value v;
    char addr[INET6_ADDRSTRLEN + 1];
    size_t alen;
    const char *bad = NULL;
    if (napi_get_element(env, argv[2], (uint32_t)i, &v) != napi_ok || napi_get_value_string_utf8(env, v, addr, sizeof addr, &alen) != napi_ok) { addr[0] = 0; bad = "is not an address string"; }
    else if (ids[i] < 0 || ids[i] >= (1 << 24)) bad = "has an id outside 0..2^24";
    else if (kinds[i] > KIND_TCP) bad = "has a kind that is neither 0 (icmp) nor 1 (tcp)";
    else if (order[i] < 0 || (size_t)order[i] >= n) bad = "has an order entry outside the targets";
    else if (kinds[i] == KIND_TCP && (ports[i] < 1 || ports[i] > 65535)) bad = "is tcp without a port 1..65535";
    struct sockaddr_in *a4 = (struct sockaddr_in *)&t->to;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&t->to;
    if (!bad && inet_pton(AF_INET, addr, &a4->sin_addr) == 1) { a4->sin_family = AF_INET; a4->sin_port = htons((uint16_t)ports[i]); t->tolen = sizeof *a4; t->family = 4; }
    else if (!bad && inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) { a6->sin6_family = AF_INET6; a6->sin6_port = htons((uint16_t)ports[i]); t->tolen = sizeof *a6; t->family = 6; }
    else if (!bad) bad = "is not an IP address";
    if (bad) {
      free(targets); free(ord); free(ph);
      char msg[200];
      snprintf(msg, sizeof msg, "ProbeSchedule.setTargets: target %zu (\"%s\") %s", i, addr, bad);
      return throw_msg(env, msg);
    }
    t->id = ids[i];
    t->kind = kinds[i];
    if (t->kind == KIND_ICMP) { a4->sin_port = 0; if (t->family == 6) a6->sin6_port = 0; }
    ord[i] = order[i];
    ph[i] = phases[i];
    if (ids[i] > max_id) max_id = ids[i];
  }
  if (max_id >= s->ids_cap) {
    int32_t cap = (max_id / 256 + 1) * 256; /* new targets come a few at a time: grow by steps, not doubling */
    if (!grow_cells(s, cap) || make_out(env, self, s, cap) != napi_ok) { free(targets); free(ord); free(ph); return throw_msg(env, "ProbeSchedule: out of memory"); }
  }
  free(s->targets); free(s->order); free(s->phases);
  s->targets = targets;
  s->order = ord;
  s->phases = ph;
  s->n = (int32_t)n;
  s->interval_ms = interval;
  s->cursor = now_ms();
  if (s->running) arm(s, s->cursor);
  return NULL;
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value self;
  Schedule *s = unwrap_open(env, info, NULL, NULL, &self);
  if (!s) return NULL;
  s->running = 1;
  s->stopping = 0;
  s->cursor = now_ms();
  arm(s, s->cursor);
  return NULL;
}

static napi_value js_stop(napi_env env, napi_callback_info info) {
  napi_value self;
  Schedule *s = unwrap_open(env, info, NULL, NULL, &self);
  if (!s) return NULL;
  s->running = 0;
  s->stopping = 1;
  uv_timer_start(&s->timer, on_tick, 0, 0); /* at once: with nothing in flight the stop is over */
  return NULL;
}

static napi_value js_in_flight(napi_env env, napi_callback_info info) {
  napi_value self, out;
  Schedule *s = unwrap_open(env, info, NULL, NULL, &self);
  if (!s) return NULL;
  CHECK(env, napi_create_int32(env, s->in_flight, &out));
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value self;
  Schedule *s;
  if (napi_get_cb_info(env, info, NULL, NULL, &self, NULL) != napi_ok || napi_unwrap(env, self, (void **)&s) != napi_ok) return NULL;
  close_all(s);
  return NULL;
}

/* adds ProbeSchedule to the addon's exports (called from icmp_socket.c's init) */
napi_status schedule_init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    { "setTargets", NULL, js_set_targets, NULL, NULL, NULL, napi_default_method, NULL },
    { "start", NULL, js_start, NULL, NULL, NULL, napi_default_method, NULL },
    { "stop", NULL, js_stop, NULL, NULL, NULL, napi_default_method, NULL },
    { "inFlight", NULL, js_in_flight, NULL, NULL, NULL, napi_default_method, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default_method, NULL },
  };
  napi_value cls;
  napi_status st = napi_define_class(env, "ProbeSchedule", NAPI_AUTO_LENGTH, js_new, NULL, 5, methods, &cls);
  if (st != napi_ok) return st;
  return napi_set_named_property(env, exports, "ProbeSchedule", cls);
}
