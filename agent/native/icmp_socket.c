// A raw ICMP / ICMPv6 socket for the agent's echo probe, timed the way fping times: the send is stamped with
// CLOCK_REALTIME immediately before sendto(), the reply with the kernel's own receive stamp (SO_TIMESTAMPNS, read from
// recvmsg's control data), so nothing the event loop does between the packet's arrival and our read counts as RTT.
// Readability is watched with a uv_poll_t on node's loop; each wake-up drains up to DRAIN_MAX datagrams without
// blocking and hands each to the JS callback as (buffer, bytes, source, recvTimeNs: bigint). The buffer is one
// receive buffer owned by the socket and reused for every datagram: the callback must parse it before returning.
//
// JS API (agent/native/icmp-socket.ts wraps and types it):
//   new IcmpSocket(family: 4 | 6, acceptTypes: number[] | null, onPacket)  // acceptTypes: kernel ICMP type filter
//   .send(packet: Buffer, address: string): bigint  // CLOCK_REALTIME ns taken just before sendto()
//   .setTtl(ttl: number): void                      // IP_TTL / IPV6_UNICAST_HOPS for the next sends
//   .close(): void
//   .echoMode(id: number, nonce: Buffer(8), onReplies: (count) => void): void
//       from then on the socket matches echo replies itself: type echo reply, our identifier, the 8-byte nonce at the
//       start of the payload, a sequence number we await, from the address it went to, (IPv4) a right checksum. Each
//       wake-up hands the matched ones over in one call: .seqs / .rtts[0, count) (Int32Array, Float64Array: RTT in
//       ms = kernel receive stamp - send stamp). onPacket is no longer called. One JS call per batch instead of one
//       per datagram, and no BigInt or string per probe.
//   .sendEcho(packet: Buffer, address: string, seq: number): void   // seq < .seqSpace; stamps and sends
// Errors are thrown as JS errors "syscall: strerror" with code set to the errno name (EPERM, ENOBUFS...).
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "probe_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RBUF_BYTES 4096
/* datagrams read per wake-up before yielding to the rest of the loop (the poll is level-triggered: it fires again) */
#define DRAIN_MAX 64
/* echo mode: sequence numbers are below this (the tables of send stamps and addresses are indexed by them) */
#define SEQ_SPACE 16384

typedef struct {
  uv_poll_t poll;
  int fd;
  int family;
  int open;           /* fd and poll active, JS object pinned */
  int handle_closed;  /* uv_close finished (or the poll was never started) */
  int finalized;      /* the JS object is gone */
  napi_env env;
  napi_ref self;      /* strong while open: an open socket is not collected under its pending probes */
  napi_ref callback;
  napi_ref rbuf;
  uint8_t *rdata;
  napi_async_context actx;
  /* echo mode (echoMode()): replies are matched and timed here, handed over in batches */
  int echo;
  uint16_t echo_id;
  uint8_t nonce[NONCE_BYTES];
  int64_t *t0;        /* per sequence number: the send stamp (ns), 0 when none is awaited */
  uint8_t *dst;       /* per sequence number: the address it went to (4 or 16 bytes) */
  napi_ref on_replies;
  int32_t *bseq;
  double *brtt;
} IcmpSocket;

static void maybe_free(IcmpSocket *s) {
  if (s->handle_closed && s->finalized) { free(s->t0); free(s->dst); free(s); }
}

static void on_handle_closed(uv_handle_t *h) {
  IcmpSocket *s = (IcmpSocket *)h->data;
  s->handle_closed = 1;
  maybe_free(s);
}

/* stops watching, closes the fd, unpins the object; callable from JS (close) only, never from a finalizer */
static void close_socket(IcmpSocket *s) {
  if (!s->open) return;
  s->open = 0;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  close(s->fd);
  s->fd = -1;
  napi_async_destroy(s->env, s->actx);
  napi_delete_reference(s->env, s->callback);
  if (s->echo) napi_delete_reference(s->env, s->on_replies);
  napi_delete_reference(s->env, s->self);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  IcmpSocket *s = (IcmpSocket *)data;
  /* open sockets are pinned by s->self, so only a closed one (or one dropped at env teardown) gets here */
  napi_delete_reference(env, s->rbuf);
  s->finalized = 1;
  maybe_free(s);
}

