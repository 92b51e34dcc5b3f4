// The addon's schedule at work (schedule.h; its JS face and what it does: schedule.c): each tick reads the replies
// that came in since the last one into the minutes' sums, expires the probes past their timeout, sends the slots due
// and hands over the minutes that are done. The timer is the process's only wake-up for probing. No JavaScript runs
// here except sched_emit, once per minute.
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include "schedule.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>

double sched_now_ms(void) { return (double)clock_ns(CLOCK_REALTIME) / 1e6; }

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

static int any_in_flight(const Schedule *s) {
  return s->in_flight[LANE_ICMP4] || s->in_flight[LANE_ICMP6] || s->in_flight[LANE_TCP];
}

/* a probe in flight is over: rtt ms, or -1 for lost */
static void settle(Schedule *s, const Flight *f, double rtt) {
  Minute *m = &s->minutes[f->minute];
  m->pending--;
  s->in_flight[f->lane]--;
  if (rtt < 0 || rtt > s->timeout_ms) return; /* a reply after the timeout is lost all the same */
  Cell *c = &m->cells[f->id];
  c->recv++;
  c->sum += rtt;
  if (c->recv == 1 || rtt < c->min) c->min = rtt;
  if (rtt > c->max) c->max = rtt;
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
    if (count) sched_emit(s, start, count);
    if (!s->open) return;
  }
}

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
  f->lane = t->family == 6 ? LANE_ICMP6 : LANE_ICMP4;
  memcpy(f->dst, addr_bytes(t->family, &t->to), t->family == 4 ? 4 : 16);
  m->pending++;
  s->in_flight[f->lane]++;
  ssize_t n;
  do {
    f->t0 = clock_ns(CLOCK_REALTIME); /* as fping: the stamp, then at once the send (set first: a veth peer answers inside sendto) */
    n = sendto(e->fd, p, PACKET_BYTES, 0, (struct sockaddr *)&t->to, t->tolen);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    /* no route, buffer full...: the probe went nowhere, it is lost */
    f->serial = 0;
    settle(s, f, -1);
    return;
  }
  add_deadline(s, KIND_ICMP, seq, f->serial, clock_ns(CLOCK_MONOTONIC) + (int64_t)(s->timeout_ms * 1e6));
  s->unread = 1;
}

static void send_tcp(Schedule *s, Target *t, int16_t mi) {
  Minute *m = &s->minutes[mi];
  m->cells[t->id].sent++;
  int64_t t0 = 0; /* set by tcp_start when it succeeds */
  const char *what;
  int fd = tcp_start(&s->tcp_pool, s->ep, &t->to, t->tolen, &t0, &what);
  if (fd < 0) {
    if (!(strcmp(what, "connect") == 0 && connect_lost(-fd))) fail(s, what, -fd); /* refused at once, no route...: simply lost */
    return;
  }
  if (!grow_by_fd((void **)&s->tcp_flights, &s->tcp_cap, sizeof *s->tcp_flights, fd)) { tcp_close(&s->tcp_pool, fd); fail(s, "tcp", ENOMEM); return; }
  Flight *f = &s->tcp_flights[fd];
  f->serial = next_serial(s);
  f->minute = mi;
  f->id = t->id;
  f->t0 = t0;
  f->lane = LANE_TCP;
  m->pending++;
  s->in_flight[LANE_TCP]++;
  add_deadline(s, KIND_TCP, fd, f->serial, t0 + (int64_t)(s->timeout_ms * 1e6));
  s->unread = 1;
}

/* the bucket filled up to now at its rate: a second of it at most, and at least one probe (a share under 1/s) */
static void refill(Schedule *s, double now) {
  s->tokens = fmin(fmax(1, s->rate), s->tokens + (now - s->tokens_at) / 1000 * s->rate);
  s->tokens_at = now;
}

void sched_set_rate(Schedule *s, double rate, double now) {
  refill(s, now);
  s->rate = rate;
  s->tokens = fmin(fmax(1, rate), s->tokens);
}

