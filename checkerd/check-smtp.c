/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smtp: the 220 banner, then EHLO (HELO if EHLO is refused) answered with
 * 250, then QUIT. Replies are bounded by SMTP_REPLY_MAX. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "check-types.h"
#include "smtp-reply.h"

typedef enum SmtpPhase {
        SMTP_CONNECT,
        SMTP_BANNER,
        SMTP_EHLO,
        SMTP_HELO,
} SmtpPhase;

typedef struct SmtpAttempt {
        int fd;
        ProbeIo *io;
        SmtpPhase phase;
        char buf[SMTP_REPLY_MAX + 1];
        size_t len;
} SmtpAttempt;

static void smtp_cancel(Probe *p) {
        SmtpAttempt *a = TAKE_PTR(p->data);
        if (!a)
                return;
        a->io = probe_io_close(a->io, &a->fd);
        free(a);
}

static void smtp_finish(Probe *p, CheckResultKind r, const char *fmt, ...) _printf_(3, 4);
static void smtp_finish(Probe *p, CheckResultKind r, const char *fmt, ...) {
        char detail[CHECK_DETAIL_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        smtp_cancel(p);
        probe_attempt_done(p, r, p->conf->weight, detail);
}

/* Commands are a few dozen bytes on a fresh connection: the socket buffer
 * takes them whole, so a short write means the peer is not reading. */
static bool send_line(Probe *p, SmtpAttempt *a, const char *cmd, const char *arg) {
        char line[512];
        int n = snprintf(line, sizeof line, "%s%s%s\r\n", cmd, arg ? " " : "", strempty(arg));
        ssize_t k = send(a->fd, line, (size_t) n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k != n) {
                smtp_finish(p, CHECK_RESULT_DOWN, "send %s: %s", cmd, k < 0 ? strerror(errno) : "short write");
                return false;
        }
        return true;
}

static const char *helo_name(const CheckConf *c, char *buf, size_t len) {
        if (c->helo_name)
                return c->helo_name;
        if (gethostname(buf, len) < 0 || !buf[0])
                snprintf(buf, len, "localhost");
        buf[len - 1] = 0;
        return buf;
}

static int smtp_read_one(Probe *p, SmtpAttempt *a, int fd);

static void on_io(ProbeIo *s, int fd, uint32_t revents, void *userdata) {
        Probe *p = userdata;
        SmtpAttempt *a = p->data;
        int r;

        if (a->phase == SMTP_CONNECT) {
                r = probe_socket_error(fd);
                if (r < 0) {
                        smtp_finish(p, CHECK_RESULT_DOWN, "connect: %s", strerror(-r));
                        return;
                }
                a->phase = SMTP_BANNER;
                (void) probe_io_set_events(a->io, EPOLLIN);
                return;
        }

        /* edge-triggered: read until EAGAIN (replies are small and bounded) */
        for (;;) {
                if (!p->data || a->len >= sizeof a->buf - 1)
                        break;
                int k = smtp_read_one(p, a, fd);
                if (k <= 0)
                        return;
        }
        if (p->data)
                smtp_finish(p, CHECK_RESULT_DOWN, "bad SMTP reply (too long)");
}

/* One recv() and what follows from it. Returns 1 to read again, 0 when done
 * (EAGAIN, or the attempt ended). */
static int smtp_read_one(Probe *p, SmtpAttempt *a, int fd) {
        char host[256];
        ssize_t n = recv(fd, a->buf + a->len, sizeof a->buf - 1 - a->len, 0);
        if (n < 0) {
                if (errno == EINTR)
                        return 1;
                if (errno != EAGAIN)
                        smtp_finish(p, CHECK_RESULT_DOWN, "recv: %s", strerror(errno));
                return 0;
        }
        if (n == 0) {
                smtp_finish(p, CHECK_RESULT_DOWN, "connection closed by the server");
                return 0;
        }
        a->len += (size_t) n;

        size_t used;
        int code = smtp_reply_parse(a->buf, a->len, &used);
        if (code == 0)
                return 1; /* more to come */
        if (code < 0) {
                smtp_finish(p, CHECK_RESULT_DOWN, "bad SMTP reply%s", code == -E2BIG ? " (too long)" : "");
                return 0;
        }
        /* A reply to a command we have not sent yet is a protocol error. */
        if (used != a->len) {
                smtp_finish(p, CHECK_RESULT_DOWN, "unexpected data after the SMTP reply");
                return 0;
        }
        a->len = 0;

        switch (a->phase) {
        case SMTP_BANNER:
                if (code != 220)
                        return smtp_finish(p, CHECK_RESULT_DOWN, "SMTP banner %d", code), 0;
                if (send_line(p, a, "EHLO", helo_name(p->conf, host, sizeof host)))
                        a->phase = SMTP_EHLO;
                return p->data ? 1 : 0;
        case SMTP_EHLO:
                if (code == 250)
                        break;
                if (code >= 500) { /* an old server: try HELO */
                        if (send_line(p, a, "HELO", helo_name(p->conf, host, sizeof host)))
                                a->phase = SMTP_HELO;
                        return p->data ? 1 : 0;
                }
                return smtp_finish(p, CHECK_RESULT_DOWN, "SMTP EHLO answered %d", code), 0;
        case SMTP_HELO:
                if (code != 250)
                        return smtp_finish(p, CHECK_RESULT_DOWN, "SMTP HELO answered %d", code), 0;
                break;
        default:
                break;
        }
        /* Polite end; the answer does not matter. */
        (void) send(fd, "QUIT\r\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
        smtp_finish(p, CHECK_RESULT_UP, "SMTP %s 250", a->phase == SMTP_HELO ? "HELO" : "EHLO");
        return 0;
}

static int smtp_start(Probe *p) {
        SmtpAttempt *a;
        int fd = -EBADF, r;

        r = probe_socket_connect(p, SOCK_STREAM, 0, &fd);
        if (r < 0)
                return probe_connect_failed(p, r);
        a = calloc(1, sizeof *a);
        if (!a) {
                safe_close(fd);
                return -ENOMEM;
        }
        a->fd = fd;
        a->phase = r == 0 ? SMTP_BANNER : SMTP_CONNECT;
        p->data = a;
        r = probe_io_add(p->checker->loop, &a->io, fd, r == 0 ? EPOLLIN : EPOLLOUT, on_io, p);
        if (r < 0) {
                smtp_cancel(p);
                return r;
        }
        return 0;
}

const ProbeOps probe_ops_smtp = {
        .start = smtp_start,
        .cancel = smtp_cancel,
};
