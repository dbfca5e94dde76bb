/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The probes' batched event loop inside sd-event (see probe-loop.h for why):
 * an inner epoll fd for probe sockets and a binary min-heap of probe timers,
 * each drained PROBE_LOOP_BATCH entries per sd-event dispatch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "probe-loop.h"

struct ProbeIo {
        ProbeLoop *loop;
        int fd;
        probe_io_handler_t cb;
        void *userdata;
        bool dead;
        ProbeIo *next_dead;
};

struct ProbeLoop {
        sd_event *event;
        int epfd;
        sd_event_source *io_source, *timer_source;

        ProbeTimer **heap;
        size_t n_heap, cap_heap;
        usec_t armed_for;          /* what timer_source is set to; USEC_INFINITY = off */
        bool in_timers;            /* dispatching timers: re-arm once at the end */

        bool in_io;                /* dispatching I/O: frees are deferred */
        ProbeIo *dead;
};

/* ---- timers: a binary min-heap on due ---- */

static void heap_set(ProbeLoop *l, size_t i, ProbeTimer *t) {
        l->heap[i] = t;
        t->idx = i;
}

static void heap_up(ProbeLoop *l, size_t i) {
        ProbeTimer *t = l->heap[i];
        while (i > 0) {
                size_t parent = (i - 1) / 2;
                if (l->heap[parent]->due <= t->due)
                        break;
                heap_set(l, i, l->heap[parent]);
                i = parent;
        }
        heap_set(l, i, t);
}

static void heap_down(ProbeLoop *l, size_t i) {
        ProbeTimer *t = l->heap[i];
        for (;;) {
                size_t c = 2 * i + 1;
                if (c >= l->n_heap)
                        break;
                if (c + 1 < l->n_heap && l->heap[c + 1]->due < l->heap[c]->due)
                        c++;
                if (t->due <= l->heap[c]->due)
                        break;
                heap_set(l, i, l->heap[c]);
                i = c;
        }
        heap_set(l, i, t);
}

static void heap_remove(ProbeLoop *l, ProbeTimer *t) {
        size_t i = t->idx;
        ProbeTimer *last = l->heap[--l->n_heap];
        t->idx = SIZE_MAX;
        if (last == t)
                return;
        heap_set(l, i, last);
        if (i > 0 && l->heap[(i - 1) / 2]->due > last->due)
                heap_up(l, i);
        else
                heap_down(l, i);
}

/* Points the sd-event timer at the earliest probe timer. */
static void timer_sync(ProbeLoop *l) {
        if (l->in_timers)
                return;
        if (l->n_heap == 0) {
                if (l->armed_for != USEC_INFINITY) {
                        (void) sd_event_source_set_enabled(l->timer_source, SD_EVENT_OFF);
                        l->armed_for = USEC_INFINITY;
                }
                return;
        }
        usec_t due = l->heap[0]->due;
        if (due == l->armed_for)
                return;
        int r = sd_event_source_set_time(l->timer_source, due);
        if (r >= 0)
                r = sd_event_source_set_enabled(l->timer_source, SD_EVENT_ONESHOT);
        if (r < 0) {
                /* cannot happen with a valid source; say so rather than stall silently */
                log_error_errno(r, "Cannot arm the probe timer: %s", strerror(-r));
                return;
        }
        l->armed_for = due;
}

int probe_timer_arm(ProbeLoop *l, ProbeTimer *t, usec_t due) {
        if (probe_timer_armed(t)) {
                usec_t old = t->due;
                t->due = due;
                if (due < old)
                        heap_up(l, t->idx);
                else
                        heap_down(l, t->idx);
        } else {
                if (l->n_heap == l->cap_heap) {
                        size_t nc = l->cap_heap ? l->cap_heap * 2 : 64;
                        ProbeTimer **nh = realloc(l->heap, nc * sizeof *nh);
                        if (!nh)
                                return -ENOMEM;
                        l->heap = nh;
                        l->cap_heap = nc;
                }
                t->due = due;
                l->heap[l->n_heap] = t;
                t->idx = l->n_heap++;
                heap_up(l, t->idx);
        }
        timer_sync(l);
        return 0;
}

void probe_timer_disarm(ProbeLoop *l, ProbeTimer *t) {
        if (!probe_timer_armed(t))
                return;
        heap_remove(l, t);
        timer_sync(l);
}