/* echo mode: is this datagram the reply to a probe we await? Then its sequence number and RTT go into the batch. */
static int match_echo(IcmpSocket *s, size_t n, const struct sockaddr_storage *from, int64_t t1, int *matched) {
  int seq = echo_reply_seq(s->family, s->rdata, n, from, s->echo_id, s->nonce);
  size_t alen = s->family == 4 ? 4 : 16;
  if (seq < 0 || seq >= SEQ_SPACE || s->t0[seq] == 0 || memcmp(addr_bytes(s->family, from), s->dst + (size_t)seq * alen, alen) != 0) return 0;
  int64_t d = t1 - s->t0[seq];
  s->t0[seq] = 0; /* one reply per probe: a duplicate is not counted */
  s->bseq[*matched] = seq;
  s->brtt[*matched] = d > 0 ? (double)d / 1e6 : 0; /* realtime stamps: a clock stepped back reads as 0 */
  (*matched)++;
  return 1;
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  IcmpSocket *s = (IcmpSocket *)h->data;
  (void)status; /* an error (status < 0, or a queued socket error) is read and so cleared by the recvmsg below */
  if (!s->open) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value self, cb, buf;
  napi_get_reference_value(env, s->self, &self);
  napi_get_reference_value(env, s->callback, &cb);
  napi_get_reference_value(env, s->rbuf, &buf);
  /* one callback scope for the batch: promise reactions run once, after every datagram was handed over */
  napi_callback_scope cscope;
  napi_open_callback_scope(env, self, s->actx, &cscope);
  int matched = 0;
  for (int k = 0; k < DRAIN_MAX && s->open; k++) {
    struct sockaddr_storage from;
    int64_t at_ns;
    ssize_t n = recv_stamped(s->fd, s->rdata, RBUF_BYTES, &from, &at_ns);
    /* EAGAIN: drained; anything else (a queued ICMP error) is consumed by this read and not ours to act on */
    if (n < 0) break;
    if (s->echo) {
      match_echo(s, (size_t)(n > RBUF_BYTES ? RBUF_BYTES : n), &from, at_ns, &matched);
      continue;
    }
    char addr[INET6_ADDRSTRLEN] = "";
    if (from.ss_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)&from)->sin_addr, addr, sizeof addr);
    else if (from.ss_family == AF_INET6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&from)->sin6_addr, addr, sizeof addr);
    napi_handle_scope inner;
    napi_open_handle_scope(env, &inner);
    napi_value argv[4];
    napi_create_uint32(env, (uint32_t)(n > RBUF_BYTES ? RBUF_BYTES : n), &argv[1]);
    napi_create_string_utf8(env, addr, NAPI_AUTO_LENGTH, &argv[2]);
    napi_create_bigint_int64(env, at_ns, &argv[3]);
    argv[0] = buf;
    bool threw = call_js(env, self, cb, 4, argv);
    napi_close_handle_scope(env, inner);
    if (threw) {
      break;
    }
  }
  if (s->echo && matched > 0 && s->open) {
    napi_value replies, argv1;
    napi_get_reference_value(env, s->on_replies, &replies);
    napi_create_int32(env, matched, &argv1);
    call_js(env, self, replies, 1, &argv1);
  }
  napi_close_callback_scope(env, cscope);
  napi_close_handle_scope(env, scope);
}

