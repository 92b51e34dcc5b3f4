/* What the addon's probers share (icmp_socket.c, tcp_connect.c, schedule.c): clocks, the Internet checksum, reading
 * a datagram with the kernel's receive stamp, matching an echo reply's header, parsing an address. (TCP probes'
 * sockets: tcp_probe.h.) */
#ifndef VIPWATCH_PROBE_UTIL_H
#define VIPWATCH_PROBE_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NONCE_BYTES 8

static inline int64_t ns_of(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec; }

static inline int64_t clock_ns(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return ns_of(&t);
}

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* RFC 1071 over b[0, len): 0 for a message whose checksum is right */
static inline uint16_t inet_checksum(const uint8_t *b, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += get16(b + i);
  if (len & 1) sum += (uint32_t)b[len - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* Makes room in *arr (*len elements of `size` bytes, indexed by fd) for index `fd`: doubled from 1,024 until it
 * fits, the new elements zeroed. 0 when out of memory (the array is as it was). */
static inline int grow_by_fd(void **arr, int *len, size_t size, int fd) {
  if (fd < *len) return 1;
  int cap = *len ? *len : 1024;
  while (cap <= fd) cap *= 2;
  char *grown = realloc(*arr, (size_t)cap * size);
  if (!grown) return 0;
  memset(grown + (size_t)*len * size, 0, (size_t)(cap - *len) * size);
  *arr = grown;
  *len = cap;
  return 1;
}

/* room for a datagram's control messages (the SO_TIMESTAMPNS stamp) */
typedef union { char buf[CMSG_SPACE(sizeof(struct timespec)) * 2]; struct cmsghdr align; } StampCtl;

/* A received message's kernel stamp (SO_TIMESTAMPNS, CLOCK_REALTIME ns; the time of the read when the kernel gave
 * none). */
static inline int64_t msg_stamp(struct msghdr *m) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec at;
      memcpy(&at, CMSG_DATA(c), sizeof at);
      return ns_of(&at);
    }
  }
  return clock_ns(CLOCK_REALTIME); /* never seen on Linux with SO_TIMESTAMPNS; the next best */
}

/* points a message at its buffer, source and control room, lengths reset (recvmsg and recvmmsg rewrite them) */
static inline void msg_setup(struct msghdr *m, struct iovec *iov, uint8_t *buf, size_t len, struct sockaddr_storage *from, StampCtl *ctl) {
  iov->iov_base = buf;
  iov->iov_len = len;
  memset(m, 0, sizeof *m);
  m->msg_name = from;
  m->msg_namelen = sizeof *from;
  m->msg_iov = iov;
  m->msg_iovlen = 1;
  m->msg_control = ctl->buf;
  m->msg_controllen = sizeof ctl->buf;
}

/* One non-blocking recvmsg into buf: the bytes read (< 0 with errno when none), the source, and the kernel's receive
 * stamp. */
static inline ssize_t recv_stamped(int fd, uint8_t *buf, size_t len, struct sockaddr_storage *from, int64_t *at_ns) {
  struct iovec iov;
  StampCtl ctl;
  struct msghdr m;
  msg_setup(&m, &iov, buf, len, from, &ctl);
  ssize_t n;
  do n = recvmsg(fd, &m, MSG_DONTWAIT); while (n < 0 && errno == EINTR);
  if (n >= 0) *at_ns = msg_stamp(&m);
  return n;
}

/* Is b[0, n) an echo reply with this identifier and nonce, from a source of this family? Then its sequence number
 * (>= 0); else -1. IPv4 raw sockets deliver the IP header (skipped here) and any checksum; the kernel checks ICMPv6's. */
static inline int echo_reply_seq(int family, const uint8_t *b, size_t n, const struct sockaddr_storage *from, uint16_t id, const uint8_t *nonce) {
  size_t at = family == 4 ? (size_t)(b[0] & 0x0f) * 4 : 0;
  if (n < at + 8 + NONCE_BYTES || b[at] != (family == 4 ? 0 : 129) || get16(b + at + 4) != id) return -1;
  if (memcmp(b + at + 8, nonce, NONCE_BYTES) != 0 || from->ss_family != (family == 4 ? AF_INET : AF_INET6)) return -1;
  if (family == 4 && inet_checksum(b + at, n - at) != 0) return -1;
  return get16(b + at + 6);
}

/* Parses an IP address into `to` with `port` (network order done here): its family, 4 or 6, or 0 when it is not an
 * address of the family asked for (want: 4, 6, or 0 for either). */
static inline int parse_ip(const char *addr, int want, uint16_t port, struct sockaddr_storage *to, socklen_t *tolen) {
  memset(to, 0, sizeof *to);
  struct sockaddr_in *a4 = (struct sockaddr_in *)to;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)to;
  if (want != 6 && inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    *tolen = sizeof *a4;
    return 4;
  }
  if (want != 4 && inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    *tolen = sizeof *a6;
    return 6;
  }
  return 0;
}

/* Lets only echo messages with this identifier through to the socket (classic BPF): a raw socket sees every ICMP
 * message of the host that passes its type filter, so without this each prober's socket woke for the others' replies
 * (the schedule's, the jobs' probe, another agent's). IPv4 raw sockets see the IP header first; ICMPv6 ones do not.
 * On failure (-1, errno) the socket still matches the identifier itself, only with more wake-ups. */
static inline int attach_echo_filter(int fd, int family, uint16_t id) {
  struct sock_filter v4[] = {
    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),         /* X = the IP header's length */
    BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),          /* A = the ICMP identifier */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, 0xffff),
    BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_filter v6[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, 0xffff),
    BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog prog = family == 4 ? (struct sock_fprog){ 5, v4 } : (struct sock_fprog){ 4, v6 };
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

/* the source address bytes of `from` (4 or 16 of them, by family) */
static inline const void *addr_bytes(int family, const struct sockaddr_storage *from) {
  return family == 4 ? (const void *)&((const struct sockaddr_in *)from)->sin_addr : (const void *)&((const struct sockaddr_in6 *)from)->sin6_addr;
}

#endif
