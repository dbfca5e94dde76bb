/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The probes' batched event loop inside sd-event (see probe-loop.h for why):
 * an inner epoll fd for probe sockets and a binary min-heap of probe timers,
 * each drained a batch at a time per sd-event dispatch. */
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
        uint32_t slot;
        probe_io_handler_t cb;
        void *userdata;
};

/* epoll data is slot | generation << 32, not a pointer: an event that was
 * already fetched, or that comes from a registration outliving its ProbeIo,
 * names a slot whose generation moved on, and is dropped. */
typedef struct IoSlot {
        ProbeIo *io;
        uint32_t gen;
} IoSlot;

struct ProbeLoop {
        sd_event *event;
        int epfd;
        sd_event_source *io_source, *timer_source;

        ProbeTimer **heap;
        size_t n_heap, cap_heap;
        usec_t armed_for;          /* what timer_source is set to; USEC_INFINITY = off */
        bool in_timers;            /* dispatching timers: re-arm once at the end */

        IoSlot *slots;
        size_t n_slots;
        uint32_t *free_slots;      /* stack of unused slot numbers */
        size_t n_free;
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
        while (n++ < PROBE_LOOP_TIMER_BATCH && l->n_heap > 0 && l->heap[0]->due <= now) {
                ProbeTimer *t = l->heap[0];
                heap_remove(l, t);
                t->cb(t, t->userdata); /* may free t's owner: t is not touched again */
        }
        l->in_timers = false;
        timer_sync(l); /* still due ones (batch full): due is in the past, fires next iteration */
        return 0;
}

/* ---- I/O ---- */

static int on_epoll(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ProbeLoop *l = userdata;
        struct epoll_event ev[PROBE_LOOP_IO_BATCH];

        int n = epoll_wait(l->epfd, ev, (int) ELEMENTSOF(ev), 0);
        if (n < 0) {
                if (errno != EINTR)
                        log_error_errno(-errno, "epoll_wait on the probe sockets: %s", strerror(errno));
                return 0;
        }
        for (int i = 0; i < n; i++) {
                uint32_t slot = (uint32_t) ev[i].data.u64, gen = (uint32_t) (ev[i].data.u64 >> 32);
                if (slot >= l->n_slots || !l->slots[slot].io || l->slots[slot].gen != gen)
                        continue; /* freed since (by an earlier handler of this batch) */
                ProbeIo *io = l->slots[slot].io;
                io->cb(io, io->fd, ev[i].events, io->userdata);
        }
        return 0;
}

static uint64_t io_data(const ProbeIo *io) {
        return (uint64_t) io->slot | (uint64_t) io->loop->slots[io->slot].gen << 32;
}

static int slot_take(ProbeLoop *l, uint32_t *ret) {
        if (l->n_free > 0) {
                *ret = l->free_slots[--l->n_free];
                return 0;
        }
        if (l->n_slots >= UINT32_MAX)
                return -ENOMEM;
        size_t nc = l->n_slots ? l->n_slots * 2 : 256;
        IoSlot *ns = realloc(l->slots, nc * sizeof *ns);
        if (!ns)
                return -ENOMEM;
        l->slots = ns;
        uint32_t *nf = realloc(l->free_slots, nc * sizeof *nf);
        if (!nf)
                return -ENOMEM;
        l->free_slots = nf;
        /* new slots go on the free stack, lowest on top */
        for (size_t i = nc; i > l->n_slots + 1; i--) {
                l->slots[i - 1] = (IoSlot) {};
                l->free_slots[l->n_free++] = (uint32_t) (i - 1);
        }
        l->slots[l->n_slots] = (IoSlot) {};
        *ret = (uint32_t) l->n_slots;
        l->n_slots = nc;
        return 0;
}

static void slot_release(ProbeLoop *l, uint32_t slot) {
        l->slots[slot].io = NULL;
        l->slots[slot].gen++;
        l->free_slots[l->n_free++] = slot; /* capacity is n_slots: cannot overflow */
}

int probe_io_add(ProbeLoop *l, ProbeIo **ret, int fd, uint32_t events, probe_io_handler_t cb, void *userdata) {
        uint32_t slot;
        ProbeIo *io = calloc(1, sizeof *io);
        if (!io)
                return -ENOMEM;
        int r = slot_take(l, &slot);
        if (r < 0) {
                free(io);
                return r;
        }
        *io = (ProbeIo) { .loop = l, .fd = fd, .slot = slot, .cb = cb, .userdata = userdata };
        l->slots[slot].io = io;
        struct epoll_event ev = { .events = events | EPOLLET, .data.u64 = io_data(io) };
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                r = -errno;
                slot_release(l, slot);
                free(io);
                return r;
        }
        *ret = io;
        return 0;
}

int probe_io_set_events(ProbeIo *io, uint32_t events) {
        struct epoll_event ev = { .events = events | EPOLLET, .data.u64 = io_data(io) };
        if (epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
                return -errno;
        return 0;
}

static void io_forget(ProbeIo *io) {
        slot_release(io->loop, io->slot);
        free(io);
}

ProbeIo *probe_io_free(ProbeIo *io) {
        if (!io)
                return NULL;
        (void) epoll_ctl(io->loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
        io_forget(io);
        return NULL;
}

ProbeIo *probe_io_close(ProbeIo *io, int *fd) {
        /* No EPOLL_CTL_DEL (one syscall per run less): closing the last
         * reference removes the registration. Should a forked exec child
         * still hold a copy for a moment, the registration outlives the
         * ProbeIo, and its events carry a generation that no longer matches. */
        if (io)
                io_forget(io);
        *fd = safe_close(*fd);
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
        free(l->slots);
        free(l->free_slots);
        safe_close(l->epfd);
        sd_event_unref(l->event);
        free(l);
        return NULL;
}