static napi_value js_new(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], self;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 3) return throw_msg(env, "IcmpSocket(family, acceptTypes, onPacket): 3 arguments expected");
  int32_t family;
  if (napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6))
    return throw_msg(env, "IcmpSocket: family must be 4 or 6");
  napi_valuetype t;
  CHECK(env, napi_typeof(env, argv[2], &t));
  if (t != napi_function) return throw_msg(env, "IcmpSocket: onPacket must be a function");

  /* the accepted ICMP types (null: all); checked before the socket exists */
  uint32_t v4block = 0xffffffffu;
  struct icmp6_filter f6;
  ICMP6_FILTER_SETBLOCKALL(&f6);
  bool all = false;
  CHECK(env, napi_typeof(env, argv[1], &t));
  if (t == napi_null || t == napi_undefined) all = true;
  else {
    bool isArray;
    CHECK(env, napi_is_array(env, argv[1], &isArray));
    if (!isArray) return throw_msg(env, "IcmpSocket: acceptTypes must be an array of ICMP types or null");
    uint32_t len;
    CHECK(env, napi_get_array_length(env, argv[1], &len));
    for (uint32_t i = 0; i < len; i++) {
      napi_value v;
      int32_t type;
      CHECK(env, napi_get_element(env, argv[1], i, &v));
      if (napi_get_value_int32(env, v, &type) != napi_ok || type < 0 || type > 255 || (family == 4 && type > 31))
        return throw_msg(env, "IcmpSocket: acceptTypes holds a value that is not an ICMP type (0..31 for IPv4, 0..255 for IPv6)");
      if (family == 4) v4block &= ~(1u << type);
      else ICMP6_FILTER_SETPASS(type, &f6);
    }
  }

  int fd = family == 4 ? socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP)
                       : socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0) {
    int e = errno; close(fd); return throw_errno(env, "setsockopt(SO_TIMESTAMPNS)", e);
  }
  if (!all) {
    int r = family == 4 ? setsockopt(fd, SOL_RAW, ICMP_FILTER, &v4block, sizeof v4block)
                        : setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f6, sizeof f6);
    if (r < 0) { int e = errno; close(fd); return throw_errno(env, "setsockopt(ICMP_FILTER)", e); }
  }

  IcmpSocket *s = calloc(1, sizeof *s);
  if (!s) { close(fd); return throw_msg(env, "IcmpSocket: out of memory"); }
  s->fd = fd;
  s->family = family;
  s->env = env;
  s->handle_closed = 1; /* until the poll handle exists */
  napi_value rbuf, name;
  if (napi_create_buffer(env, RBUF_BYTES, (void **)&s->rdata, &rbuf) != napi_ok ||
      napi_wrap(env, self, s, finalize, NULL, NULL) != napi_ok) {
    close(fd); free(s); return throw_msg(env, "IcmpSocket: cannot set up the object");
  }
  /* from here the finalizer owns s */
  uv_loop_t *loop;
  CHECK(env, napi_create_reference(env, rbuf, 1, &s->rbuf));
  CHECK(env, napi_get_uv_event_loop(env, &loop));
  int r = uv_poll_init(loop, &s->poll, fd);
  if (r < 0) { close(fd); return throw_errno(env, "uv_poll_init", -r); }
  s->poll.data = s;
  s->handle_closed = 0;
  CHECK(env, napi_create_reference(env, argv[2], 1, &s->callback));
  CHECK(env, napi_create_reference(env, self, 1, &s->self));
  CHECK(env, napi_create_string_utf8(env, "IcmpSocket", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_async_init(env, self, name, &s->actx));
  s->open = 1;
  r = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (r < 0) { close_socket(s); return throw_errno(env, "uv_poll_start", -r); }
  return self;
}

static IcmpSocket *unwrap_open(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  IcmpSocket *s;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok || napi_unwrap(env, self, (void **)&s) != napi_ok) {
    throw_msg(env, "IcmpSocket: not an IcmpSocket");
    return NULL;
  }
  if (!s->open) { throw_msg(env, "IcmpSocket: the socket is closed"); return NULL; }
  return s;
}

