/* SPDX-License-Identifier: GPL-2.0-or-later */
/* checkerd/probe-loop.c on a real sd-event loop: timers fire once, not
 * early, in due order, never after a disarm; a ProbeIo freed by another
 * handler of the same batch is not called; edge-triggered re-arming. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "probe-loop.h"

#define N_TIMERS 600

typedef struct T {
        ProbeTimer t;
        usec_t due;
        usec_t fired_at;
        unsigned fired;
        unsigned order;
} T;

static unsigned fire_seq;

static void on_t(ProbeTimer *pt, void *userdata) {
        T *t = userdata;
        t->fired++;
        t->fired_at = now_usec(CLOCK_MONOTONIC);
        t->order = fire_seq++;
}

/* Runs the loop until done() or 10 s passed (a generous bound: this is not
 * a timing test). */
static void run_until(sd_event *e, bool (*done)(void *), void *userdata) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        while (!done(userdata)) {
                assert_true(now_usec(CLOCK_MONOTONIC) < end);
                assert_true(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
        }
}

static bool all_fired(void *userdata) {
        T *v = userdata;
        for (unsigned i = 0; i < N_TIMERS; i++)
                if (i % 7 != 3 && !v[i].fired)
                        return false;
        return true;
}

static void test_timers(void **state) {
        sd_event *e = NULL;
        ProbeLoop *l = NULL;
        T *v = calloc(N_TIMERS, sizeof *v);
        assert_non_null(v);
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(probe_loop_new(e, 0, &l), 0);

        usec_t now = now_usec(CLOCK_MONOTONIC);
        srandom(42);
        fire_seq = 0;
        for (unsigned i = 0; i < N_TIMERS; i++) {
                probe_timer_init(&v[i].t, on_t, &v[i]);
                assert_false(probe_timer_armed(&v[i].t));
                /* some already due, most within 50 ms, many equal */
                v[i].due = i % 10 == 0 ? now - 1000 : now + (usec_t) (random() % 50) * USEC_PER_MSEC;
                assert_int_equal(probe_timer_arm(l, &v[i].t, v[i].due), 0);
                assert_true(probe_timer_armed(&v[i].t));
        }
        /* move some (earlier and later), disarm others */
        for (unsigned i = 0; i < N_TIMERS; i++) {
                if (i % 11 == 5) {
                        v[i].due = i % 2 ? now + 60 * USEC_PER_MSEC : now + 2 * USEC_PER_MSEC;
                        assert_int_equal(probe_timer_arm(l, &v[i].t, v[i].due), 0);
                }
                if (i % 7 == 3) {
                        probe_timer_disarm(l, &v[i].t);
                        assert_false(probe_timer_armed(&v[i].t));
                        probe_timer_disarm(l, &v[i].t); /* twice is harmless */
                }
        }

        run_until(e, all_fired, v);

        for (unsigned i = 0; i < N_TIMERS; i++) {
                if (i % 7 == 3) {
                        assert_int_equal(v[i].fired, 0);
                        continue;
                }
                assert_int_equal(v[i].fired, 1);
                assert_false(probe_timer_armed(&v[i].t));
                assert_true(v[i].fired_at >= v[i].due); /* never early */
                /* in due order: whatever fired later was not due earlier */
                for (unsigned j = 0; j < N_TIMERS; j++)
                        if (j % 7 != 3 && v[j].order > v[i].order)
                                assert_true(v[j].due >= v[i].due);
        }
        /* nothing left: one more pass fires nothing */
        assert_true(sd_event_run(e, 20 * USEC_PER_MSEC) >= 0);
        for (unsigned i = 0; i < N_TIMERS; i++)
                assert_int_equal(v[i].fired, i % 7 == 3 ? 0 : 1);

        probe_loop_free(l);
        sd_event_unref(e);
        free(v);
}

/* ---- I/O ---- */

typedef struct Pair {
        int fd[2];
        ProbeIo *io;
        unsigned calls;
        struct Pair *other; /* closed by our handler */
} Pair;

static void on_pair(ProbeIo *io, int fd, uint32_t revents, void *userdata) {
        Pair *p = userdata;
        p->calls++;
        assert_true(revents & EPOLLIN);
        if (p->other && p->other->io)
                p->other->io = probe_io_close(p->other->io, &p->other->fd[0]);
}

static bool one_called(void *userdata) {
        Pair *p = userdata;
        return p[0].calls + p[1].calls > 0;
}

static void pair_open(Pair *p) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p->fd), 0);
}

static void test_io_freed_in_batch(void **state) {
        sd_event *e = NULL;
        ProbeLoop *l = NULL;
        Pair p[2] = {};
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(probe_loop_new(e, 0, &l), 0);

        for (int round = 0; round < 50; round++) {
                for (int i = 0; i < 2; i++) {
                        p[i] = (Pair) { .other = &p[1 - i] };
                        pair_open(&p[i]);
                        assert_int_equal(probe_io_add(l, &p[i].io, p[i].fd[0], EPOLLIN, on_pair, &p[i]), 0);
                        /* both readable before the loop runs: one batch holds both */
                        assert_int_equal(write(p[i].fd[1], "x", 1), 1);
                }
                run_until(e, one_called, p);
                assert_true(sd_event_run(e, 10 * USEC_PER_MSEC) >= 0);
                /* the first handler closed the other one: it never ran */
                assert_int_equal(p[0].calls + p[1].calls, 1);
                for (int i = 0; i < 2; i++) {
                        if (p[i].io)
                                p[i].io = probe_io_close(p[i].io, &p[i].fd[0]);
                        assert_int_equal(p[i].fd[0], -EBADF);
                        safe_close(p[i].fd[1]);
                }
        }
        probe_loop_free(l);
        sd_event_unref(e);
}

typedef struct Out {
        ProbeIo *io;
        unsigned calls;
} Out;

static void on_out(ProbeIo *io, int fd, uint32_t revents, void *userdata) {
        Out *o = userdata;
        assert_true(revents & EPOLLOUT);
        o->calls++;
}

static bool out_called(void *userdata) {
        return ((Out *) userdata)->calls > 0;
}

static void test_io_edge_rearm(void **state) {
        sd_event *e = NULL;
        ProbeLoop *l = NULL;
        Out o = {};
        int fd[2];
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(probe_loop_new(e, 0, &l), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd), 0);

        assert_int_equal(probe_io_add(l, &o.io, fd[0], EPOLLOUT, on_out, &o), 0);
        run_until(e, out_called, &o);
        /* edge-triggered: still writable, but no new edge, no new call */
        for (int i = 0; i < 5; i++)
                assert_true(sd_event_run(e, 10 * USEC_PER_MSEC) >= 0);
        assert_int_equal(o.calls, 1);
        /* re-arming reports the readiness again */
        assert_int_equal(probe_io_set_events(o.io, EPOLLOUT), 0);
        o.calls = 0;
        run_until(e, out_called, &o);
        assert_int_equal(o.calls, 1);

        /* probe_io_free() leaves the fd open and unwatched */
        o.io = probe_io_free(o.io);
        assert_null(o.io);
        assert_int_equal(write(fd[0], "y", 1), 1);
        o.calls = 0;
        for (int i = 0; i < 3; i++)
                assert_true(sd_event_run(e, 10 * USEC_PER_MSEC) >= 0);
        assert_int_equal(o.calls, 0);

        safe_close(fd[0]);
        safe_close(fd[1]);
        probe_loop_free(l);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_timers),
                cmocka_unit_test(test_io_freed_in_batch),
                cmocka_unit_test(test_io_edge_rearm),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
