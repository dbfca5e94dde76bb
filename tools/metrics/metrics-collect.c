/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reads the daemons' bus objects into a MetricsSnapshot, asynchronously: one
 * List call per daemon, then one GetAll per object (and checkerd's Stats),
 * up to METRICS_IN_FLIGHT_MAX in flight at once, each with a timeout. Nothing here blocks, so the
 * exporter's loop keeps serving while a daemon is slow, and a hung daemon
 * costs at most two timeouts per collection.
 *
 * Calls are sent with auto-start off: reading metrics must never start a
 * daemon that the administrator stopped. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-props.h"
#include "cleanup-libs.h"
#include "log.h"
#include "macro.h"
#include "metrics.h"

/* Bound on objects per daemon, so a daemon gone mad cannot make us allocate
 * without limit; far above any real configuration. */
#define METRICS_OBJECTS_MAX 65536U

/* Calls in flight at once. dbus-daemon caps pending replies per connection
 * (max_replies_per_connection, 128 in some configurations): beyond it calls
 * fail at once. The rest wait in order in the calls array. */
#define METRICS_IN_FLIGHT_MAX 32U

typedef enum CallKind {
        CALL_LIST,
        CALL_GETALL,
        CALL_STATS,
} CallKind;

typedef struct Call {
        MetricsCollect *collect;
        MetricsDaemon daemon;
        CallKind kind;
        size_t index;
        sd_bus_message *m;      /* until sent */
        sd_bus_slot *slot;
} Call;

struct MetricsCollect {
        sd_bus *bus;
        usec_t timeout;
        MetricsCollectDone done;
        void *userdata;
        MetricsSnapshot *snap;
        usec_t started;
        Call **calls;           /* in creation order; [next_to_send, n_calls) are waiting */
        size_t n_calls;
        size_t next_to_send;
        unsigned in_flight;
        unsigned pending;       /* waiting + in flight */
};

static const struct {
        const char *bus_name, *path, *manager, *list_method, *object_interface;
} daemon_bus[_METRICS_DAEMON_MAX] = {
        [METRICS_DAEMON_VRRPD] = { "org.vigil.Vrrp1", "/org/vigil/Vrrp1", "org.vigil.Vrrp1.Manager", "ListInstances",
                                   "org.vigil.Vrrp1.Instance" },
        [METRICS_DAEMON_CHECKERD] = { "org.vigil.Checker1", "/org/vigil/Checker1", "org.vigil.Checker1.Manager",
                                      "ListChecks", "org.vigil.Checker1.Check" },
        [METRICS_DAEMON_IPVSD] = { "org.vigil.Ipvs1", "/org/vigil/Ipvs1", "org.vigil.Ipvs1.Manager", "ListServices",
                                   "org.vigil.Ipvs1.Service" },
};

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

/* Sends queued calls while fewer than METRICS_IN_FLIGHT_MAX are in flight.
 * A call that cannot be sent counts as failed (its object stays invalid). */
static void pump(MetricsCollect *c) {
        while (c->in_flight < METRICS_IN_FLIGHT_MAX && c->next_to_send < c->n_calls) {
                Call *call = c->calls[c->next_to_send++];
                int r = sd_bus_call_async(c->bus, &call->slot, call->m, on_reply, call, c->timeout);
                call->m = sd_bus_message_unref(call->m);
                if (r < 0) {
                        log_debug_errno(r, "Metrics: cannot send a call to %s: %s",
                                        metrics_daemon_to_string(call->daemon), strerror(-r));
                        c->pending--;
                        continue;
                }
                c->in_flight++;
        }
}

/* Queues IFACE.MEMBER (with up to two string arguments) to DAEMON's PATH. */
static int call_async(MetricsCollect *c, MetricsDaemon d, CallKind kind, size_t index, const char *path,
                      const char *iface, const char *member, const char *arg1, const char *arg2) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, daemon_bus[d].bus_name, path, iface, member);
        if (r < 0)
                return r;
        if (arg1) {
                r = sd_bus_message_append(m, "s", arg1);
                if (r >= 0 && arg2)
                        r = sd_bus_message_append(m, "s", arg2);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_set_auto_start(m, false);
        if (r < 0)
                return r;

        Call **calls = realloc(c->calls, (c->n_calls + 1) * sizeof *calls);
        if (!calls)
                return -ENOMEM;
        c->calls = calls;
        Call *call = calloc(1, sizeof *call);
        if (!call)
                return -ENOMEM;
        *call = (Call) { .collect = c, .daemon = d, .kind = kind, .index = index, .m = TAKE_PTR(m) };
        c->calls[c->n_calls++] = call;
        c->pending++;
        pump(c);
        return 0;
}

