/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp: the backend accepts a connection. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "check-types.h"

typedef struct TcpAttempt {
        int fd;
        ProbeIo *io;
} TcpAttempt;

static void tcp_cancel(Probe *p) {
        TcpAttempt *a = TAKE_PTR(p->data);
        if (!a)
                return;
        a->io = probe_io_close(a->io, &a->fd);
        free(a);
}

static void tcp_finish(Probe *p, CheckResultKind r, const char *detail) {
        tcp_cancel(p);
        probe_attempt_done(p, r, p->conf->weight, detail);
}

static void on_io(ProbeIo *s, int fd, uint32_t revents, void *userdata) {
        Probe *p = userdata;
        char detail[CHECK_DETAIL_MAX];
        int r = probe_connect_result(fd, revents);

        if (r < 0) {
                snprintf(detail, sizeof detail, "connect: %s", strerror(-r));
                tcp_finish(p, CHECK_RESULT_DOWN, detail);
        } else
                tcp_finish(p, CHECK_RESULT_UP, "connected");
}

static int tcp_start(Probe *p) {
        TcpAttempt *a;
        int fd = -EBADF, r;

        r = probe_socket_connect(p, SOCK_STREAM, 0, &fd);
        if (r < 0)
                return probe_connect_failed(p, r);
        if (r == 0) {
                safe_close(fd);
                probe_attempt_done(p, CHECK_RESULT_UP, p->conf->weight, "connected");
                return 0;
        }
        a = calloc(1, sizeof *a);
        if (!a) {
                safe_close(fd);
                return -ENOMEM;
        }
        a->fd = fd;
        p->data = a;
        r = probe_io_add(p->checker->loop, &a->io, fd, EPOLLOUT, on_io, p);
        if (r < 0) {
                tcp_cancel(p);
                return r;
        }
        return 0;
}

const ProbeOps probe_ops_tcp = {
        .start = tcp_start,
        .cancel = tcp_cancel,
};
