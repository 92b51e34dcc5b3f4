// TCP connect probes for the agent (part of the icmp_socket addon): the RTT of a probe is the kernel's measure of the
// handshake (TCP_INFO), or when the SYN was retransmitted the time from just before connect() to the moment the
// connection is seen established (CLOCK_MONOTONIC, in C). Node's net.Socket
// costs a stream, a handle, several closures and events per probe; here a probe is one non-blocking socket in the
// connector's own epoll set, which node's loop watches through one uv_poll_t. Each wake-up collects every finished
// connect and hands them to JS in one call. A finished connection is reset, not closed (no TIME_WAIT), and its socket
// kept for the next probe (tcp_probe.h).
//
// JS API (agent/native/icmp-socket.ts types it):
//   new TcpConnector(onDone: (count: number) => void)  // results are in .ids / .rtts[0, count) during the call
//   .ids: Int32Array, .rtts: Float64Array               // per result: the probe's id, RTT ms (-1: failed, e.g. refused)
//   .connect(address: string, port: number): number     // starts a probe, returns its id (the socket's fd), -1: lost at once
//   .abort(id: number): void                            // gives up on a probe (timeout): its socket is released
//   .close(): void
// An id is the probe's fd: unique among the probes in flight, reused only after its result was handed over or it
// was aborted (its socket serves the next probe).
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "probe_util.h"
#include "tcp_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* results handed over per JS call; more wait for the next wake-up (the epoll fd stays readable) */
#define BATCH 256

typedef struct {
  uv_poll_t poll;
  int ep;
  int open;
  int handle_closed;
  int finalized;
  napi_env env;
  napi_ref self;
  napi_ref callback;
  napi_ref ids_ref, rtts_ref;
  int32_t *ids;
  double *rtts;
  int64_t *t0;   /* per fd: the connect() stamp, ns; 0: not in flight */
  int t0_len;
  napi_async_context actx;
  TcpPool pool;
} Connector;

static void maybe_free(Connector *c) {
  if (c->handle_closed && c->finalized) { free(c->t0); free(c); }
}

static void on_handle_closed(uv_handle_t *h) {
  Connector *c = (Connector *)h->data;
  c->handle_closed = 1;
  maybe_free(c);
}

static void close_connector(Connector *c) {
  if (!c->open) return;
  c->open = 0;
  /* every probe still in flight: its socket goes with the epoll set's owner */
  for (int fd = 0; fd < c->t0_len; fd++) if (c->t0[fd] != 0) { tcp_release(&c->pool, fd); c->t0[fd] = 0; }
  tcp_pool_free(&c->pool);
  uv_poll_stop(&c->poll);
  uv_close((uv_handle_t *)&c->poll, on_handle_closed);
  close(c->ep);
  c->ep = -1;
  napi_async_destroy(c->env, c->actx);
  napi_delete_reference(c->env, c->callback);
  napi_delete_reference(c->env, c->self);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  Connector *c = (Connector *)data;
  napi_delete_reference(env, c->ids_ref);
  napi_delete_reference(env, c->rtts_ref);
  c->finalized = 1;
  maybe_free(c);
}

static void on_ready(uv_poll_t *h, int status, int events) {
  (void)status; (void)events;
  Connector *c = (Connector *)h->data;
  if (!c->open) return;
  struct epoll_event ev[BATCH];
  int n;
  do n = epoll_wait(c->ep, ev, BATCH, 0); while (n < 0 && errno == EINTR);
  if (n <= 0) return;
  int64_t now = clock_ns(CLOCK_MONOTONIC);
  int done = 0;
  for (int i = 0; i < n; i++) {
    int fd = ev[i].data.fd;
    if (fd >= c->t0_len || c->t0[fd] == 0) continue; /* an idle socket (tcp_probe.h) */
    c->ids[done] = fd;
    c->rtts[done++] = tcp_finish(&c->pool, fd, ev[i].events, now - c->t0[fd]);
    c->t0[fd] = 0;
  }
  if (done == 0) return;
  napi_env env = c->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value self, cb, argv[1];
  napi_get_reference_value(env, c->self, &self);
  napi_get_reference_value(env, c->callback, &cb);
  napi_create_int32(env, done, &argv[0]);
  napi_callback_scope cscope;
  napi_open_callback_scope(env, self, c->actx, &cscope);
  call_js(env, self, cb, 1, argv);
  napi_close_callback_scope(env, cscope);
  napi_close_handle_scope(env, scope);
}

static Connector *unwrap_open(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  Connector *c;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok || napi_unwrap(env, self, (void **)&c) != napi_ok) {
    throw_msg(env, "TcpConnector: not a TcpConnector");
    return NULL;
  }
  if (!c->open) { throw_msg(env, "TcpConnector: closed"); return NULL; }
  return c;
}

