/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The probes' own event loop, nested in sd-event as two sources (one epoll
 * fd, one timer), so that a wakeup serves many probes.
 *
 * Why: sd-event dispatches one source per iteration, and every iteration
 * runs the bus's prepare callbacks, epoll_wait() and re-arms the timerfd;
 * an HTTP probe needs 2-3 dispatches per run, so with thousands of probes
 * that overhead was about a fifth of checkerd's CPU (perf, 1,000 checks).
 * Here ready probe sockets are taken from an inner epoll fd up to
 * PROBE_LOOP_IO_BATCH at a time, and due timers from a binary heap up to
 * PROBE_LOOP_TIMER_BATCH, each batch being one sd-event dispatch at
 * PROBE_PRIORITY: the bus still goes first. The two alternate; the I/O batch
 * is larger so that, when the daemon falls behind, attempts in flight are
 * finished before many new ones are started (a backlog of started attempts
 * turns into false timeouts).
 *
 * Probe sockets are edge-triggered (EPOLLET is always added): handlers read
 * until EAGAIN or re-arm with probe_io_set_events(). A ProbeIo may be freed
 * from any handler, also while a batch holding its events is dispatched: the
 * stale events are skipped (slot generations, probe-loop.c). */

#include <stdbool.h>
#include <sys/epoll.h>
#include <systemd/sd-event.h>

#include "time-util.h"

#define PROBE_LOOP_IO_BATCH 256u
#define PROBE_LOOP_TIMER_BATCH 64u

typedef struct ProbeLoop ProbeLoop;
typedef struct ProbeIo ProbeIo;
typedef struct ProbeTimer ProbeTimer;

typedef void (*probe_io_handler_t)(ProbeIo *io, int fd, uint32_t revents, void *userdata);
typedef void (*probe_timer_handler_t)(ProbeTimer *t, void *userdata);

/* Embedded in its owner (no allocation per run); armed = in the heap. */
struct ProbeTimer {
        usec_t due;              /* CLOCK_MONOTONIC */
        size_t idx;              /* position in the heap, SIZE_MAX when not armed */
        probe_timer_handler_t cb;
        void *userdata;
};

int probe_loop_new(sd_event *e, int64_t priority, ProbeLoop **ret);
ProbeLoop *probe_loop_free(ProbeLoop *l);

/* The fd stays the caller's: close it after probe_io_free(). */
int probe_io_add(ProbeLoop *l, ProbeIo **ret, int fd, uint32_t events, probe_io_handler_t cb, void *userdata);
/* EPOLL_CTL_MOD: with EPOLLET the kernel re-evaluates readiness, so data
 * already queued is reported again. */
int probe_io_set_events(ProbeIo *io, uint32_t events);
/* Removes the fd from the loop (the fd stays open); returns NULL. */
ProbeIo *probe_io_free(ProbeIo *io);
/* The same and closes *fd (sets it to -EBADF), one syscall less. */
ProbeIo *probe_io_close(ProbeIo *io, int *fd);

static inline void probe_timer_init(ProbeTimer *t, probe_timer_handler_t cb, void *userdata) {
        *t = (ProbeTimer) { .idx = SIZE_MAX, .cb = cb, .userdata = userdata };
}
static inline bool probe_timer_armed(const ProbeTimer *t) {
        return t->idx != SIZE_MAX;
}
/* Arms (or moves) the timer to fire at due; it fires once. */
int probe_timer_arm(ProbeLoop *l, ProbeTimer *t, usec_t due);
void probe_timer_disarm(ProbeLoop *l, ProbeTimer *t);
