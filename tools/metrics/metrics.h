/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Metrics: what the three daemons expose on the bus, as Prometheus text
 * (exposition format 0.0.4). Shared by `vigilctl metrics` and vigil-exporter.
 *
 * Two halves:
 *   metrics-render.c  pure: a MetricsSnapshot → text. No I/O (unit tested).
 *   metrics-collect.c the bus: fills a snapshot asynchronously (ListX, then one
 *                     GetAll per object), each call with a timeout, so a hung
 *                     daemon costs one timeout and never blocks a caller's loop.
 * A daemon that does not answer its List call is "down": vigil_up 0 and no
 * series of its own. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "time-util.h"

typedef enum MetricsDaemon {
        METRICS_DAEMON_VRRPD,
        METRICS_DAEMON_CHECKERD,
        METRICS_DAEMON_IPVSD,
        _METRICS_DAEMON_MAX,
} MetricsDaemon;

const char *metrics_daemon_to_string(MetricsDaemon d);

/* a{st} as the daemons send it (Counters, Stats), in their order */
typedef struct MetricsKV {
        char *key;
        uint64_t value;
} MetricsKV;

typedef struct MetricsCounters {
        MetricsKV *items;
        size_t n;
} MetricsCounters;

/* Looks KEY up; false when the daemon did not send it (then the series is omitted). */
bool metrics_counters_get(const MetricsCounters *c, const char *key, uint64_t *ret);
int metrics_counters_add(MetricsCounters *c, const char *key, uint64_t value);
void metrics_counters_done(MetricsCounters *c);

typedef struct MetricsVrrpInstance {
        bool valid;                 /* its GetAll answered */
        char *name;
        char *state;                /* init, backup, master, fault */
        uint32_t priority;
        uint32_t effective_priority;
        uint64_t last_transition;   /* CLOCK_REALTIME µs, 0 = never */
        MetricsCounters counters;
} MetricsVrrpInstance;

typedef struct MetricsCheck {
        bool valid;
        char *name;
        char *type;
        char *target;
        char *state;                /* unknown, up, down */
        int32_t weight;
        uint64_t last_change;       /* CLOCK_REALTIME µs, 0 = never */
        MetricsCounters counters;
} MetricsCheck;

typedef struct MetricsIpvsDest {
        char *address;
        uint16_t port;
        int32_t weight;
        uint32_t upper_threshold;
        uint32_t lower_threshold;
        uint32_t active_connections;
        uint32_t inactive_connections;
        uint32_t persistent_connections;
        char *forwarding;
        MetricsCounters stats;      /* from DestinationStats, matched by address and port */
} MetricsIpvsDest;

typedef struct MetricsIpvsService {
        bool valid;
        char *id;                   /* the kernel key, e.g. "tcp:10.0.0.1:80" */
        char *config_id;            /* "" for services vigil does not manage */
        char *scheduler;
        bool managed;
        MetricsCounters stats;
        MetricsIpvsDest *dests;
        size_t n_dests;
} MetricsIpvsService;

typedef struct MetricsSnapshot {
        bool up[_METRICS_DAEMON_MAX];
        MetricsVrrpInstance *instances;
        size_t n_instances;
        MetricsCheck *checks;
        size_t n_checks;
        MetricsCounters checker_stats;  /* Checker1.Manager.Stats */
        MetricsIpvsService *services;
        size_t n_services;
        usec_t collected_at;            /* CLOCK_REALTIME, when the collection finished */
        usec_t duration;                /* how long it took */
} MetricsSnapshot;

MetricsSnapshot *metrics_snapshot_new(void);
MetricsSnapshot *metrics_snapshot_free(MetricsSnapshot *s);
static inline void metrics_snapshot_freep(MetricsSnapshot **s) {
        if (*s)
                metrics_snapshot_free(*s);
}

/* Writes the label value escaped per the text format (\\, \", \n). */
void metrics_write_label_value(FILE *f, const char *s);

/* The snapshot as Prometheus text. Returns 0 and a NUL-terminated malloc'd
 * buffer, or -ENOMEM. */
int metrics_render(const MetricsSnapshot *s, char **ret, size_t *ret_size);

/* ---- collection (metrics-collect.c) ---- */

typedef struct MetricsCollect MetricsCollect;

/* Called once, from the bus's event loop, with the snapshot (the callee owns
 * it). Never called after metrics_collect_free(). */
typedef void (*MetricsCollectDone)(MetricsSnapshot *s, void *userdata);

/* Starts reading the bus; each call waits at most TIMEOUT. The bus must be
 * attached to an event loop (or processed by the caller). */
int metrics_collect_start(sd_bus *bus, usec_t timeout, MetricsCollectDone done, void *userdata, MetricsCollect **ret);
/* Cancels the calls still pending and frees. */
MetricsCollect *metrics_collect_free(MetricsCollect *c);