static napi_value js_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return throw_msg(env, "TcpConnector: bad call");
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) return throw_msg(env, "TcpConnector(onDone): onDone must be a function");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return throw_errno(env, "epoll_create1", errno);
  Connector *c = calloc(1, sizeof *c);
  if (!c) { close(ep); return throw_msg(env, "TcpConnector: out of memory"); }
  c->ep = ep;
  c->env = env;
  c->handle_closed = 1;
  napi_value ab_ids, ab_rtts, ids, rtts;
  void *p_ids, *p_rtts;
  if (napi_create_arraybuffer(env, BATCH * sizeof(int32_t), &p_ids, &ab_ids) != napi_ok ||
      napi_create_arraybuffer(env, BATCH * sizeof(double), &p_rtts, &ab_rtts) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, BATCH, ab_ids, 0, &ids) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, BATCH, ab_rtts, 0, &rtts) != napi_ok ||
      napi_set_named_property(env, self, "ids", ids) != napi_ok ||
      napi_set_named_property(env, self, "rtts", rtts) != napi_ok ||
      napi_wrap(env, self, c, finalize, NULL, NULL) != napi_ok) {
    close(ep); free(c); return throw_msg(env, "TcpConnector: cannot set up the object");
  }
  c->ids = p_ids;
  c->rtts = p_rtts;
  napi_create_reference(env, ids, 1, &c->ids_ref);
  napi_create_reference(env, rtts, 1, &c->rtts_ref);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int r = uv_poll_init(loop, &c->poll, ep);
  if (r < 0) { close(ep); c->ep = -1; return throw_errno(env, "uv_poll_init", -r); }
  c->poll.data = c;
  c->handle_closed = 0;
  napi_value name;
  napi_create_reference(env, argv[0], 1, &c->callback);
  napi_create_reference(env, self, 1, &c->self);
  napi_create_string_utf8(env, "TcpConnector", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &c->actx);
  c->open = 1;
  r = uv_poll_start(&c->poll, UV_READABLE, on_ready);
  if (r < 0) { close_connector(c); return throw_errno(env, "uv_poll_start", -r); }
  /* an idle connector does not keep node running; probes in flight are held by their timeouts' timer */
  uv_unref((uv_handle_t *)&c->poll);
  return self;
}

static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Connector *c = unwrap_open(env, info, &argc, argv);
  if (!c) return NULL;
  char addr[INET6_ADDRSTRLEN + 1];
  size_t alen;
  uint32_t port;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], addr, sizeof addr, &alen) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &port) != napi_ok || port < 1 || port > 65535)
    return throw_msg(env, "TcpConnector.connect(address, port): an IP address and a port 1..65535");
  struct sockaddr_storage to;
  socklen_t tolen;
  if (!parse_ip(addr, 0, (uint16_t)port, &to, &tolen)) {
    char msg[128];
    snprintf(msg, sizeof msg, "TcpConnector.connect: \"%s\" is not an IP address", addr);
    return throw_msg(env, msg);
  }
  int64_t t0 = 0; /* set by tcp_start when it succeeds */
  const char *what;
  int fd = tcp_start(&c->pool, c->ep, &to, tolen, &t0, &what);
  if (fd < 0) {
    if (strcmp(what, "connect") != 0 || !connect_lost(-fd)) return throw_errno(env, what, -fd);
    /* refused at once, no route...: a lost probe, said with -1 */
    napi_value lost;
    napi_create_int32(env, -1, &lost);
    return lost;
  }
  if (!grow_by_fd((void **)&c->t0, &c->t0_len, sizeof *c->t0, fd)) { tcp_close(&c->pool, fd); return throw_msg(env, "TcpConnector: out of memory"); }
  c->t0[fd] = t0 ? t0 : 1;
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

static napi_value js_abort(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Connector *c = unwrap_open(env, info, &argc, argv);
  if (!c) return NULL;
  int32_t fd;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return throw_msg(env, "TcpConnector.abort(id): id must be a number");
  if (fd >= 0 && fd < c->t0_len && c->t0[fd] != 0) {
    c->t0[fd] = 0;
    tcp_release(&c->pool, fd);
  }
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value self;
  Connector *c;
  if (napi_get_cb_info(env, info, NULL, NULL, &self, NULL) != napi_ok || napi_unwrap(env, self, (void **)&c) != napi_ok) return NULL;
  close_connector(c);
  return NULL;
}

/* adds TcpConnector to the addon's exports (called from icmp_socket.c's init) */
napi_status tcp_connect_init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    { "connect", NULL, js_connect, NULL, NULL, NULL, napi_default_method, NULL },
    { "abort", NULL, js_abort, NULL, NULL, NULL, napi_default_method, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default_method, NULL },
  };
  napi_value cls;
  napi_status st = napi_define_class(env, "TcpConnector", NAPI_AUTO_LENGTH, js_new, NULL, 3, methods, &cls);
  if (st != napi_ok) return st;
  return napi_set_named_property(env, exports, "TcpConnector", cls);
}
