/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tracked checks: vrrpd follows checkerd's org.vigil.Checker1.Check objects
 * (State property, StateChanged signal) for the checks its instances track.
 * checkerd is a separate, unprivileged process that may be absent or
 * restart: its bus name's owner is watched, and while it is gone every
 * tracked check is "missing" (each instance's on_missing decides). */

#include <errno.h>
#include <stdlib.h>

#include "vrrpd.h"

#define CHECKER_PATH "/org/vigil/Checker1"
#define CHECKER_MANAGER_IFACE "org.vigil.Checker1.Manager"
#define CHECKER_CHECK_IFACE "org.vigil.Checker1.Check"

static TrackedCheck *find_check(Manager *m, const char *name) {
        for (size_t k = 0; k < m->n_checks; k++)
                if (streq(m->checks[k].name, name))
                        return &m->checks[k];
        return NULL;
}

static TrackedCheck *find_check_by_path(Manager *m, const char *path) {
        for (size_t k = 0; k < m->n_checks; k++)
                if (m->checks[k].path && streq(m->checks[k].path, path))
                        return &m->checks[k];
        return NULL;
}

const char *vrrp_track_check_state(Manager *m, const char *name) {
        TrackedCheck *c = find_check(m, name);
        if (!c || !m->checker_present || !c->path)
                return "missing";
        return c->state;
}

static void set_state(Manager *m, TrackedCheck *c, const char *state) {
        if (streq(c->state, state))
                return;
        log_check(LOG_INFO, 0, c->name, "Tracked check %s: %s -> %s", c->name, c->state, state);
        snprintf(c->state, sizeof c->state, "%s", state);
        manager_evaluate(m);
}

static int get_state(Manager *m, TrackedCheck *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *state = NULL;
        int r;

        /* Synchronous on purpose: at most a handful of tracked checks, read only
         * when checkerd (re)appears, and the state must be known before we act. */
        r = sd_bus_get_property_string(m->bus, m->checker_name, c->path, CHECKER_CHECK_IFACE, "State", &error, &state);
        if (r < 0) {
                log_check(LOG_WARNING, r, c->name, "Reading State of check %s failed: %s", c->name,
                          error.message ?: strerror(-r));
                return r;
        }
        snprintf(c->state, sizeof c->state, "%s", state);
        return 0;
}

static int refresh_checks(Manager *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *path;
        int r;

        for (size_t k = 0; k < m->n_checks; k++) {
                free(m->checks[k].path);
                m->checks[k].path = NULL;
                snprintf(m->checks[k].state, sizeof m->checks[k].state, "unknown");
        }
        if (m->n_checks == 0)
                return 0;
        r = sd_bus_call_method(m->bus, m->checker_name, CHECKER_PATH, CHECKER_MANAGER_IFACE, "ListChecks", &error,
                               &reply, "");
        if (r < 0) {
                log_warning_errno(r, "ListChecks on %s failed: %s", m->checker_name, error.message ?: strerror(-r));
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(so)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(so)", &name, &path)) > 0) {
                TrackedCheck *c = find_check(m, name);
                if (!c)
                        continue;
                c->path = strdup(path);
                if (!c->path)
                        return -ENOMEM;
                (void) get_state(m, c);
        }
        return r;
}

static int on_check_state_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const char *from, *to, *detail;
        uint64_t seq;
        TrackedCheck *c;

        c = find_check_by_path(m, sd_bus_message_get_path(msg));
        if (!c)
                return 0;
        if (sd_bus_message_read(msg, "tsss", &seq, &from, &to, &detail) < 0)
                return 0;
        set_state(m, c, to);
        return 0;
}

static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (!streq(name, m->checker_name))
                return 0;
        m->checker_present = !isempty(new_owner);
        log_info("%s %s.", m->checker_name, m->checker_present ? "appeared" : "vanished");
        if (m->checker_present)
                (void) refresh_checks(m);
        manager_evaluate(m);
        return 0;
}

static void free_checks(Manager *m) {
        for (size_t k = 0; k < m->n_checks; k++) {
                free(m->checks[k].name);
                free(m->checks[k].path);
        }
        free(m->checks);
        m->checks = NULL;
        m->n_checks = 0;
}

static int collect_checks(Manager *m) {
        free_checks(m);
        for (size_t k = 0; k < m->n_instances; k++) {
                const VrrpInstanceConf *c = m->instances[k]->conf;
                for (size_t t = 0; t < c->n_track_checks; t++) {
                        if (find_check(m, c->track_checks[t].name))
                                continue;
                        TrackedCheck *a = realloc(m->checks, (m->n_checks + 1) * sizeof *a);
                        if (!a)
                                return -ENOMEM;
                        m->checks = a;
                        m->checks[m->n_checks] = (TrackedCheck) { .name = strdup(c->track_checks[t].name) };
                        if (!m->checks[m->n_checks].name)
                                return -ENOMEM;
                        snprintf(m->checks[m->n_checks].state, sizeof m->checks[m->n_checks].state, "unknown");
                        m->n_checks++;
                }
        }
        return 0;
}

int vrrp_track_start(Manager *m) {
        _cleanup_free_ char *owner_match = NULL, *signal_match = NULL;
        int r;

        m->checker_name = getenv("VIGIL_CHECKER_BUS_NAME") ?: "org.vigil.Checker1";
        r = collect_checks(m);
        if (r < 0)
                return r;

        if (asprintf(&owner_match, "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'", m->checker_name) < 0 ||
            asprintf(&signal_match, "type='signal',sender='%s',interface='" CHECKER_CHECK_IFACE "',member='StateChanged'",
                     m->checker_name) < 0)
                return -ENOMEM;
        r = sd_bus_add_match(m->bus, &m->checker_owner_slot, owner_match, on_owner_changed, m);
        if (r < 0)
                return r;
        r = sd_bus_add_match(m->bus, &m->checker_signal_slot, signal_match, on_check_state_changed, m);
        if (r < 0)
                return r;

        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                int has = 0;
                r = sd_bus_call_method(m->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", &error, &reply, "s", m->checker_name);
                if (r >= 0 && sd_bus_message_read(reply, "b", &has) >= 0)
                        m->checker_present = has;
        }
        if (m->checker_present)
                (void) refresh_checks(m);
        return 0;
}

int vrrp_track_reload(Manager *m) {
        int r = collect_checks(m);
        if (r < 0)
                return r;
        if (m->checker_present)
                (void) refresh_checks(m);
        return 0;
}

void vrrp_track_free(Manager *m) {
        m->checker_owner_slot = sd_bus_slot_unref(m->checker_owner_slot);
        m->checker_signal_slot = sd_bus_slot_unref(m->checker_signal_slot);
        free_checks(m);
}
