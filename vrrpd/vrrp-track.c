/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tracked checks: vrrpd follows checkerd's org.vigil.Checker1.Check objects
 * (State property, StateChanged signal) for the checks its instances track.
 * checkerd is a separate, unprivileged process that may be absent or
 * restart: its bus name's owner is watched, and while it is gone every
 * tracked check is "missing" (each instance's on_missing decides).
 * When our own bus connection is lost and comes back (dbus-daemon restarted),
 * the last known states stay; checkerd reconnects on its own schedule, so it
 * gets RECONNECT_GRACE to reappear before its checks count as missing (a bus
 * restart must not fault an instance). */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "vrrpd.h"

#define CHECKER_PATH "/org/vigil/Checker1"
#define CHECKER_MANAGER_IFACE "org.vigil.Checker1.Manager"
#define CHECKER_CHECK_IFACE "org.vigil.Checker1.Check"
#define RECONNECT_GRACE (10 * USEC_PER_SEC)

static sd_event_source *grace_timer; /* armed after a reconnect until checkerd is seen */
static bool attached_before;

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
        if (!c)
                return "missing";
        if (m->checker_pending)
                /* still asking checkerd: keep what we knew ("unknown" at start,
                 * "missing" after it vanished), no flapping meanwhile */
                return c->state;
        if (!m->checker_present || !c->path)
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

/* Every call to checkerd is asynchronous: a hung or slow checkerd must never
 * stall the event loop that sends our adverts. Replies find their check by
 * name (a reload may have rebuilt the list meanwhile). */
static int call_async(Manager *m, const char *path, const char *iface, const char *method,
                      sd_bus_message_handler_t cb, const char *name, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        sd_bus_slot *slot = NULL;
        char *n = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(m->bus, &msg, m->checker_name, path, iface, method);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = sd_bus_message_appendv(msg, types, ap);
        va_end(ap);
        if (r < 0)
                return r;
        if (name && !(n = strdup(name)))
                return -ENOMEM;
        r = sd_bus_call_async(m->bus, &slot, msg, cb, n ?: (void *) m, 5 * USEC_PER_SEC);
        if (r < 0) {
                free(n);
                return r;
        }
        if (n)
                (void) sd_bus_slot_set_destroy_callback(slot, free);
        (void) sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        return 0;
}

static Manager *the_manager;

/* sd-bus answers every pending call with an error when the connection drops:
 * that says nothing about checkerd. Keep the last known state; the next
 * attach asks again. */
static bool reply_from_lost_bus(sd_bus_message *reply) {
        return sd_bus_is_open(sd_bus_message_get_bus(reply)) <= 0;
}

static int on_state_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Manager *m = the_manager;
        const char *name = userdata, *state;
        TrackedCheck *c;

        if (reply_from_lost_bus(reply))
                return 0;
        if (!m || !(c = find_check(m, name)))
                return 0;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_check(LOG_WARNING, 0, name, "Reading State of check %s failed: %s", name,
                          sd_bus_message_get_error(reply)->message);
                return 0;
        }
        if (sd_bus_message_read(reply, "v", "s", &state) < 0)
                return 0;
        set_state(m, c, state);
        return 0;
}

static int on_list_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const char *name, *path;
        int r;

        if (reply_from_lost_bus(reply))
                return 0;
        m->checker_pending = false;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                manager_evaluate(m);
                log_warning("ListChecks on %s failed: %s", m->checker_name, sd_bus_message_get_error(reply)->message);
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(so)");
        if (r < 0)
                return 0;
        while ((r = sd_bus_message_read(reply, "(so)", &name, &path)) > 0) {
                TrackedCheck *c = find_check(m, name);
                if (!c)
                        continue;
                free(c->path);
                c->path = strdup(path);
                if (!c->path)
                        return log_oom(), 0;
                r = call_async(m, path, "org.freedesktop.DBus.Properties", "Get", on_state_reply, name, "ss",
                               CHECKER_CHECK_IFACE, "State");
                if (r < 0)
                        log_check(LOG_WARNING, r, name, "Cannot ask checkerd for check %s: %m", name);
        }
        /* Checks checkerd does not know stay "missing" (path NULL). */
        manager_evaluate(m);
        return 0;
}

