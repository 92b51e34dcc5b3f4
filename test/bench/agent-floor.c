/* The floor under `npm run bench:agent` (AGENT_FLOOR=1): the agent's probing and nothing else, in plain C, to tell
 * what the agent's packets and system calls cost on this machine from what node and the agent add. The same work per
 * probe as the addon's schedule (agent/native/schedule_run.c): ticks on an absolute timer, each tick reads the echo
 * replies (recvmmsg, 32 at a time, kernel stamps), the TCP probes (epoll_wait 0, TCP_INFO, the disconnect that keeps
 * the socket), expires, then sends what is due: ICMP echo requests (56-byte payload, one sendto each) on a raw socket
 * with ICMP_FILTER, TCP connects on kept sockets re-armed with EPOLL_CTL_MOD (one-shot). Each target once per
 * interval at evenly spread phases. No records, no minutes, no posts, no JavaScript; and no BPF filter on the echo
 * identifier (the bench's namespace has no other pinger), no rate cap, timeouts found by a scan.
 * Usage: agent-floor TICK_MS INTERVAL_MS TIMEOUT_MS < targets   (lines: "icmp ADDR" or "tcp ADDR PORT", IPv4)
 * Runs until SIGTERM, then prints "sent icmp N tcp N, answered icmp N tcp N" on stderr.
 * agent-floor syscall: prints what one system call costs here (the best of 5 rounds of a million getppid calls, in
 * microseconds): the agent's cost is mostly system calls, and their price differs from one VM to the next. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAXT 20000
#define SEQS 4096
typedef struct { int tcp; struct sockaddr_in to; } Target;
static Target t[MAXT];
static int n;
static int64_t icmp_t0[SEQS]; /* realtime ns, 0: free */
static int64_t icmp_dl[SEQS];
static int64_t tcp_dl[65536]; /* by fd, 0: not in flight */
static int idle[256], n_idle, max_fd;
static volatile sig_atomic_t stop;
static long sent_icmp, sent_tcp, got_icmp, got_tcp;

