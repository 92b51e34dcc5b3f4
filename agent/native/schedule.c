// The agent's continuous ICMP and TCP probing, all in C on node's loop (this file: its Node-API face and set-up;
// schedule_run.c: the probing; schedule.h: what they share): the phase table's slots, sending, replies,
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
//       onMinute(start: number, count: number, skipped: number, late: number, failed: number, error: string | null):
//       a finished minute (start: its first ms): .out[0, 6 * count) holds per target (id, sent, recv, min, max, sum),
//       RTTs in ms; skipped: probes the token bucket held back, late: slots a stall passed over (a tick more than an
//       interval late sends one probe per target, not the backlog), failed: probes that could not start (error: the last
//       such error). start -1: stop() has finished, every minute was handed over.
//   .icmp4Error, .icmp6Error: null, or why that ICMP socket could not be opened (no CAP_NET_RAW, no IPv6)
//   .tickMs: the tick in use: tickMs, or shorter when a tick's replies at maxPerSec would not fit the echo sockets'
//       receive buffers (net.core.rmem_max; replies are read on the ticks)
//   .setTargets(ids: Int32Array, kinds: Uint8Array (0 icmp, 1 tcp), addresses: string[], ports: Int32Array,
//               order: Int32Array, phases: Float64Array, intervalMs: number, maxPerSec: number)
//       ids: the caller's stable id per target (counts are kept by id, so a minute under way survives a new list);
//       order/phases: target indexes sorted by phase and their phases (ms into the interval), as PhasePlan has them;
//       maxPerSec: the token bucket's rate from now on (this schedule's share of the host's cap), > 0 and no more than
//       the constructor's maxPerSec, which sizes the buffers.
//   .start(), .stop() (sends no more; onMinute(-1) once nothing is in flight), .close()
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include "napi_util.h"
#include "schedule.h"

#include <arpa/inet.h>
#include <math.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <stdlib.h>
#include <sys/epoll.h>

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

/* hands one minute to JS (start -1: the stop is over) */
void sched_emit(Schedule *s, double start, int32_t count) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value self, cb, argv[6];
  napi_get_reference_value(env, s->self, &self);
  napi_get_reference_value(env, s->on_minute, &cb);
  napi_create_double(env, start, &argv[0]);
  napi_create_int32(env, count, &argv[1]);
  napi_create_uint32(env, s->skipped, &argv[2]);
  napi_create_double(env, s->late, &argv[3]);
  napi_create_uint32(env, s->failed, &argv[4]);
  if (s->failed) napi_create_string_utf8(env, s->error, NAPI_AUTO_LENGTH, &argv[5]);
  else napi_get_null(env, &argv[5]);
  s->skipped = s->failed = 0;
  s->late = 0;
  napi_callback_scope cscope;
  napi_open_callback_scope(env, self, s->actx, &cscope);
  call_js(env, self, cb, 6, argv);
  napi_close_callback_scope(env, cscope);
  napi_close_handle_scope(env, scope);
}

static void close_all(Schedule *s) {
  if (!s->open) return;
  s->open = 0;
  s->running = 0;
  for (int fd = 0; fd < s->tcp_cap; fd++) if (s->tcp_flights[fd].serial) { s->tcp_flights[fd].serial = 0; tcp_release(&s->tcp_pool, fd); }
  tcp_pool_free(&s->tcp_pool);
  uv_timer_stop(&s->timer);
  uv_close((uv_handle_t *)&s->timer, on_handle_closed);
  close(s->ep);
  for (int i = 0; i < 2; i++) {
    if (s->icmp[i].fd < 0) continue;
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
  /* only ours are queued between the ticks' reads (a raw socket gets every echo reply of the host, which could fill
     it); drain_echo checks the identifier anyway */
  if (r == 0) r = attach_echo_filter(fd, family, id);
  if (r < 0) { int e = errno; close(fd); return -e; }
  return fd;
}

/*
 * Replies wait in the echo socket until the next tick reads them (schedule_run.c): the socket gets room for twice what
 * a tick can bring at the rate cap, as far as net.core.rmem_max allows, and the tick shortened when that is too little,
 * so no reply is dropped for want of room. The tick to use, at most tick_ms.
 */
static double fit_receive_buffer(int fd, double per_sec, double tick_ms) {
  double want = fmin(4 << 20, per_sec * tick_ms / 1000 * 2 * REPLY_TRUESIZE);
  int have = 0;
  socklen_t l = sizeof have;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &have, &l) != 0) return tick_ms;
  if (have < want) {
    int w = (int)want;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &w, sizeof w); /* the kernel caps it at rmem_max (and doubles it) */
    l = sizeof have;
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &have, &l) != 0) return tick_ms;
  }
  return fmax(1, fmin(tick_ms, floor(have / (2.0 * REPLY_TRUESIZE) / per_sec * 1000)));
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
  s->rate = s->tokens = per_sec; /* >= 1: a second's burst */
  s->tokens_at = sched_now_ms();
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
  for (int i = 0; i < 2; i++) {
    int family = i ? 6 : 4;
    EchoSock *e = &s->icmp[i];
    e->family = family;
    e->fd = open_echo(family, s->echo_id);
    if (e->fd < 0) { e->err = -e->fd; e->fd = -1; }
    napi_value why;
    if (e->fd < 0) {
      char msg[160];
      snprintf(msg, sizeof msg, "%s: %s", family == 4 ? "raw ICMP socket" : "raw ICMPv6 socket", strerror(e->err));
      CHECK(env, napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &why));
    } else {
      CHECK(env, napi_get_null(env, &why));
      s->tick_ms = fit_receive_buffer(e->fd, per_sec, s->tick_ms);
    }
    CHECK(env, napi_set_named_property(env, self, family == 4 ? "icmp4Error" : "icmp6Error", why));
  }
  napi_value tick;
  CHECK(env, napi_create_double(env, s->tick_ms, &tick));
  CHECK(env, napi_set_named_property(env, self, "tickMs", tick));
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

