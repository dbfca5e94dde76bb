/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigil-checkerd: health checks for real servers, track checks for vrrpd,
 * fencing commands. Runs unprivileged; the only vigil process that executes
 * programs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "checker.h"
#include "log.h"

static int report_invalid(const char *err, sd_bus_error *error) {
        /* each line already says file:line:col */
        const char *l = err;
        while (l && *l) {
                const char *nl = strchr(l, '\n');
                log_error("%.*s", nl ? (int) (nl - l) : (int) strlen(l), l);
                l = nl ? nl + 1 : NULL;
        }
        if (error)
                sd_bus_error_setf(error, VIGIL_ERROR_INVALID_CONFIG, "%s", err);
        return -EINVAL;
}

static int checkerd_start(Daemon *d) {
        Checker *c = d->userdata;
        char err[4096];
        sigset_t mask;
        int r;

        c->daemon = d;
        c->event = d->event;
        c->bus = d->bus; /* the first connection; attach() registers the objects */

        /* sd_event_add_child() wants SIGCHLD blocked; exec children reset it. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        /* No OpenSSL_init here: OpenSSL initializes itself on first use, so a
         * checker without https checks never pays for it (RSS). */

        r = checker_apply_config(c, d->config, err, sizeof err);
        if (r < 0)
                return report_invalid(err, NULL);
        c->started = true;
        return 0;
}

/* Each bus connection (daemon_main() registered the Manager with
 * ops.manager_vtable). Checks kept running while the bus was away: their
 * state, counters and histories are where they were. */
static int checkerd_attach(Daemon *d) {
        Checker *c = d->userdata;

        c->bus = d->bus;
        return checker_bus_register(c);
}

static void checkerd_detach(Daemon *d) {
        Checker *c = d->userdata;

        c->slot_fallback = sd_bus_slot_unref(c->slot_fallback);
        c->slot_enum = sd_bus_slot_unref(c->slot_enum);
        c->bus = NULL;
}

static int checkerd_reload(Daemon *d, Config *new_config, sd_bus_error *error) {
        Checker *c = d->userdata;
        char err[4096];
        int r = checker_apply_config(c, new_config, err, sizeof err);
        if (r == -EINVAL)
                return report_invalid(err, error);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Reload failed: %s", strerror(-r)), r;
        return 0;
}

static void checkerd_stop(Daemon *d) {
        Checker *c = d->userdata;
        /* Kill running commands now rather than leave them to the service manager. */
        checker_free_all(c);
}

static void checkerd_free(Daemon *d) {
        Checker *c = d->userdata;
        checker_free_all(c);
        c->slot_fallback = sd_bus_slot_unref(c->slot_fallback);
        c->slot_enum = sd_bus_slot_unref(c->slot_enum);
}

static const DaemonOps ops = {
        .name = "vigil-checkerd",
        .description = "Health checks for vigil: real servers, track checks, fencing commands.",
        .bus_name = "org.vigil.Checker1",
        .manager_path = "/org/vigil/Checker1",
        .manager_interface = "org.vigil.Checker1.Manager",
        .sections = CONF_SECTION_GLOBAL | CONF_SECTION_CHECKS | CONF_SECTION_VIRTUAL_SERVERS,
        .manager_vtable = checker_manager_vtable,
        .start = checkerd_start,
        .attach = checkerd_attach,
        .detach = checkerd_detach,
        .reload = checkerd_reload,
        .stop = checkerd_stop,
        .free = checkerd_free,
};

int main(int argc, char **argv) {
        static Checker checker;
        return daemon_main(argc, argv, &ops, &checker);
}
