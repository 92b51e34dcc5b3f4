/* TCP connect probes' sockets, shared by the schedule (schedule_run.c) and the jobs' connector (tcp_connect.c).
 *
 * A probe's socket is kept for a later probe instead of closed. A probe's end disconnects it (connect() with
 * AF_UNSPEC): a connection that was made is reset, as SO_LINGER 0 and close() did (no FIN exchange, no TIME_WAIT),
 * and the local port is given back. The next probe of that family connects it again and re-arms its one-shot epoll
 * entry. A probe so costs 4 system calls (connect, epoll_ctl, getsockopt TCP_INFO, the disconnect) instead of 6,
 * and no socket is made and torn down (bench:agent's TCP share of the agent's CPU). A new connect clears the error
 * the disconnect leaves (ECONNRESET; tcp_connect_init), so epoll's events still tell a good handshake (EPOLLOUT
 * alone) from a failed one (EPOLLERR, EPOLLHUP).
 *
 * An idle socket can be reported once more, for its disconnect, when its probe was given up before any event (a
 * timeout): callers ignore events of sockets not in flight. */
#ifndef VIPWATCH_TCP_PROBE_H
#define VIPWATCH_TCP_PROBE_H

#include "probe_util.h"

#include <netinet/tcp.h>

#define TCP_IDLE_MAX 256 /* idle sockets kept per family; more are closed */

typedef struct {
  int idle[2][TCP_IDLE_MAX]; /* disconnected sockets, still in the epoll set: [0] IPv4, [1] IPv6 */
  int n_idle[2];
  uint8_t *family; /* per fd: 1 (IPv4) or 2 (IPv6) for a socket of the pool, in flight or idle; 0 otherwise */
  int family_len;
} TcpPool;

/*
 * A connect's RTT in ms, or -1 when no handshake was made (refused, unreachable: epoll said EPOLLERR or EPOLLHUP and
 * the kernel has no RTT sample). The RTT is the kernel's own measure of SYN -> SYN/ACK (TCP_INFO's tcpi_rtt, µs:
 * after the handshake's one sample the smoothed RTT is that sample), so when the socket is read does not count, as
 * with the ICMP probe's kernel stamps. A handshake made and then reset by the server before the read (the schedule
 * reads on its ticks) still counts: its sample is there, and a refused connect has none (a new socket starts
 * without one; the disconnect of a kept one clears it). When the SYN was sent again (no clean sample): the wall time
 * to the read less how long ago the last ACK came (tcpi_last_ack_recv, ms: the SYN/ACK, or a segment of the server's
 * soon after it), so a read at a later tick or at the deadline does not count either.
 */
static inline double handshake_ms(int fd, uint32_t events, int64_t wall_ns) {
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  int have = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && len >= offsetof(struct tcp_info, tcpi_total_retrans) + sizeof ti.tcpi_total_retrans;
  if (have && ti.tcpi_total_retrans == 0 && ti.tcpi_rtt > 0) return ti.tcpi_rtt / 1000.0;
  if (events & (EPOLLERR | EPOLLHUP)) return -1;
  double ms = (double)wall_ns / 1e6;
  return have && ti.tcpi_last_ack_recv < ms ? ms - ti.tcpi_last_ack_recv : ms;
}

/* connect() errors that mean the probe is lost (said as a lost probe), not that the prober is broken */
static inline int connect_lost(int e) {
  return e == ECONNREFUSED || e == ENETUNREACH || e == EHOSTUNREACH || e == ECONNRESET || e == EADDRNOTAVAIL || e == EAGAIN;
}

/* closes a socket of the pool; close() also takes it out of the epoll set (it is never dup'ed) */
static inline void tcp_close(TcpPool *p, int fd) {
  p->family[fd] = 0;
  close(fd);
}

/* Ends a probe's use of its socket: disconnected (a reset when it had connected) and kept idle, or closed when
 * enough are idle. */
static inline void tcp_release(TcpPool *p, int fd) {
  int fi = p->family[fd] - 1;
  struct sockaddr unspec = { .sa_family = AF_UNSPEC };
  if (connect(fd, &unspec, sizeof unspec) != 0) {
    /* not seen on Linux; still no FIN exchange and no TIME_WAIT */
    struct linger l = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  } else if (p->n_idle[fi] < TCP_IDLE_MAX) {
    p->idle[fi][p->n_idle[fi]++] = fd;
    return;
  }
  tcp_close(p, fd);
}

/* closes the idle sockets (a caller releases its probes in flight first) */
static inline void tcp_pool_free(TcpPool *p) {
  for (int fi = 0; fi < 2; fi++) {
    while (p->n_idle[fi] > 0) tcp_close(p, p->idle[fi][--p->n_idle[fi]]);
  }
  free(p->family);
  p->family = NULL;
  p->family_len = 0;
}

/* Starts a TCP probe: a non-blocking connect on an idle socket of its family or a new one, watched by `ep`
 * (EPOLLOUT, once). Its fd, with *t0 the monotonic ns just before connect(); or -errno with *what the call that
 * failed (connect_lost(-r) after "connect": simply lost). */
static inline int tcp_start(TcpPool *p, int ep, const struct sockaddr_storage *to, socklen_t tolen, int64_t *t0, const char **what) {
  *what = "socket";
  int fi = to->ss_family == AF_INET6;
  int reused = p->n_idle[fi] > 0;
  int fd;
  if (reused) {
    fd = p->idle[fi][--p->n_idle[fi]];
  } else {
    fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (!grow_by_fd((void **)&p->family, &p->family_len, 1, fd)) { close(fd); return -ENOMEM; }
    p->family[fd] = (uint8_t)(fi + 1);
  }
  *t0 = clock_ns(CLOCK_MONOTONIC);
  if (connect(fd, (const struct sockaddr *)to, tolen) < 0 && errno != EINPROGRESS) {
    int e = errno;
    tcp_release(p, fd);
    *what = "connect";
    return -e;
  }
  /* armed after connect(): a socket not yet connecting reads as hung up; on a local path the handshake may be over
     already, and then the first poll reports it */
  struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT, .data.fd = fd };
  if (epoll_ctl(ep, reused ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0) {
    int e = errno;
    tcp_close(p, fd); /* not in the set (or not armable): not kept */
    *what = "epoll_ctl";
    return -e;
  }
  return fd;
}

/* Ends a TCP probe epoll reported with `events`: its RTT in ms (-1: failed, e.g. refused), wall_ns the time since
 * its start; the socket is released. A failed connect reports EPOLLERR (and EPOLLHUP) beside EPOLLOUT, a good one
 * EPOLLOUT alone (handshake_ms: unless reset since): no SO_ERROR call needed. */
static inline double tcp_finish(TcpPool *p, int fd, uint32_t events, int64_t wall_ns) {
  double rtt = handshake_ms(fd, events, wall_ns);
  tcp_release(p, fd);
  return rtt;
}

#endif