static int read_string(sd_bus_message *m, char **field) {
        const char *s;
        int r = sd_bus_message_read(m, "s", &s);
        if (r < 0)
                return r;
        char *n = strdup(s);
        if (!n)
                return -ENOMEM;
        free(*field);
        *field = n;
        return 1;
}

static int read_counters(sd_bus_message *m, MetricsCounters *c) {
        const char *k;
        uint64_t v;
        int r;

        metrics_counters_done(c);
        r = sd_bus_message_enter_container(m, 'a', "{st}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{st}", &k, &v)) > 0) {
                r = metrics_counters_add(c, k, v);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
}

static int instance_property(sd_bus_message *m, const char *name, const char *sig, void *obj) {
        MetricsVrrpInstance *x = obj;
        if (BUS_PROP_IS("Name", "s"))
                return read_string(m, &x->name);
        if (BUS_PROP_IS("State", "s"))
                return read_string(m, &x->state);
        if (BUS_PROP_IS("Priority", "u"))
                return sd_bus_message_read(m, "u", &x->priority);
        if (BUS_PROP_IS("EffectivePriority", "u"))
                return sd_bus_message_read(m, "u", &x->effective_priority);
        if (BUS_PROP_IS("LastTransition", "t"))
                return sd_bus_message_read(m, "t", &x->last_transition);
        if (BUS_PROP_IS("Counters", "a{st}"))
                return read_counters(m, &x->counters);
        return 0;
}

static int check_property(sd_bus_message *m, const char *name, const char *sig, void *obj) {
        MetricsCheck *x = obj;
        if (BUS_PROP_IS("Name", "s"))
                return read_string(m, &x->name);
        if (BUS_PROP_IS("Type", "s"))
                return read_string(m, &x->type);
        if (BUS_PROP_IS("Target", "s"))
                return read_string(m, &x->target);
        if (BUS_PROP_IS("State", "s"))
                return read_string(m, &x->state);
        if (BUS_PROP_IS("Weight", "i"))
                return sd_bus_message_read(m, "i", &x->weight);
        if (BUS_PROP_IS("LastChange", "t"))
                return sd_bus_message_read(m, "t", &x->last_change);
        if (BUS_PROP_IS("Counters", "a{st}"))
                return read_counters(m, &x->counters);
        return 0;
}

static int read_destinations(sd_bus_message *m, MetricsIpvsService *x) {
        const char *addr, *fwd;
        uint16_t port;
        int32_t weight;
        uint32_t uth, lth, act, inact, pers;
        int r = sd_bus_message_enter_container(m, 'a', "(sqiuuuuus)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(sqiuuuuus)", &addr, &port, &weight, &uth, &lth, &act, &inact, &pers,
                                        &fwd)) > 0) {
                if (x->n_dests >= METRICS_OBJECTS_MAX)
                        return -E2BIG;
                MetricsIpvsDest *n = realloc(x->dests, (x->n_dests + 1) * sizeof *n);
                if (!n)
                        return -ENOMEM;
                x->dests = n;
                x->dests[x->n_dests] = (MetricsIpvsDest) {
                        .address = strdup(addr), .port = port, .weight = weight, .upper_threshold = uth,
                        .lower_threshold = lth, .active_connections = act, .inactive_connections = inact,
                        .persistent_connections = pers, .forwarding = strdup(fwd),
                };
                x->n_dests++;
                if (!x->dests[x->n_dests - 1].address || !x->dests[x->n_dests - 1].forwarding)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
}

/* DestinationStats: matched to Destinations by address and port (GetAll
 * sends Destinations first; a destination without a match is skipped). */
