/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The shape every vigil daemon shares: argument parsing, config load with
 * file:line:col errors, an sd-event loop with SIGTERM/SIGINT/SIGHUP,
 * sd_notify READY/RELOADING/STOPPING/WATCHDOG, the system bus (honouring
 * DBUS_SYSTEM_BUS_ADDRESS), the bus name, and the Manager object's common
 * members (Version, Reload). A daemon's main() is daemon_main(argc, argv, &ops).
 *
 * Bus loss is survived in place: when the connection drops (dbus-daemon
 * restarted), the loop keeps running with every piece of state, the daemon
 * reconnects with bounded exponential backoff (100 ms .. 5 s), calls
 * ops->attach() again on the new connection and requests its name again.
 * Nothing may keep an sd_bus pointer across that: read d->bus, or refresh a
 * copy in attach()/detach(). */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "conf.h"

typedef struct Daemon Daemon;

typedef struct DaemonOps {
        const char *name;              /* "vigil-vrrpd": log ident, --help */
        const char *description;       /* one line for --help */
        const char *bus_name;          /* "org.vigil.Vrrp1" */
        const char *manager_path;      /* "/org/vigil/Vrrp1" */
        const char *manager_interface; /* "org.vigil.Vrrp1.Manager" */
        ConfSection sections;          /* what --dump-config prints */
        /* The full Manager vtable; include DAEMON_MANAGER_VTABLE_COMMON in it.
         * Callbacks get the Daemon* as userdata. */
        const sd_bus_vtable *manager_vtable;
        /* Called once with the loop, bus and first config ready, before READY=1.
         * Set up state here; bus registrations belong in attach(). Return <0 to
         * fail startup. */
        int (*start)(Daemon *d);
        /* Every connection to the bus: once right after start(), and after each
         * reconnect with d->bus the new connection. Register objects,
         * enumerators and matches, then re-read what other daemons publish
         * (resync). On a reconnect the handshake is still under way: use only
         * asynchronous calls (sd_bus_*_async), never a blocking one. On
         * reconnect a failure is logged and the connection retried. */
        int (*attach)(Daemon *d);
        /* The connection is lost (d->bus is the closed one): drop the slots held
         * on it. All other state stays (fail-static); d->bus is NULL until the
         * next attach(). */
        void (*detach)(Daemon *d);
        /* A new validated config: apply it (only the difference). On <0 the new
         * config is discarded and the running one kept; fill error. */
        int (*reload)(Daemon *d, Config *new_config, sd_bus_error *error);
        /* SIGTERM/SIGINT: graceful stop; the loop exits after it returns. */
        void (*stop)(Daemon *d);
        /* Final cleanup of the daemon's own state (after the loop has ended). */
        void (*free)(Daemon *d);
} DaemonOps;

struct Daemon {
        const DaemonOps *ops;
        sd_event *event;
        sd_bus *bus;
        Config *config;       /* the running config */
        char *config_path;
        void *userdata;       /* the daemon's own state */
        uint64_t reloads;     /* successful reloads */
        bool stopping;

        /* bus reconnection (daemon.c) */
        const char *bus_name;
        sd_event_source *reconnect_timer;
        uint64_t reconnect_delay;  /* next backoff step, usec */
        uint64_t reconnects;       /* successful reconnections */
        unsigned reconnect_attempts;
        bool bus_lost;             /* between a disconnect and the name acquired again */
};

/* Runs the daemon; returns the process exit status. */
int daemon_main(int argc, char **argv, const DaemonOps *ops, void *userdata);

/* Reload from config_path (SIGHUP and Reload() both end here). */
int daemon_reload(Daemon *d, sd_bus_error *error);

/* Authorization for mutating methods (DESIGN §6): root, members of group
 * vigil-admin, and the vigil daemon users (vigil-vrrp, vigil-check) are allowed;
 * everyone else gets org.freedesktop.DBus.Error.AccessDenied.
 * Returns 1 when allowed, or a negative errno with error set. */
int daemon_check_privileged(sd_bus_message *m, sd_bus_error *error);

/* NameOwnerChanged with an empty new owner is also what every client hears
 * while dbus-daemon itself shuts down (it drops the connections one by one).
 * Before acting on a vanished name, ask the bus: NameHasOwner(name) is sent
 * and cb(name, userdata) runs only when the bus answers that the name still
 * has no owner. A bus going away never answers (our connection drops; the
 * reconnect resyncs), and a name that came back meanwhile is not reported.
 * Returns 0 also when the question cannot be sent because our connection is
 * already gone; <0 (cannot ask: act on the signal alone) otherwise.
 * userdata must outlive the call (the daemons pass their static state). */
typedef void (*daemon_vanished_handler_t)(const char *name, void *userdata);
int daemon_confirm_vanished(sd_bus *bus, const char *name, daemon_vanished_handler_t cb, void *userdata);

int daemon_property_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error);
int daemon_method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error);

#define DAEMON_MANAGER_VTABLE_COMMON                                                                   \
        SD_BUS_PROPERTY("Version", "s", daemon_property_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),     \
        SD_BUS_METHOD("Reload", "", "", daemon_method_reload, SD_BUS_VTABLE_UNPRIVILEGED)

/* Error names used across the daemons. */
#define VIGIL_ERROR_INVALID_CONFIG "org.vigil.Error.InvalidConfig"
#define VIGIL_ERROR_NOT_FOUND "org.vigil.Error.NotFound"
#define VIGIL_ERROR_FAILED "org.vigil.Error.Failed"
#define VIGIL_ERROR_INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"