static napi_value not_address(napi_env env, const char *method, const char *addr, int family) {
  char msg[128];
  snprintf(msg, sizeof msg, "IcmpSocket.%s: \"%s\" is not an IPv%d address", method, addr, family);
  return throw_msg(env, msg);
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  IcmpSocket *s = unwrap_open(env, info, &argc, argv);
  if (!s) return NULL;
  void *data;
  size_t len;
  bool isBuf;
  if (argc < 2 || napi_is_buffer(env, argv[0], &isBuf) != napi_ok || !isBuf) return throw_msg(env, "IcmpSocket.send(packet, address): packet must be a Buffer");
  CHECK(env, napi_get_buffer_info(env, argv[0], &data, &len));
  char addr[INET6_ADDRSTRLEN + 1];
  size_t alen;
  if (napi_get_value_string_utf8(env, argv[1], addr, sizeof addr, &alen) != napi_ok) return throw_msg(env, "IcmpSocket.send: address must be a string");
  struct sockaddr_storage to;
  socklen_t tolen;
  if (!parse_ip(addr, s->family, 0, &to, &tolen)) return not_address(env, "send", addr, s->family);
  struct timespec t0;
  ssize_t n;
  do {
    clock_gettime(CLOCK_REALTIME, &t0); /* as fping: the stamp, then at once the send */
    n = sendto(s->fd, data, len, 0, (struct sockaddr *)&to, tolen);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, "sendto", errno);
  napi_value out;
  CHECK(env, napi_create_bigint_int64(env, ns_of(&t0), &out));
  return out;
}

static napi_value js_set_ttl(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  IcmpSocket *s = unwrap_open(env, info, &argc, argv);
  if (!s) return NULL;
  int32_t ttl;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &ttl) != napi_ok || ttl < 1 || ttl > 255)
    return throw_msg(env, "IcmpSocket.setTtl(ttl): ttl must be an integer in 1..255");
  int r = s->family == 4 ? setsockopt(s->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl)
                         : setsockopt(s->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
  if (r < 0) return throw_errno(env, s->family == 4 ? "setsockopt(IP_TTL)" : "setsockopt(IPV6_UNICAST_HOPS)", errno);
  return NULL;
}

/* echoMode(id, nonce, onReplies): from now on the socket matches echo replies itself (see the header) */
static napi_value js_echo_mode(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], self;
  IcmpSocket *s;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (napi_unwrap(env, self, (void **)&s) != napi_ok || !s->open) return throw_msg(env, "IcmpSocket.echoMode: not an open IcmpSocket");
  if (s->echo) return throw_msg(env, "IcmpSocket.echoMode: already in echo mode");
  uint32_t id;
  void *nonce;
  size_t nlen;
  bool isBuf = false;
  napi_valuetype t = napi_undefined;
  if (argc < 3 || napi_get_value_uint32(env, argv[0], &id) != napi_ok || id > 0xffff ||
      napi_is_buffer(env, argv[1], &isBuf) != napi_ok || !isBuf || napi_get_buffer_info(env, argv[1], &nonce, &nlen) != napi_ok ||
      nlen != NONCE_BYTES || napi_typeof(env, argv[2], &t) != napi_ok || t != napi_function)
    return throw_msg(env, "IcmpSocket.echoMode(id, nonce, onReplies): an echo identifier 0..65535, an 8-byte nonce Buffer, a function");
  size_t alen = s->family == 4 ? 4 : 16;
  s->t0 = calloc(SEQ_SPACE, sizeof *s->t0);
  s->dst = calloc(SEQ_SPACE, alen);
  if (!s->t0 || !s->dst) return throw_msg(env, "IcmpSocket.echoMode: out of memory");
  napi_value ab_seq, ab_rtt, seqs, rtts, space;
  void *p_seq, *p_rtt;
  CHECK(env, napi_create_arraybuffer(env, DRAIN_MAX * sizeof(int32_t), &p_seq, &ab_seq));
  CHECK(env, napi_create_arraybuffer(env, DRAIN_MAX * sizeof(double), &p_rtt, &ab_rtt));
  CHECK(env, napi_create_typedarray(env, napi_int32_array, DRAIN_MAX, ab_seq, 0, &seqs));
  CHECK(env, napi_create_typedarray(env, napi_float64_array, DRAIN_MAX, ab_rtt, 0, &rtts));
  CHECK(env, napi_set_named_property(env, self, "seqs", seqs));
  CHECK(env, napi_set_named_property(env, self, "rtts", rtts));
  CHECK(env, napi_create_uint32(env, SEQ_SPACE, &space));
  CHECK(env, napi_set_named_property(env, self, "seqSpace", space));
  CHECK(env, napi_create_reference(env, argv[2], 1, &s->on_replies));
  s->bseq = p_seq;
  s->brtt = p_rtt;
  s->echo_id = (uint16_t)id;
  attach_echo_filter(s->fd, s->family, s->echo_id); /* fewer wake-ups; the match below checks the identifier anyway */
  memcpy(s->nonce, nonce, NONCE_BYTES);
  s->echo = 1;
  return NULL;
}