static int read_destination_stats(sd_bus_message *m, MetricsIpvsService *x) {
        int r = sd_bus_message_enter_container(m, 'a', "(sqa{st})");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', "sqa{st}")) > 0) {
                const char *addr;
                uint16_t port;
                r = sd_bus_message_read(m, "sq", &addr, &port);
                if (r < 0)
                        return r;
                MetricsIpvsDest *d = NULL;
                for (size_t k = 0; k < x->n_dests && !d; k++)
                        if (x->dests[k].port == port && streq(x->dests[k].address, addr))
                                d = &x->dests[k];
                if (d)
                        r = read_counters(m, &d->stats);
                else
                        r = sd_bus_message_skip(m, "a{st}");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
}

static int service_property(sd_bus_message *m, const char *name, const char *sig, void *obj) {
        MetricsIpvsService *x = obj;
        if (BUS_PROP_IS("Id", "s"))
                return read_string(m, &x->id);
        if (BUS_PROP_IS("ConfigId", "s"))
                return read_string(m, &x->config_id);
        if (BUS_PROP_IS("Scheduler", "s"))
                return read_string(m, &x->scheduler);
        if (BUS_PROP_IS("Managed", "b")) {
                int b;
                int r = sd_bus_message_read(m, "b", &b);
                x->managed = b;
                return r;
        }
        if (BUS_PROP_IS("Stats", "a{st}"))
                return read_counters(m, &x->stats);
        if (BUS_PROP_IS("Destinations", "a(sqiuuuuus)"))
                return read_destinations(m, x);
        if (BUS_PROP_IS("DestinationStats", "a(sqa{st})"))
                return read_destination_stats(m, x);
        return 0;
}

/* ListX → one object slot per entry (named from the list; GetAll fills the
 * rest) and one GetAll each. */
