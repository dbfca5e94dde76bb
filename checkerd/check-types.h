/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Private to the probe type files (check-*.c). */

#include <stdlib.h>

#include "checker.h"
#include "log.h"
#include "macro.h"

extern const ProbeOps probe_ops_tcp;
extern const ProbeOps probe_ops_http;  /* http and https */
extern const ProbeOps probe_ops_exec;
extern const ProbeOps probe_ops_smtp;
extern const ProbeOps probe_ops_udp;
extern const ProbeOps probe_ops_ping;
extern const ProbeOps probe_ops_file;
extern const ProbeOps probe_ops_dns;

/* An error from probe_socket_connect(): local resource exhaustion is returned
 * (the attempt becomes "cannot run"), anything else is the backend's or the
 * network's answer and ends the attempt as down. Returns 0 or r. */
int probe_connect_failed(Probe *p, int r);

/* The outcome of a nonblocking connect from its first epoll event: 0 or
 * -errno. EPOLLOUT without EPOLLERR/EPOLLHUP means connected (TCP reports
 * writable only once established) and saves the getsockopt(SO_ERROR). */
static inline int probe_connect_result(int fd, uint32_t revents) {
        if ((revents & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == EPOLLOUT)
                return 0;
        return probe_socket_error(fd);
}

/* Resource exhaustion and similar: the check could not run. */
static inline bool errno_is_local(int r) {
        return r == -EMFILE || r == -ENFILE || r == -ENOMEM || r == -ENOBUFS || r == -EAGAIN;
}