static napi_value js_set_targets(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8], self;
  Schedule *s = unwrap_open(env, info, &argc, argv, &self);
  if (!s) return NULL;
  int32_t *ids, *ports, *order;
  uint8_t *kinds;
  double *phases, interval, rate;
  size_t n, nk, np, no, nph;
  uint32_t na;
  bool isArr;
  if (argc < 8 || !typed_array(env, argv[0], napi_int32_array, (void **)&ids, &n) || !typed_array(env, argv[1], napi_uint8_array, (void **)&kinds, &nk) ||
      napi_is_array(env, argv[2], &isArr) != napi_ok || !isArr || napi_get_array_length(env, argv[2], &na) != napi_ok ||
      !typed_array(env, argv[3], napi_int32_array, (void **)&ports, &np) || !typed_array(env, argv[4], napi_int32_array, (void **)&order, &no) ||
      !typed_array(env, argv[5], napi_float64_array, (void **)&phases, &nph) || napi_get_value_double(env, argv[6], &interval) != napi_ok ||
      napi_get_value_double(env, argv[7], &rate) != napi_ok ||
      nk != n || na != n || np != n || no != n || nph != n || !(interval > 0) || !(rate > 0 && rate <= s->per_sec))
    return throw_msg(env, "ProbeSchedule.setTargets(ids, kinds, addresses, ports, order, phases, intervalMs, maxPerSec): arrays of one length, an interval > 0 and a rate > 0 within the constructor's");
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
    if (!bad && !(t->family = parse_ip(addr, 0, kinds[i] == KIND_TCP ? (uint16_t)ports[i] : 0, &t->to, &t->tolen))) bad = "is not an IP address";
    if (bad) {
      free(targets); free(ord); free(ph);
      char msg[200];
      snprintf(msg, sizeof msg, "ProbeSchedule.setTargets: target %zu (\"%s\") %s", i, addr, bad);
      return throw_msg(env, msg);
    }
    t->id = ids[i];
    t->kind = kinds[i];
    ord[i] = order[i];
    ph[i] = phases[i];
    if (ids[i] > max_id) max_id = ids[i];
  }
  if (max_id >= s->ids_cap) {
    int32_t cap = (max_id / 256 + 1) * 256; /* new targets come a few at a time: grow by steps, not doubling */
    if (!sched_grow_cells(s, cap) || make_out(env, self, s, cap) != napi_ok) { free(targets); free(ord); free(ph); return throw_msg(env, "ProbeSchedule: out of memory"); }
  }
  free(s->targets); free(s->order); free(s->phases);
  s->targets = targets;
  s->order = ord;
  s->phases = ph;
  s->n = (int32_t)n;
  s->interval_ms = interval;
  s->cursor = sched_now_ms();
  sched_set_rate(s, rate, s->cursor);
  if (s->running) sched_arm(s, s->cursor);
  return NULL;
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value self;
  Schedule *s = unwrap_open(env, info, NULL, NULL, &self);
  if (!s) return NULL;
  s->running = 1;
  s->stopping = 0;
  s->cursor = sched_now_ms();
  sched_arm(s, s->cursor);
  return NULL;
}

static napi_value js_stop(napi_env env, napi_callback_info info) {
  napi_value self;
  Schedule *s = unwrap_open(env, info, NULL, NULL, &self);
  if (!s) return NULL;
  s->running = 0;
  s->stopping = 1;
  uv_timer_start(&s->timer, sched_on_tick, 0, 0); /* at once: with nothing in flight the stop is over */
  return NULL;
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
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default_method, NULL },
  };
  napi_value cls;
  napi_status st = napi_define_class(env, "ProbeSchedule", NAPI_AUTO_LENGTH, js_new, NULL, 4, methods, &cls);
  if (st != napi_ok) return st;
  return napi_set_named_property(env, exports, "ProbeSchedule", cls);
}
