#!/usr/bin/env python3
# A delaying wire for network-namespace tests (this kernel has no netem, and nftables' `queue` is refused):
# run inside a namespace that holds the two ends A and B of a cut link, it copies every Ethernet frame between
# them through AF_PACKET sockets, holding frames that go A -> B for DELAY_A_B ms and B -> A for DELAY_B_A ms.
# The namespaces on either side see one plain link (same subnet, ARP passes through), so no hop is added and no
# TTL changes: only the RTT of everything behind the wire grows. The delay can be changed while it runs: a line
# "A_B B_A" (ms) on stdin sets both; each change is acknowledged with "delay A_B B_A" on stdout.
# Usage: delay-wire.py DEV_A DEV_B DELAY_A_B DELAY_B_A; prints "ready" once both sockets are bound.
import collections
import os
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def bind(dev):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((dev, 0))
    s.setblocking(False)
    return s


def main():
    dev_a, dev_b = sys.argv[1], sys.argv[2]
    delay = [float(sys.argv[3]) / 1000, float(sys.argv[4]) / 1000]
    socks = [bind(dev_a), bind(dev_b)]
    # one FIFO per direction: the delay is the same for every frame of a direction, so release order is arrival order
    held = [collections.deque(), collections.deque()]
    stdin = sys.stdin.fileno()
    watch = [socks[0], socks[1], stdin]
    print('ready', flush=True)
    while True:
        now = time.monotonic()
        due = [q[0][0] for q in held if q]
        timeout = max(0.0, min(due) - now) if due else None
        readable, _, _ = select.select(watch, [], [], timeout)
        for s in readable:
            if s == stdin:
                line = os.read(stdin, 256).decode()
                if not line:  # the test went away: stop
                    return
                parts = line.split()
                if len(parts) == 2:
                    delay = [float(parts[0]) / 1000, float(parts[1]) / 1000]
                    print(f'delay {parts[0]} {parts[1]}', flush=True)
                continue
            side = 0 if s is socks[0] else 1
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:  # our own copy of a frame we sent out of this end
                    continue
                held[side].append((time.monotonic() + delay[side], frame))
        now = time.monotonic()
        for side in (0, 1):
            q = held[side]
            while q and q[0][0] <= now:
                _, frame = q.popleft()
                try:
                    socks[1 - side].send(frame)
                except OSError:
                    pass  # the link went down (cleanup): drop the frame, as a wire would


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
