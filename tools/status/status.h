/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The status view shared by `vigilctl status` and `vigilctl top`:
 *
 *   status-collect.c  the bus: one GetManagedObjects per daemon (plus the
 *                     Manager's Version), each call with a timeout and with
 *                     auto-start off; a daemon without an owner is "not
 *                     running" and is not called at all.
 *   status-journal.c  recent state changes from the journal (sd-journal,
 *                     VIGIL_EVENT=vrrp-state and checkerd's CHECK= lines).
 *   status-render.c   pure: a StatusSnapshot → text (aligned, optional
 *                     colours, width-limited) or JSON. No I/O but the FILE. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "time-util.h"

struct Config;

typedef enum StatusDaemonId {
        STATUS_VRRPD,
        STATUS_CHECKERD,
        STATUS_IPVSD,
        _STATUS_DAEMON_MAX,
} StatusDaemonId;

typedef struct StatusDaemon {
        const char *unit;           /* "vigil-vrrpd" */
        bool running;               /* the bus name has an owner */
        char *version;
        char *error;                /* running but its objects could not be read: why */
} StatusDaemon;

typedef struct StatusInstance {
        char *name, *state, *master, *interface, *reason, *error, *group;
        uint32_t priority, effective_priority, vrid, version;
        usec_t last_transition;     /* CLOCK_REALTIME, 0 = never */
        char **vips;
} StatusInstance;

typedef struct StatusCheck {
        char *name, *type, *target, *state, *last_error;
        int32_t weight;
        usec_t last_change;
} StatusCheck;

typedef struct StatusDest {
        char *address;
        uint16_t port;
        int32_t weight;
        uint32_t active, inactive, persistent;
        char *forwarding;
        uint64_t conns, cps, inpps, outpps, inbps, outbps;
        char *check;                /* the check bound to this real server, NULL = none known */
        const char *health;         /* "up", "down", "unknown" (check without a verdict or not found), "-" no check */
} StatusDest;

typedef struct StatusService {
        char *id, *config_id, *scheduler;
        bool managed;
        uint64_t conns, cps, inpps, outpps, inbps, outbps;
        StatusDest *dests;
        size_t n_dests;
} StatusService;

typedef struct StatusEvent {
        usec_t realtime;            /* when it happened (or was received), CLOCK_REALTIME */
        uint64_t seq;               /* the signal's sequence number, 0 = not known (journal) */
        char *kind;                 /* "vrrp" or "check" */
        char *object;               /* instance or check name */
        char *from, *to, *reason;
} StatusEvent;

#define STATUS_EVENTS_MAX 10U

typedef struct StatusSnapshot {
        StatusDaemon daemons[_STATUS_DAEMON_MAX];
        StatusInstance *instances;
        size_t n_instances;
        StatusCheck *checks;
        size_t n_checks;
        StatusService *services;
        size_t n_services;
        StatusEvent *events;        /* oldest first */
        size_t n_events;
        char *events_source;        /* "journal", "bus", or NULL = none */
        char *events_note;          /* why there are no events, e.g. "no journal" */
        usec_t collected_at;        /* CLOCK_REALTIME */
} StatusSnapshot;

/* Frees everything; also after a failed status_collect(). */
void status_snapshot_done(StatusSnapshot *s);

/* Replaces control characters and invalid UTF-8 with '?' in place: whatever a
 * daemon or the journal says reaches a terminal as text only. Returns s. */
char *status_sanitize(char *s);

/* The bus name of a daemon ($VIGIL_VRRP_BUS_NAME overrides vrrpd's, as for `vigilctl monitor`). */
const char *status_daemon_bus_name(StatusDaemonId d);

/* Reads everything the three daemons expose into *s (initialised here).
 * CONFIG, when not NULL, tells which named check a real server uses
 * (inline checks are found by their name without it). Never fails because a
 * daemon is absent or broken: that is recorded in s->daemons. Returns
 * -ENOMEM only. */
int status_collect(sd_bus *bus, usec_t timeout, const struct Config *config, StatusSnapshot *s);

/* Appends one event, keeping at most STATUS_EVENTS_MAX (drops the oldest). */
int status_events_push(StatusSnapshot *s, usec_t realtime, uint64_t seq, const char *kind, const char *object,
                       const char *from, const char *to, const char *reason);
/* Moves the events (and their source/note) from FROM into TO, replacing TO's. */
void status_events_move(StatusSnapshot *to, StatusSnapshot *from);

/* Fills s->events with the last STATUS_EVENTS_MAX state changes from the
 * local journal, or sets s->events_note ("no journal", "journal not
 * readable: ...") and returns 0. Negative only on -ENOMEM. */
int status_journal_read(StatusSnapshot *s);

typedef struct StatusRenderOptions {
        bool color;                 /* ANSI colours */
        bool all;                   /* every destination and VIP, no summaries */
        bool legend;                /* headers and the footer */
        bool no_events;             /* text without the events pane (top draws it apart) */
        unsigned width;             /* cut lines to this many columns, 0 = no limit */
        usec_t now;                 /* CLOCK_REALTIME, for ages */
} StatusRenderOptions;

/* Above this many destinations in total, healthy ones are summarised unless --all. */
#define STATUS_DESTS_SUMMARY_THRESHOLD 64U
/* VIPs listed per instance before "+N" unless --all. */
#define STATUS_VIPS_SHOWN 3U

int status_render_text(const StatusSnapshot *s, const StatusRenderOptions *o, FILE *f);
/* The events pane alone (top draws it apart from the rest). */
int status_render_events(const StatusSnapshot *s, const StatusRenderOptions *o, FILE *f);
/* One JSON object, no trailing newline. */
int status_render_json(const StatusSnapshot *s, const StatusRenderOptions *o, FILE *f);

/* "3s", "4m12s", "2h05m", "3d04h": the age of a realtime timestamp. */
const char *status_format_age(char *buf, size_t len, usec_t now, usec_t then);
/* 1234 → "1234", 12345 → "12.3K", 1234567 → "1.2M" (no unit). */
const char *status_format_count(char *buf, size_t len, uint64_t v);
/* Copies LINE to f, cut to WIDTH visible columns (ANSI escapes and UTF-8
 * continuation bytes do not count), restoring colours if cut. */
void status_write_cut(FILE *f, const char *line, size_t len, unsigned width);

/* ---- vigilctl glue, in ctl-status.c, shared by `status` and `top` ---- */

/* Loads -c FILE when given, or the default file when it exists: it only tells
 * which named check a real server uses. A file that fails to load is a
 * warning; *ret stays NULL. Always returns 0. */
int ctl_status_load_config(struct Config **ret);
/* --timeout DURATION: > 0, at most 10 minutes; logs and returns -EINVAL otherwise. */
int ctl_status_parse_timeout(const char *s, usec_t *ret);