/* sendEcho(packet, address, seq): send() for echo mode; the stamp and the address are kept under seq */
static napi_value js_send_echo(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  IcmpSocket *s = unwrap_open(env, info, &argc, argv);
  if (!s) return NULL;
  if (!s->echo) return throw_msg(env, "IcmpSocket.sendEcho: call echoMode first");
  void *data;
  size_t len;
  bool isBuf = false;
  uint32_t seq;
  char addr[INET6_ADDRSTRLEN + 1];
  size_t alen;
  if (argc < 3 || napi_is_buffer(env, argv[0], &isBuf) != napi_ok || !isBuf || napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], addr, sizeof addr, &alen) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &seq) != napi_ok || seq >= SEQ_SPACE)
    return throw_msg(env, "IcmpSocket.sendEcho(packet, address, seq): a Buffer, an address string, a sequence number below seqSpace");
  struct sockaddr_storage to;
  socklen_t tolen;
  if (!parse_ip(addr, s->family, 0, &to, &tolen)) return not_address(env, "sendEcho", addr, s->family);
  memcpy(s->dst + (size_t)seq * (s->family == 4 ? 4 : 16), addr_bytes(s->family, &to), s->family == 4 ? 4 : 16);
  struct timespec t0;
  ssize_t n;
  do {
    clock_gettime(CLOCK_REALTIME, &t0); /* as fping: the stamp, then at once the send */
    s->t0[seq] = ns_of(&t0);            /* set before sendto(): on a veth path the reply is read inside it */
    n = sendto(s->fd, data, len, 0, (struct sockaddr *)&to, tolen);
  } while (n < 0 && errno == EINTR);
  if (n < 0) { s->t0[seq] = 0; return throw_errno(env, "sendto", errno); }
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value self;
  IcmpSocket *s;
  CHECK(env, napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  CHECK(env, napi_unwrap(env, self, (void **)&s));
  close_socket(s);
  return NULL;
}

napi_status tcp_connect_init(napi_env env, napi_value exports); /* tcp_connect.c */
napi_status schedule_init(napi_env env, napi_value exports);    /* schedule.c */
napi_status pages_init(napi_env env, napi_value exports);       /* pages.c */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    { "send", NULL, js_send, NULL, NULL, NULL, napi_default_method, NULL },
    { "setTtl", NULL, js_set_ttl, NULL, NULL, NULL, napi_default_method, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default_method, NULL },
    { "echoMode", NULL, js_echo_mode, NULL, NULL, NULL, napi_default_method, NULL },
    { "sendEcho", NULL, js_send_echo, NULL, NULL, NULL, napi_default_method, NULL },
  };
  napi_value cls;
  CHECK(env, napi_define_class(env, "IcmpSocket", NAPI_AUTO_LENGTH, js_new, NULL, 5, methods, &cls));
  CHECK(env, napi_set_named_property(env, exports, "IcmpSocket", cls));
  CHECK(env, tcp_connect_init(env, exports));
  CHECK(env, schedule_init(env, exports));
  CHECK(env, pages_init(env, exports));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