static int64_t now_ns(clockid_t c) { struct timespec ts; clock_gettime(c, &ts); return ts.tv_sec * 1000000000LL + ts.tv_nsec; }
static uint16_t csum(const uint8_t *p, int len) {
  uint32_t s = 0;
  for (int i = 0; i + 1 < len; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}
static void on_term(int sig) { (void)sig; stop = 1; }

/* the cheapest round: another process's CPU time only ever lengthens a round */
static int syscall_cost(void) {
  double best = 1e9;
  for (int r = 0; r < 5; r++) {
    int64_t a = now_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < 1000000; i++) syscall(SYS_getppid);
    double us = (double)(now_ns(CLOCK_MONOTONIC) - a) / 1e9;
    if (us < best) best = us;
  }
  printf("%.3f\n", best);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "syscall") == 0) return syscall_cost();
  if (argc != 4) { fprintf(stderr, "usage: agent-floor TICK_MS INTERVAL_MS TIMEOUT_MS < targets\n"); return 2; }
  double tick = atof(argv[1]), interval = atof(argv[2]);
  int64_t timeout = (int64_t)(atof(argv[3]) * 1e6);
  char kind[8], addr[64];
  int port = 0;
  char line[128];
  while (n < MAXT && fgets(line, sizeof line, stdin)) {
    port = 0;
    if (sscanf(line, "%7s %63s %d", kind, addr, &port) < 2) continue;
    t[n].tcp = strcmp(kind, "tcp") == 0;
    t[n].to.sin_family = AF_INET;
    t[n].to.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &t[n].to.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", addr); return 2; }
    n++;
  }
  signal(SIGTERM, on_term);
  int raw = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
  if (raw < 0) { perror("raw socket"); return 1; }
  int on = 1;
  setsockopt(raw, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  struct icmp_filter f = { .data = ~(1U << ICMP_ECHOREPLY) };
  setsockopt(raw, SOL_RAW, ICMP_FILTER, &f, sizeof f);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  uint16_t id = (uint16_t)getpid();
  uint8_t pkt[64] = { 8, 0, 0, 0, (uint8_t)(id >> 8), (uint8_t)id };
  uint8_t rbuf[32][128], ctl[32][64];
  struct mmsghdr rm[32];
  struct iovec riov[32];
  int64_t start = now_ns(CLOCK_MONOTONIC), next = start;
  double cursor = 0; /* ms since start: slots before it were sent */
  int seq = 0;
  while (!stop) {
    next += (int64_t)(tick * 1e6);
    struct timespec ts = { next / 1000000000LL, next % 1000000000LL };
    if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) continue;
    /* replies */
    for (;;) {
      for (int i = 0; i < 32; i++) {
        riov[i] = (struct iovec){ rbuf[i], sizeof rbuf[i] };
        rm[i].msg_hdr = (struct msghdr){ .msg_iov = &riov[i], .msg_iovlen = 1, .msg_control = ctl[i], .msg_controllen = sizeof ctl[i] };
      }
      int got = recvmmsg(raw, rm, 32, MSG_DONTWAIT, NULL);
      for (int i = 0; i < got; i++) {
        int ihl = (rbuf[i][0] & 0x0f) * 4;
        if ((int)rm[i].msg_len < ihl + 8 || rbuf[i][ihl] != 0 || (rbuf[i][ihl + 4] << 8 | rbuf[i][ihl + 5]) != id) continue;
        int s = (rbuf[i][ihl + 6] << 8 | rbuf[i][ihl + 7]) % SEQS;
        if (!icmp_t0[s]) continue;
        struct cmsghdr *c = CMSG_FIRSTHDR(&rm[i].msg_hdr);
        if (c && c->cmsg_type == SO_TIMESTAMPNS) got_icmp++;
        icmp_t0[s] = 0;
      }
      if (got < 32) break;
    }
    struct epoll_event ev[256];
    int ne = epoll_wait(ep, ev, 256, 0);
    for (int i = 0; i < ne; i++) {
      int fd = ev[i].data.fd;
      if (!tcp_dl[fd]) continue;
      struct tcp_info ti;
      socklen_t len = sizeof ti;
      if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_rtt > 0) got_tcp++;
      tcp_dl[fd] = 0;
      struct sockaddr unspec = { .sa_family = AF_UNSPEC };
      connect(fd, &unspec, sizeof unspec);
      if (n_idle < 256) idle[n_idle++] = fd; else close(fd);
    }
    /* timeouts (a scan: this program is the floor of the system calls, not of the bookkeeping) */
    int64_t mono = now_ns(CLOCK_MONOTONIC);
    for (int s = 0; s < SEQS; s++) if (icmp_t0[s] && icmp_dl[s] <= mono) icmp_t0[s] = 0;
    /* sends: target k's slots are at (k / n + j) * interval ms since start */
    double to = (double)(mono - start) / 1e6;
    for (double base = (double)(int64_t)(cursor / interval) * interval; base < to; base += interval) {
      for (int k = 0; k < n; k++) {
        double at = base + interval * k / n;
        if (at < cursor || at >= to) continue;
        if (!t[k].tcp) {
          seq = (seq + 1) % SEQS;
          pkt[2] = pkt[3] = 0;
          pkt[6] = (uint8_t)(seq >> 8);
          pkt[7] = (uint8_t)seq;
          uint16_t c = csum(pkt, sizeof pkt);
          pkt[2] = (uint8_t)(c >> 8);
          pkt[3] = (uint8_t)c;
          icmp_t0[seq] = now_ns(CLOCK_REALTIME);
          icmp_dl[seq] = mono + timeout;
          if (sendto(raw, pkt, sizeof pkt, 0, (struct sockaddr *)&t[k].to, sizeof t[k].to) < 0) icmp_t0[seq] = 0;
          sent_icmp++;
        } else {
          int reused = n_idle > 0;
          int fd = reused ? idle[--n_idle] : socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
          if (fd < 0 || fd >= 65536) continue;
          if (fd > max_fd) max_fd = fd;
          sent_tcp++;
          if (connect(fd, (struct sockaddr *)&t[k].to, sizeof t[k].to) < 0 && errno != EINPROGRESS) { close(fd); continue; }
          struct epoll_event e = { .events = EPOLLOUT | EPOLLONESHOT, .data.fd = fd };
          epoll_ctl(ep, reused ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e);
          tcp_dl[fd] = mono + timeout;
        }
      }
    }
    cursor = to;
    for (int fd = 0; fd <= max_fd && n_idle < 256; fd++) {
      if (tcp_dl[fd] && tcp_dl[fd] <= mono) {
        tcp_dl[fd] = 0;
        struct sockaddr unspec = { .sa_family = AF_UNSPEC };
        connect(fd, &unspec, sizeof unspec);
        idle[n_idle++] = fd;
      }
    }
  }
  fprintf(stderr, "sent icmp %ld tcp %ld, answered icmp %ld tcp %ld\n", sent_icmp, sent_tcp, got_icmp, got_tcp);
  return 0;
}