static int handle_list(MetricsCollect *c, MetricsDaemon d, sd_bus_message *m) {
        MetricsSnapshot *s = c->snap;
        const char *name, *path;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(so)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(so)", &name, &path)) > 0) {
                size_t idx;
                char **objname;
                switch (d) {
                case METRICS_DAEMON_VRRPD: {
                        if (s->n_instances >= METRICS_OBJECTS_MAX)
                                return -E2BIG;
                        MetricsVrrpInstance *n = realloc(s->instances, (s->n_instances + 1) * sizeof *n);
                        if (!n)
                                return -ENOMEM;
                        s->instances = n;
                        n[s->n_instances] = (MetricsVrrpInstance) {};
                        idx = s->n_instances++;
                        objname = &n[idx].name;
                        break;
                }
                case METRICS_DAEMON_CHECKERD: {
                        if (s->n_checks >= METRICS_OBJECTS_MAX)
                                return -E2BIG;
                        MetricsCheck *n = realloc(s->checks, (s->n_checks + 1) * sizeof *n);
                        if (!n)
                                return -ENOMEM;
                        s->checks = n;
                        n[s->n_checks] = (MetricsCheck) {};
                        idx = s->n_checks++;
                        objname = &n[idx].name;
                        break;
                }
                case METRICS_DAEMON_IPVSD: {
                        if (s->n_services >= METRICS_OBJECTS_MAX)
                                return -E2BIG;
                        MetricsIpvsService *n = realloc(s->services, (s->n_services + 1) * sizeof *n);
                        if (!n)
                                return -ENOMEM;
                        s->services = n;
                        n[s->n_services] = (MetricsIpvsService) {};
                        idx = s->n_services++;
                        objname = &n[idx].id;
                        break;
                }
                default:
                        return -EINVAL;
                }
                *objname = strdup(name);
                if (!*objname)
                        return -ENOMEM;
                r = call_async(c, d, CALL_GETALL, idx, path, "org.freedesktop.DBus.Properties", "GetAll",
                               daemon_bus[d].object_interface, NULL);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int handle_getall(MetricsCollect *c, MetricsDaemon d, size_t idx, sd_bus_message *m) {
        MetricsSnapshot *s = c->snap;
        int r;
        switch (d) {
        case METRICS_DAEMON_VRRPD:
                r = bus_read_properties(m, instance_property, &s->instances[idx]);
                s->instances[idx].valid = r >= 0;
                return r;
        case METRICS_DAEMON_CHECKERD:
                r = bus_read_properties(m, check_property, &s->checks[idx]);
                s->checks[idx].valid = r >= 0;
                return r;
        case METRICS_DAEMON_IPVSD:
                r = bus_read_properties(m, service_property, &s->services[idx]);
                s->services[idx].valid = r >= 0;
                return r;
        default:
                return -EINVAL;
        }
}

static void maybe_finish(MetricsCollect *c) {
        if (c->pending > 0 || !c->snap)
                return;
        MetricsSnapshot *s = TAKE_PTR(c->snap);
        s->collected_at = now_usec(CLOCK_REALTIME);
        s->duration = now_usec(CLOCK_MONOTONIC) - c->started;
        c->done(s, c->userdata);
}

/* A hung daemon fails every refresh, one call per object: warn, but not
 * every few seconds forever. */
static RateLimit warn_rl = RATELIMIT_INIT(60 * USEC_PER_SEC, 10);

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Call *call = userdata;
        MetricsCollect *c = call->collect;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *what = metrics_daemon_to_string(call->daemon);
        const char *kind = call->kind == CALL_LIST ? daemon_bus[call->daemon].list_method :
                           call->kind == CALL_STATS ? "Get Stats" : "GetAll";
        int r = 0;

        call->slot = sd_bus_slot_unref(call->slot);
        c->in_flight--;
        c->pending--;

        if (e) {
                /* Not running is the normal way for a daemon to be absent: debug only. */
                bool absent = sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
                log_full(absent || !ratelimit_below(&warn_rl) ? LOG_DEBUG : LOG_WARNING, "Metrics: %s %s: %s", what, kind,
                         e->message);
        } else {
                switch (call->kind) {
                case CALL_LIST:
                        c->snap->up[call->daemon] = true;
                        r = handle_list(c, call->daemon, m);
                        if (r >= 0 && call->daemon == METRICS_DAEMON_CHECKERD)
                                r = call_async(c, call->daemon, CALL_STATS, 0, daemon_bus[call->daemon].path,
                                               "org.freedesktop.DBus.Properties", "Get",
                                               daemon_bus[call->daemon].manager, "Stats");
                        break;
                case CALL_GETALL:
                        r = handle_getall(c, call->daemon, call->index, m);
                        break;
                case CALL_STATS:
                        r = sd_bus_message_enter_container(m, 'v', "a{st}");
                        if (r > 0)
                                r = read_counters(m, &c->snap->checker_stats);
                        break;
                }
                if (r < 0)
                        log_full_errno(ratelimit_below(&warn_rl) ? LOG_WARNING : LOG_DEBUG, r,
                                       "Metrics: %s: cannot read the reply to %s: %s", what, kind, strerror(-r));
        }
        pump(c);
        maybe_finish(c);
        return 0;
}

int metrics_collect_start(sd_bus *bus, usec_t timeout, MetricsCollectDone done, void *userdata, MetricsCollect **ret) {
        MetricsCollect *c = calloc(1, sizeof *c);
        int r;

        if (!c)
                return -ENOMEM;
        *c = (MetricsCollect) {
                .bus = sd_bus_ref(bus), .timeout = timeout, .done = done, .userdata = userdata,
                .snap = metrics_snapshot_new(), .started = now_usec(CLOCK_MONOTONIC),
        };
        if (!c->snap) {
                metrics_collect_free(c);
                return -ENOMEM;
        }
        for (MetricsDaemon d = 0; d < _METRICS_DAEMON_MAX; d++) {
                r = call_async(c, d, CALL_LIST, 0, daemon_bus[d].path, daemon_bus[d].manager,
                               daemon_bus[d].list_method, NULL, NULL);
                if (r < 0) {
                        metrics_collect_free(c);
                        return r;
                }
        }
        if (c->pending == 0) { /* not one call could be sent: the connection is gone */
                metrics_collect_free(c);
                return -ENOTCONN;
        }
        *ret = c;
        return 0;
}

MetricsCollect *metrics_collect_free(MetricsCollect *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_calls; i++) {
                sd_bus_slot_unref(c->calls[i]->slot);
                sd_bus_message_unref(c->calls[i]->m);
                free(c->calls[i]);
        }
        free(c->calls);
        metrics_snapshot_free(c->snap);
        sd_bus_unref(c->bus);
        free(c);
        return NULL;
}
