/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The shape every vigil daemon shares: argument parsing, config load with
 * file:line:col errors, an sd-event loop with SIGTERM/SIGINT/SIGHUP,
 * sd_notify READY/RELOADING/STOPPING/WATCHDOG, the system bus (honouring
 * DBUS_SYSTEM_BUS_ADDRESS), the bus name, and the Manager object's common
 * members (Version, Reload). A daemon's main() is daemon_main(argc, argv, &ops). */

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
         * Register objects here. Return <0 to fail startup. */
        int (*start)(Daemon *d);
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
