/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* checkerd's runtime model.
 *
 *   Check  — one bus object per configured check name (named checks and
 *            inline real-server checks). What consumers see.
 *   Probe  — the thing that actually runs: scheduler timers, hysteresis,
 *            counters. Checks whose type, target and options are identical
 *            (check_key()) share one Probe, so one probe is on the wire no
 *            matter how many consumers there are.
 *
 * Everything runs on one sd-event loop: each probe type starts an attempt
 * with nonblocking sockets / child processes / inotify and reports its result
 * once through probe_attempt_done(); the generic code owns the timeout,
 * retries, fall/rise and notification of every Check. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "check-key.h"
#include "check-state.h"
#include "conf.h"
#include "daemon.h"
#include "probe-loop.h"

typedef struct Checker Checker;
typedef struct Probe Probe;
typedef struct Check Check;

#define CHECK_DETAIL_MAX 256

typedef struct ProbeOps {
        /* Start one attempt. Return 0 and later call probe_attempt_done()
         * exactly once, or call it before returning, or return <0: then the
         * attempt ends as CHECK_RESULT_ERROR ("cannot run") with that errno. */
        int (*start)(Probe *p);
        /* Abort the attempt in flight (timeout, reload, stop): free every
         * resource of the attempt. Must not call probe_attempt_done(). */
        void (*cancel)(Probe *p);
        /* Long-lived per-probe setup (file: inotify watch). Optional. */
        int (*setup)(Probe *p);
        void (*teardown)(Probe *p);
        /* Load-time validation beyond the config model (the exec command
         * exists, the CA file is readable). Optional; fills err. */
        int (*verify)(const CheckConf *c, const CheckTarget *t, char *err, size_t errlen);
        /* The type handles its own timeout (exec: kills the process first). */
        bool own_timeout;
} ProbeOps;

const ProbeOps *probe_ops_for(CheckType t);

typedef enum ProbeCounter {
        COUNTER_RUNS,       /* attempts started */
        COUNTER_UP,         /* attempts that succeeded */
        COUNTER_DOWN,       /* attempts that failed */
        COUNTER_TIMEOUTS,   /* of which timed out */
        COUNTER_RETRIES,
        COUNTER_ERRORS,     /* could not run (EMFILE...) */
        COUNTER_TRANSITIONS,
        _COUNTER_MAX,
} ProbeCounter;

const char *probe_counter_name(ProbeCounter c);

typedef void (*ProbeWaiterFn)(Probe *p, CheckResultKind r, const char *detail, void *userdata);

typedef struct ProbeWaiter {
        ProbeWaiterFn fn;
        void *userdata;
        struct ProbeWaiter *next;
} ProbeWaiter;

struct Probe {
        Checker *checker;
        char *key;
        const CheckConf *conf;    /* points into the running Config; updated on reload */
        const ProbeOps *ops;
        CheckTarget target;
        char target_str[ADDR_STR_MAX + 8];
        unsigned n_refs;          /* Checks using it */
        Check **users;            /* those Checks (rebuilt on reload) */
        bool in_use;              /* mark during reload */

        CheckHysteresis hyst;
        int weight;
        char *last_error;         /* never NULL; set with probe_set_error() (most are
                                   * empty: no 256-byte array per probe) */
        usec_t last_change;       /* CLOCK_REALTIME */
        uint64_t counters[_COUNTER_MAX];

        ProbeTimer run_timer;     /* next run or retry (probe-loop.h) */
        ProbeTimer timeout_timer; /* the attempt in flight */
        usec_t due;               /* CLOCK_MONOTONIC of the scheduled run */
        usec_t attempt_start;
        unsigned attempts;        /* in the current run */
        bool running;
        bool run_again;           /* RunNow while running */
        ProbeWaiter *waiters;     /* RunNow/RunFence callers */

        void *data;               /* the type's attempt state */
        void *setup_data;         /* the type's long-lived state */
};

struct Check {
        Checker *checker;
        char *name;
        char *path;
        const CheckConf *conf;
        Probe *probe;
        bool kept;                /* mark during reload */
        /* what consumers last saw, to emit only real changes */
        CheckState state;
        int weight;
        char *last_error;         /* never NULL, like Probe's */
        usec_t last_change;
};

/* Scheduling-latency histogram: how late timers fire (bench: p99 jitter). */
#define LATENCY_BUCKETS 64
struct Checker {
        Daemon *daemon;
        sd_event *event;
        ProbeLoop *loop;          /* probe sockets and timers, batched */
        sd_bus *bus;
        Check **checks;           /* sorted by name */
        size_t n_checks;
        Probe **probes;           /* sorted by key */
        size_t n_probes;
        uint64_t seq;             /* StateChanged sequence, daemon-wide */
        uint64_t latency[LATENCY_BUCKETS]; /* bucket i: [2^i, 2^(i+1)) µs late */
        sd_bus_slot *slot_fallback, *slot_enum, *slot_om;
        bool started;
};

/* Builds probes and checks from config (used at start and on reload: unchanged
 * checks keep their probe, state and history). On a validation error nothing
 * changes, <0 is returned and err names file:line:col. */
int checker_apply_config(Checker *c, const Config *config, char *err, size_t errlen);
void checker_free_all(Checker *c);

Check *checker_find_check(Checker *c, const char *name);

/* Runs the probe now (if idle) and calls fn when the run ends. */
int probe_run_now(Probe *p, ProbeWaiterFn fn, void *userdata);

/* Sets p->last_error (copied, at most CHECK_DETAIL_MAX - 1 bytes). */
void probe_set_error(Probe *p, const char *error);

/* Called by probe types: the attempt ended. detail is copied. */
void probe_attempt_done(Probe *p, CheckResultKind r, int weight, const char *detail);
/* For types with own_timeout: the remaining time of this attempt. */
usec_t probe_deadline(const Probe *p);

/* Bus (checker-bus.c) */
int checker_bus_register(Checker *c);
void checker_bus_check_changed(Check *ch, CheckState from, CheckState to, const char *detail);
void checker_bus_properties_changed(Check *ch);
extern const sd_bus_vtable checker_manager_vtable[];

/* Probe I/O and timers run below the bus in priority: however many probes
 * are pending, Reload/RunNow/property reads and our signals go first.
 *
 * Probe sockets and per-run timers go through probe-loop.h (batched, edge-
 * triggered). probe_add_io() is for the long-lived sd-event sources (file
 * checks' inotify); it is edge-triggered too: with level-triggered fds every
 * epoll_wait() re-polls every socket that is still ready, so a backlog of N
 * ready sources costs O(N²) (measured: most of the CPU in sock_poll/tcp_poll
 * at 2,000 checks). Handlers read until EAGAIN. */
#define PROBE_PRIORITY (SD_EVENT_PRIORITY_NORMAL + 10)
static inline int probe_add_io(sd_event *e, sd_event_source **s, int fd, uint32_t events, sd_event_io_handler_t cb,
                               void *userdata) {
        int r = sd_event_add_io(e, s, fd, events | EPOLLET, cb, userdata);
        if (r >= 0)
                (void) sd_event_source_set_priority(*s, PROBE_PRIORITY);
        return r;
}

/* Socket helpers (check-net.c) */
int probe_socket_connect(Probe *p, int type, int protocol, int *ret_fd);
int probe_socket_error(int fd);
