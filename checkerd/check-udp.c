/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udp: send the payload on a connected UDP socket. A reply (matching
 * `expect` when given) = up; an ICMP error (port/host unreachable, reported
 * by the kernel as ECONNREFUSED/EHOSTUNREACH on a connected socket) = down;
 * silence until the timeout = up unless require_reply (UDP services often do
 * not answer unknown payloads, but a closed port always says so). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "check-parse.h"
#include "check-types.h"

#define UDP_PAYLOAD_MAX 1472u /* one unfragmented datagram on a 1500 MTU */

typedef struct UdpSetup {
        uint8_t payload[UDP_PAYLOAD_MAX];
        size_t payload_len;
        pcre2_code *re;
} UdpSetup;

typedef struct UdpAttempt {
        int fd;
        ProbeIo *io;
        ProbeTimer timer;
} UdpAttempt;

static void udp_cancel(Probe *p) {
        UdpAttempt *a = TAKE_PTR(p->data);
        if (!a)
                return;
        a->io = probe_io_close(a->io, &a->fd);
        probe_timer_disarm(p->checker->loop, &a->timer);
        free(a);
}

static void udp_finish(Probe *p, CheckResultKind r, const char *fmt, ...) _printf_(3, 4);
static void udp_finish(Probe *p, CheckResultKind r, const char *fmt, ...) {
        char detail[CHECK_DETAIL_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        udp_cancel(p);
        probe_attempt_done(p, r, p->conf->weight, detail);
}

static void on_timer(ProbeTimer *t, void *userdata) {
        Probe *p = userdata;
        char buf[DURATION_MAX];
        p->counters[COUNTER_TIMEOUTS]++;
        if (p->conf->require_reply)
                udp_finish(p, CHECK_RESULT_DOWN, "no reply within %s", format_duration(buf, sizeof buf, p->conf->timeout));
        else
                udp_finish(p, CHECK_RESULT_UP, "no reply and no ICMP error within %s",
                           format_duration(buf, sizeof buf, p->conf->timeout));
}

static void on_io(ProbeIo *s, int fd, uint32_t revents, void *userdata) {
        Probe *p = userdata;
        UdpSetup *st = p->setup_data;
        uint8_t buf[65536];

        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return;
                udp_finish(p, CHECK_RESULT_DOWN, "ICMP error: %s", strerror(errno));
                return;
        }
        if (st->re) {
                pcre2_match_data *md = pcre2_match_data_create_from_pattern(st->re, NULL);
                if (!md) {
                        udp_finish(p, CHECK_RESULT_ERROR, "out of memory for the regex match");
                        return;
                }
                int r = pcre2_match(st->re, buf, (size_t) n, 0, 0, md, NULL);
                pcre2_match_data_free(md);
                if (r < 0) {
                        udp_finish(p, CHECK_RESULT_DOWN, "reply (%zd bytes) does not match the expected pattern", n);
                        return;
                }
        }
        udp_finish(p, CHECK_RESULT_UP, "reply of %zd bytes", n);
}

static int udp_start(Probe *p) {
        UdpSetup *st = p->setup_data;
        UdpAttempt *a;
        int fd = -EBADF, r;

        if (!st)
                return -ENOMEM;
        r = probe_socket_connect(p, SOCK_DGRAM, 0, &fd);
        if (r < 0)
                return probe_connect_failed(p, r);
        a = calloc(1, sizeof *a);
        if (!a) {
                safe_close(fd);
                return -ENOMEM;
        }
        a->fd = fd;
        probe_timer_init(&a->timer, on_timer, p);
        p->data = a;
        if (send(fd, st->payload, st->payload_len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                r = -errno;
                if (errno_is_local(r)) {
                        udp_cancel(p);
                        return r;
                }
                udp_finish(p, CHECK_RESULT_DOWN, "send: %s", strerror(-r));
                return 0;
        }
        r = probe_io_add(p->checker->loop, &a->io, fd, EPOLLIN, on_io, p);
        if (r >= 0)
                r = probe_timer_arm(p->checker->loop, &a->timer, probe_deadline(p));
        if (r < 0) {
                udp_cancel(p);
                return r;
        }
        return 0;
}

static int udp_prepare(const CheckConf *c, UdpSetup *st, char *err, size_t errlen) {
        int r = udp_payload_decode(strempty(c->payload), st->payload, sizeof st->payload, &st->payload_len);
        if (r == -E2BIG) {
                snprintf(err, errlen, "payload longer than %u bytes", UDP_PAYLOAD_MAX);
                return r;
        }
        if (r < 0) {
                snprintf(err, errlen, "payload: invalid escape (use \\n \\r \\t \\0 \\\\ \\xHH)");
                return r;
        }
        if (c->expect) {
                int code;
                PCRE2_SIZE off;
                st->re = pcre2_compile((PCRE2_SPTR) c->expect, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
                if (!st->re) {
                        PCRE2_UCHAR msg[256];
                        pcre2_get_error_message(code, msg, sizeof msg);
                        snprintf(err, errlen, "expect: invalid regex at offset %zu: %s", (size_t) off, (const char *) msg);
                        return -EINVAL;
                }
        }
        return 0;
}

static int udp_verify(const CheckConf *c, const CheckTarget *t, char *err, size_t errlen) {
        UdpSetup st = {};
        int r = udp_prepare(c, &st, err, errlen);
        pcre2_code_free(st.re);
        return r;
}

static int udp_setup(Probe *p) {
        char err[256];
        UdpSetup *st = calloc(1, sizeof *st);
        if (!st)
                return -ENOMEM;
        int r = udp_prepare(p->conf, st, err, sizeof err);
        if (r < 0) {
                pcre2_code_free(st->re);
                free(st);
                return r;
        }
        p->setup_data = st;
        return 0;
}

static void udp_teardown(Probe *p) {
        UdpSetup *st = TAKE_PTR(p->setup_data);
        if (st)
                pcre2_code_free(st->re);
        free(st);
}

const ProbeOps probe_ops_udp = {
        .start = udp_start,
        .cancel = udp_cancel,
        .setup = udp_setup,
        .teardown = udp_teardown,
        .verify = udp_verify,
        .own_timeout = true,
};
