/* The addon's continuous ICMP/TCP schedule, shared by its two halves: schedule_run.c (the probing itself: slots,
 * sends, replies, timeouts, minutes) and schedule.c (its Node-API face). See schedule.c for what it does. */
#ifndef VIPWATCH_SCHEDULE_H
#define VIPWATCH_SCHEDULE_H

#include <node_api.h>
#include <uv.h>

#include "probe_util.h"
#include "tcp_probe.h"

#define PAYLOAD_BYTES 56
#define PACKET_BYTES (8 + PAYLOAD_BYTES)
/* replies read per recvmmsg, and each one's room: an IPv4 header with options and our echo (a longer datagram is
   cut short, fails the checksum and is not ours anyway) */
#define RECV_BATCH 32
#define RECV_BYTES (60 + PACKET_BYTES)
/* epoll events read per call when the TCP probes are read */
#define EPOLL_BATCH 256
/* the most an echo reply of ours takes of a socket's receive buffer (skb truesize: 832 bytes measured on lo) */
#define REPLY_TRUESIZE 1024
/* minutes counted at once: the one under way, the ones whose probes are still in flight, and slack for a stall */
#define MINUTES 8

enum { KIND_ICMP = 0, KIND_TCP = 1 };
/* where a probe's answer is read: the two echo sockets (LANE_ICMP4/6 are their indexes in icmp[]) and the TCP
   epoll set */
enum { LANE_ICMP4 = 0, LANE_ICMP6 = 1, LANE_TCP = 2 };

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
  uint8_t lane;    /* LANE_* */
  uint8_t dst[16];
} Flight;

/* a probe's deadline: deadlines come in send order (one timeout for all), so a FIFO */
typedef struct { int64_t at; uint32_t serial; int32_t key; uint8_t kind; } Deadline;

typedef struct {
  int fd;
  int family;
  int err; /* why it could not be opened (errno), when fd is -1 */
} EchoSock;

typedef struct {
  napi_env env;
  napi_ref self, on_minute, out_ref;
  napi_async_context actx;
  double *out;
  int32_t out_cap; /* cells */
  uv_timer_t timer; /* the only wake-up: sends, reads, timeouts and minutes all happen on its ticks */
  int ep;
  EchoSock icmp[2]; /* IPv4, IPv6; fd -1 when it could not be opened */
  int open_handles;
  int open, finalized, running, stopping;
  /* settings */
  double minute_ms, timeout_ms, tick_ms, per_sec; /* per_sec: the most it is ever given (sizes its buffers) */
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
  Flight *tcp_flights; /* by fd */
  int tcp_cap;
  TcpPool tcp_pool;
  int32_t in_flight[3]; /* probes in flight by LANE_* */
  int32_t seq;
  int unread;              /* probes left since the last read: read again a tick later */
  uint32_t serial;
  Deadline *dl;
  int32_t dl_head, dl_len, dl_cap;
  /* token bucket: rate a second (its share of the host's cap, set with the targets), a second of it as burst */
  double rate, tokens, tokens_at;
  /* since the last minute handed over */
  uint32_t skipped, failed;
  double late;             /* slots a stall passed over (a day's suspension can pass over more than 2^32) */
  char error[160];
  uint16_t echo_id;
  uint8_t nonce[NONCE_BYTES];
  uint8_t packet[PACKET_BYTES];
  /* one recvmmsg's messages */
  struct mmsghdr rmsg[RECV_BATCH];
  struct iovec riov[RECV_BATCH];
  struct sockaddr_storage rfrom[RECV_BATCH];
  StampCtl rctl[RECV_BATCH];
  uint8_t rbuf[RECV_BATCH][RECV_BYTES];
} Schedule;

double sched_now_ms(void);
/* (re)arms the timer for the next slot, minute end or deadline, at least tick_ms away */
void sched_arm(Schedule *s, double now);
/* the token bucket's rate from now: what was filled at the old rate, no more than a second of the new one */
void sched_set_rate(Schedule *s, double rate, double now);
void sched_on_tick(uv_timer_t *h);
/* room for `cap` target ids; 0 when out of memory */
int sched_grow_cells(Schedule *s, int32_t cap);
/* schedule.c: hands one minute's cells (s->out) to JavaScript; start -1: the stop is over */
void sched_emit(Schedule *s, double start, int32_t count);

#endif