static int refresh_checks(Manager *m) {
        for (size_t k = 0; k < m->n_checks; k++) {
                free(m->checks[k].path);
                m->checks[k].path = NULL;
        }
        if (m->n_checks == 0)
                return 0;
        int r = call_async(m, CHECKER_PATH, CHECKER_MANAGER_IFACE, "ListChecks", on_list_reply, NULL, "");
        m->checker_pending = r >= 0;
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

static int on_has_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        int has = 0;

        if (reply_from_lost_bus(reply))
                return 0;
        if (!sd_bus_message_is_method_error(reply, NULL))
                (void) sd_bus_message_read(reply, "b", &has);
        if (!has && grace_timer) {
                /* we just reconnected and checkerd has not yet: keep what we know */
                log_info("%s is not back on the bus yet: keeping the last known state of %zu tracked check(s) for up to %llus.",
                         m->checker_name, m->n_checks, (unsigned long long) (RECONNECT_GRACE / USEC_PER_SEC));
                return 0;
        }
        m->checker_pending = false;
        if (has) {
                m->checker_present = true;
                (void) refresh_checks(m);
        } else if (!has)
                for (size_t k = 0; k < m->n_checks; k++)
                        snprintf(m->checks[k].state, sizeof m->checks[k].state, "missing");
        manager_evaluate(m);
        return 0;
}

/* checkerd is really gone (the bus confirmed it): its checks are missing. */
static void on_checker_vanished(const char *name, void *userdata) {
        Manager *m = userdata;

        if (m->checker_present)
                return; /* it came back meanwhile */
        log_info("%s vanished.", m->checker_name);
        m->checker_pending = false;
        for (size_t k = 0; k < m->n_checks; k++)
                snprintf(m->checks[k].state, sizeof m->checks[k].state, "missing");
        manager_evaluate(m);
}

static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const char *name, *old_owner, *new_owner;
        int r;

        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (!streq(name, m->checker_name))
                return 0;
        m->checker_present = !isempty(new_owner);
        grace_timer = sd_event_source_disable_unref(grace_timer);
        if (!m->checker_present) {
                /* dbus-daemon shutting down says the same: believe it once the
                 * bus confirms; meanwhile the checks keep their state */
                m->checker_pending = true;
                r = daemon_confirm_vanished(m->bus, m->checker_name, on_checker_vanished, m);
                if (r < 0)
                        on_checker_vanished(m->checker_name, m);
                return 0;
        }
        log_info("%s appeared.", m->checker_name);
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
        m->checker_name = getenv("VIGIL_CHECKER_BUS_NAME") ?: "org.vigil.Checker1";
        the_manager = m;
        int r = collect_checks(m);
        /* until attach() asks checkerd, tracked checks read "unknown", not "missing" */
        m->checker_pending = m->n_checks > 0;
        return r;
}

static int on_grace_end(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        grace_timer = sd_event_source_disable_unref(grace_timer);
        if (!m->checker_pending)
                return 0;
        log_warning("%s did not come back within %llus of our reconnection: its tracked checks are missing.",
                    m->checker_name, (unsigned long long) (RECONNECT_GRACE / USEC_PER_SEC));
        m->checker_pending = false;
        m->checker_present = false;
        for (size_t k = 0; k < m->n_checks; k++)
                snprintf(m->checks[k].state, sizeof m->checks[k].state, "missing");
        manager_evaluate(m);
        return 0;
}

int vrrp_track_attach(Manager *m) {
        _cleanup_free_ char *owner_match = NULL, *signal_match = NULL;
        bool reconnect = attached_before;
        int r;

        attached_before = true;
        vrrp_track_detach(m);
        if (asprintf(&owner_match, "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'", m->checker_name) < 0 ||
            asprintf(&signal_match, "type='signal',sender='%s',interface='" CHECKER_CHECK_IFACE "',member='StateChanged'",
                     m->checker_name) < 0)
                return -ENOMEM;
        /* asynchronous: on a reconnect the handshake is not done yet, and the
         * matches are queued ahead of the queries below, so nothing is missed */
        r = sd_bus_add_match_async(m->bus, &m->checker_owner_slot, owner_match, on_owner_changed, NULL, m);
        if (r < 0)
                return r;
        r = sd_bus_add_match_async(m->bus, &m->checker_signal_slot, signal_match, on_check_state_changed, NULL, m);
        if (r < 0)
                return r;

        if (m->n_checks == 0)
                return 0;
        if (reconnect) {
                r = sd_event_add_time_relative(m->event, &grace_timer, CLOCK_MONOTONIC, RECONNECT_GRACE, USEC_PER_SEC / 10,
                                               on_grace_end, m);
                if (r < 0)
                        return r;
        }
        /* Whether checkerd is there: NameHasOwner, asynchronously too. Until we
         * know, tracked checks keep their state ("unknown" at startup, the last
         * known after a reconnect): no flap to FAULT. */
        m->checker_pending = true;
        r = sd_bus_call_method_async(m->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "NameHasOwner", on_has_owner, m, "s", m->checker_name);
        if (r < 0)
                return r;
        return 0;
}

void vrrp_track_detach(Manager *m) {
        m->checker_owner_slot = sd_bus_slot_unref(m->checker_owner_slot);
        m->checker_signal_slot = sd_bus_slot_unref(m->checker_signal_slot);
        grace_timer = sd_event_source_disable_unref(grace_timer);
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
        the_manager = NULL;
        vrrp_track_detach(m);
        free_checks(m);
}