static int on_timer_source(sd_event_source *s, uint64_t usec, void *userdata) {
        ProbeLoop *l = userdata;
        usec_t now = now_usec(CLOCK_MONOTONIC);
        unsigned n = 0;

        l->armed_for = USEC_INFINITY; /* a ONESHOT source is off once dispatched */
        l->in_timers = true;
        while (n++ < PROBE_LOOP_BATCH && l->n_heap > 0 && l->heap[0]->due <= now) {
                ProbeTimer *t = l->heap[0];
                heap_remove(l, t);
                t->cb(t, t->userdata); /* may free t's owner: t is not touched again */
        }
        l->in_timers = false;
        timer_sync(l); /* still due ones (batch full): due is in the past, fires next iteration */
        return 0;
}

/* ---- I/O ---- */

static void free_dead(ProbeLoop *l) {
        while (l->dead) {
                ProbeIo *io = l->dead;
                l->dead = io->next_dead;
                free(io);
        }
}

static int on_epoll(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ProbeLoop *l = userdata;
        struct epoll_event ev[PROBE_LOOP_BATCH];

        int n = epoll_wait(l->epfd, ev, (int) ELEMENTSOF(ev), 0);
        if (n < 0) {
                if (errno != EINTR)
                        log_error_errno(-errno, "epoll_wait on the probe sockets: %s", strerror(errno));
                return 0;
        }
        l->in_io = true;
        for (int i = 0; i < n; i++) {
                ProbeIo *io = ev[i].data.ptr;
                if (!io->dead)
                        io->cb(io, io->fd, ev[i].events, io->userdata);
        }
        l->in_io = false;
        free_dead(l);
        return 0;
}

int probe_io_add(ProbeLoop *l, ProbeIo **ret, int fd, uint32_t events, probe_io_handler_t cb, void *userdata) {
        ProbeIo *io = calloc(1, sizeof *io);
        if (!io)
                return -ENOMEM;
        *io = (ProbeIo) { .loop = l, .fd = fd, .cb = cb, .userdata = userdata };
        struct epoll_event ev = { .events = events | EPOLLET, .data.ptr = io };
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int r = -errno;
                free(io);
                return r;
        }
        *ret = io;
        return 0;
}

int probe_io_set_events(ProbeIo *io, uint32_t events) {
        struct epoll_event ev = { .events = events | EPOLLET, .data.ptr = io };
        if (epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
                return -errno;
        return 0;
}

ProbeIo *probe_io_free(ProbeIo *io) {
        if (!io)
                return NULL;
        ProbeLoop *l = io->loop;
        /* Explicitly: a forked exec child may still hold a copy of the fd, and
         * then close() alone would leave it registered. */
        (void) epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
        if (l->in_io) {
                io->dead = true;
                io->next_dead = l->dead;
                l->dead = io;
        } else
                free(io);
        return NULL;
}

/* ---- the loop ---- */

int probe_loop_new(sd_event *e, int64_t priority, ProbeLoop **ret) {
        ProbeLoop *l = calloc(1, sizeof *l);
        int r;
        if (!l)
                return -ENOMEM;
        l->event = sd_event_ref(e);
        l->armed_for = USEC_INFINITY;
        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epfd < 0) {
                r = -errno;
                goto fail;
        }
        r = sd_event_add_io(e, &l->io_source, l->epfd, EPOLLIN, on_epoll, l);
        if (r < 0)
                goto fail;
        /* 1 ms accuracy: sd-event's default (250 ms) would batch checks
         * together and show up as scheduling jitter. */
        r = sd_event_add_time(e, &l->timer_source, CLOCK_MONOTONIC, 0, USEC_PER_MSEC, on_timer_source, l);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(l->timer_source, SD_EVENT_OFF);
        (void) sd_event_source_set_priority(l->io_source, priority);
        (void) sd_event_source_set_priority(l->timer_source, priority);
        *ret = l;
        return 0;
fail:
        probe_loop_free(l);
        return r;
}

ProbeLoop *probe_loop_free(ProbeLoop *l) {
        if (!l)
                return NULL;
        /* every ProbeIo and armed timer belongs to a probe, freed before */
        l->io_source = sd_event_source_disable_unref(l->io_source);
        l->timer_source = sd_event_source_disable_unref(l->timer_source);
        for (size_t i = 0; i < l->n_heap; i++)
                l->heap[i]->idx = SIZE_MAX;
        free(l->heap);
        free_dead(l);
        safe_close(l->epfd);
        sd_event_unref(l->event);
        free(l);
        return NULL;
}