static int take_token(Schedule *s, double now) {
  refill(s, now);
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

/* how many slots come before t (a stall's passed-over slots are counted, not walked: a suspension can be long) */
static double slots_before(Schedule *s, double t) {
  double base = floor(t / s->interval_ms);
  return base * s->n + first_at_or_after(s, t - base * s->interval_ms);
}

/* the time of the first slot at or after t */
static double next_at(Schedule *s, double t) {
  if (!s->n) return INFINITY;
  double iv = s->interval_ms, base = floor(t / iv) * iv;
  int32_t k = first_at_or_after(s, t - base);
  return k < s->n ? base + s->phases[k] : base + iv + s->phases[0];
}

static void expire(Schedule *s) {
  int64_t mono = clock_ns(CLOCK_MONOTONIC);
  while (s->dl_head < s->dl_len && s->dl[s->dl_head].at <= mono) {
    Deadline d = s->dl[s->dl_head++];
    Flight *f = d.kind == KIND_ICMP ? &s->icmp_flights[d.key] : &s->tcp_flights[d.key];
    if (f->serial != d.serial) continue; /* settled already */
    f->serial = 0;
    if (d.kind == KIND_TCP) tcp_release(&s->tcp_pool, d.key);
    settle(s, f, -1);
  }
  if (s->dl_head == s->dl_len) s->dl_head = s->dl_len = 0;
}

/* Replies are read on the ticks, not when they arrive: each one carries its own arrival time (the kernel's receive
 * stamp for ICMP, TCP_INFO's handshake RTT for TCP), so reading late changes no figure, and the process is woken
 * 20 times a second by its timer instead of also once per burst of replies (bench:agent: a third of the agent's
 * wake-ups and the kernel's wake-up work per reply). Read before expire(): a reply that came in time counts even
 * when its deadline passed since. */
static void drain_echo(Schedule *s, EchoSock *e) {
  size_t alen = e->family == 4 ? 4 : 16;
  /* replies in batches, each with its own kernel stamp: a short batch says the socket is drained */
  for (int k = 0; k < s->seq_space; k += RECV_BATCH) { /* until drained: no more of ours can be queued */
    for (int i = 0; i < RECV_BATCH; i++) msg_setup(&s->rmsg[i].msg_hdr, &s->riov[i], s->rbuf[i], RECV_BYTES, &s->rfrom[i], &s->rctl[i]);
    int got;
    do got = recvmmsg(e->fd, s->rmsg, RECV_BATCH, MSG_DONTWAIT, NULL); while (got < 0 && errno == EINTR);
    for (int i = 0; i < got; i++) {
      const struct sockaddr_storage *from = &s->rfrom[i];
      int seq = echo_reply_seq(e->family, s->rbuf[i], s->rmsg[i].msg_len, from, s->echo_id, s->nonce);
      if (seq < 0 || seq >= s->seq_space) continue;
      Flight *f = &s->icmp_flights[seq];
      if (!f->serial || f->family != e->family || memcmp(addr_bytes(e->family, from), f->dst, alen) != 0) continue;
      f->serial = 0; /* one reply per probe: a duplicate is not counted */
      int64_t d = msg_stamp(&s->rmsg[i].msg_hdr) - f->t0;
      settle(s, f, d > 0 ? (double)d / 1e6 : 0); /* realtime stamps: a clock stepped back reads as 0 */
    }
    if (got < RECV_BATCH) break; /* drained, or an error (a queued ICMP error is consumed by the read) */
  }
}

static void drain_tcp(Schedule *s) {
  struct epoll_event ev[EPOLL_BATCH];
  int n;
  do {
    do n = epoll_wait(s->ep, ev, EPOLL_BATCH, 0); while (n < 0 && errno == EINTR);
    int64_t mono = clock_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < n; i++) {
      int fd = ev[i].data.fd;
      if (fd >= s->tcp_cap) continue;
      Flight *f = &s->tcp_flights[fd];
      if (!f->serial) continue; /* an idle socket (tcp_probe.h) */
      f->serial = 0;
      /* refused: nothing listens, lost (tcp_probe.h) */
      settle(s, f, tcp_finish(&s->tcp_pool, fd, ev[i].events, mono - f->t0));
    }
  } while (n == EPOLL_BATCH); /* each socket reports once (one-shot): this ends */
}

/* reads what the probes in flight have to be read from (a family or method with none costs no call) */
static void drain(Schedule *s) {
  for (int i = LANE_ICMP4; i <= LANE_ICMP6; i++) {
    if (s->icmp[i].fd >= 0 && s->in_flight[i] > 0) drain_echo(s, &s->icmp[i]);
  }
  if (s->in_flight[LANE_TCP] > 0) drain_tcp(s);
}

void sched_on_tick(uv_timer_t *h) {
  Schedule *s = (Schedule *)h->data;
  if (!s->open) return;
  double now = sched_now_ms();
  drain(s);
  s->unread = 0;
  expire(s);
  if (s->running && s->n) {
    /* after a stall (suspended process), at most one probe per target, not the whole backlog; the rest are counted */
    double from = fmax(s->cursor, now - s->interval_ms), to = now + 1, iv = s->interval_ms;
    if (from > s->cursor) s->late += slots_before(s, from) - slots_before(s, s->cursor);
    for (double base = floor(from / iv) * iv; base < to; base += iv) {
      int32_t k = first_at_or_after(s, from - base);
      for (; k < s->n && base + s->phases[k] < to; k++) send_one(s, s->order[k], now);
      if (k < s->n) break;
    }
    s->cursor = to;
  }
  if (s->stopping && !any_in_flight(s)) {
    s->stopping = 0;
    flush(s, now, 1);
    if (s->open) sched_emit(s, -1, 0);
    return;
  }
  flush(s, now, 0);
  if (s->open) sched_arm(s, now);
}

void sched_arm(Schedule *s, double now) {
  double next = INFINITY;
  if (s->running) next = fmin(next_at(s, s->cursor), floor(now / s->minute_ms) * s->minute_ms + s->minute_ms);
  for (int i = 0; i < MINUTES; i++) if (s->minutes[i].start >= 0) next = fmin(next, s->minutes[i].start + s->minute_ms);
  if (s->dl_head < s->dl_len) next = fmin(next, now + (double)(s->dl[s->dl_head].at - clock_ns(CLOCK_MONOTONIC)) / 1e6);
  /* replies are read a tick after their probes left (on a busy schedule, the next sends' tick), then at the deadlines;
     a stop reads every tick until nothing is in flight */
  if (s->unread || (s->stopping && any_in_flight(s))) next = fmin(next, now + s->tick_ms);
  if (!isfinite(next)) { uv_timer_stop(&s->timer); return; }
  double wait = fmax(s->tick_ms, ceil(next - now));
  uv_timer_start(&s->timer, sched_on_tick, (uint64_t)wait, 0);
}

/* room for `cap` ids: a minute under way keeps its cells (the new ones empty); a free slot's are made again when used */
int sched_grow_cells(Schedule *s, int32_t cap) {
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
