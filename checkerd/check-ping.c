/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ping: one ICMP/ICMPv6 echo over an unprivileged datagram ping socket
 * (SOCK_DGRAM, IPPROTO_ICMP[V6]); the kernel fills in the identifier and
 * delivers only replies to this socket. Needs the daemon's group inside
 * net.ipv4.ping_group_range (units/ ships the sysctl.d drop-in); without it
 * the check cannot run and says so (unknown, not down). */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "check-types.h"

#define PING_DATA 16

typedef struct PingAttempt {
        int fd;
        ProbeIo *io;
        uint16_t seq;
        uint8_t data[PING_DATA];
} PingAttempt;

static void ping_cancel(Probe *p) {
        PingAttempt *a = TAKE_PTR(p->data);
        if (!a)
                return;
        a->io = probe_io_close(a->io, &a->fd);
        free(a);
}

static void ping_finish(Probe *p, CheckResultKind r, const char *fmt, ...) _printf_(3, 4);
static void ping_finish(Probe *p, CheckResultKind r, const char *fmt, ...) {
        char detail[CHECK_DETAIL_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        ping_cancel(p);
        probe_attempt_done(p, r, p->conf->weight, detail);
}

static void on_io(ProbeIo *s, int fd, uint32_t revents, void *userdata) {
        Probe *p = userdata;
        PingAttempt *a = p->data;
        bool v6 = p->target.address.family == AF_INET6;
        uint8_t buf[512];

        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return;
                        ping_finish(p, CHECK_RESULT_DOWN, "ICMP error: %s", strerror(errno));
                        return;
                }
                /* The kernel hands us the ICMP header and data, no IP header. */
                if ((size_t) n < 8 + PING_DATA)
                        continue;
                uint8_t type = buf[0];
                uint16_t seq = (uint16_t) (buf[6] << 8 | buf[7]);
                if (type != (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY) || seq != a->seq ||
                    memcmp(buf + 8, a->data, PING_DATA) != 0)
                        continue; /* a late reply to an earlier attempt */
                ping_finish(p, CHECK_RESULT_UP, "echo reply");
                return;
        }
}

static int ping_start(Probe *p) {
        bool v6 = p->target.address.family == AF_INET6;
        PingAttempt *a;
        uint8_t pkt[8 + PING_DATA] = {};
        int fd = -EBADF, r;

        r = probe_socket_connect(p, SOCK_DGRAM, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, &fd);
        if (r == -EACCES || r == -EPERM || r == -EPROTONOSUPPORT) {
                probe_attempt_done(p, CHECK_RESULT_ERROR, 0,
                                   "cannot open a ping socket: our group is not in net.ipv4.ping_group_range");
                return 0;
        }
        if (r < 0)
                return probe_connect_failed(p, r);
        a = calloc(1, sizeof *a);
        if (!a) {
                safe_close(fd);
                return -ENOMEM;
        }
        a->fd = fd;
        p->data = a;
        if (getrandom(a->data, sizeof a->data, GRND_NONBLOCK) != sizeof a->data)
                for (size_t i = 0; i < sizeof a->data; i++)
                        a->data[i] = (uint8_t) random();
        a->seq = (uint16_t) (p->counters[COUNTER_RUNS] & 0xffff);

        pkt[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
        pkt[6] = (uint8_t) (a->seq >> 8);
        pkt[7] = (uint8_t) a->seq;
        memcpy(pkt + 8, a->data, PING_DATA);
        /* identifier and checksum: filled in by the kernel for ping sockets */
        if (send(fd, pkt, sizeof pkt, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                r = -errno;
                if (errno_is_local(r)) {
                        ping_cancel(p);
                        return r;
                }
                ping_finish(p, CHECK_RESULT_DOWN, "send: %s", strerror(-r));
                return 0;
        }
        r = probe_io_add(p->checker->loop, &a->io, fd, EPOLLIN, on_io, p);
        if (r < 0) {
                ping_cancel(p);
                return r;
        }
        return 0;
}

const ProbeOps probe_ops_ping = {
        .start = ping_start,
        .cancel = ping_cancel,
};
