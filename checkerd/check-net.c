/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket plumbing shared by the network probe types: a nonblocking socket
 * bound as configured (address, interface, fwmark) and connected to the
 * target. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "checker.h"
#include "macro.h"

static socklen_t sockaddr_fill(struct sockaddr_storage *ss, int family, const union in_addr_union *a, uint16_t port) {
        memset(ss, 0, sizeof *ss);
        if (family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *) ss;
                sin->sin_family = AF_INET;
                sin->sin_addr = a->in;
                sin->sin_port = htons(port);
                return sizeof *sin;
        }
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = a->in6;
        sin6->sin6_port = htons(port);
        return sizeof *sin6;
}

/* Returns 1 with *ret_fd connecting (EINPROGRESS), 0 with *ret_fd connected,
 * -errno for a failure. The caller tells local failures (socket(): EMFILE...)
 * from the peer's answer (connect(): ECONNREFUSED...) with probe_socket_local(). */
int probe_socket_connect(Probe *p, int type, int protocol, int *ret_fd) {
        const CheckConf *c = p->conf;
        struct sockaddr_storage ss;
        socklen_t sl;
        _cleanup_close_ int fd = -EBADF;

        fd = socket(p->target.address.family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        if (fd < 0)
                return -errno;

        if (c->bind_address.family != AF_UNSPEC) {
                if (c->bind_address.family != p->target.address.family)
                        return -EAFNOSUPPORT;
                sl = sockaddr_fill(&ss, c->bind_address.family, &c->bind_address.addr, 0);
                if (bind(fd, (struct sockaddr *) &ss, sl) < 0)
                        return -errno;
        }
        if (c->bind_interface[0] &&
            setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->bind_interface, (socklen_t) strlen(c->bind_interface)) < 0)
                return -errno;
        if (c->fwmark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &c->fwmark, sizeof c->fwmark) < 0)
                return -errno;

        sl = sockaddr_fill(&ss, p->target.address.family, &p->target.address.addr, p->target.port);
        if (connect(fd, (struct sockaddr *) &ss, sl) < 0) {
                if (errno != EINPROGRESS)
                        return -errno;
                *ret_fd = TAKE_FD(fd);
                return 1;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* SO_ERROR of a socket after a nonblocking connect: 0 or -errno. */
int probe_socket_error(int fd) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                return -errno;
        return -err;
}
