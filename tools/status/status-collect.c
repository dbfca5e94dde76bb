/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reads the three daemons for the status view: per daemon NameHasOwner, the
 * Manager's Version, and one GetManagedObjects that brings every object with
 * all its properties (ipvsd first gets ListServices, which re-reads the
 * kernel so services added by others appear too). Calls carry a timeout and
 * never auto-start a daemon the administrator stopped. A daemon that is not
 * running is recorded as such, never reported as a D-Bus error. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr-util.h"
#include "bus-props.h"
#include "cleanup-libs.h"
#include "conf.h"
#include "log.h"
#include "macro.h"
#include "status.h"

/* Far above any real configuration; a daemon gone mad cannot make us allocate without bound. */
#define STATUS_OBJECTS_MAX 65536U

static const struct {
        const char *unit, *bus_name, *path, *manager, *object_interface;
} daemon_bus[_STATUS_DAEMON_MAX] = {
        [STATUS_VRRPD] = { "vigil-vrrpd", "org.vigil.Vrrp1", "/org/vigil/Vrrp1", "org.vigil.Vrrp1.Manager",
                           "org.vigil.Vrrp1.Instance" },
        [STATUS_CHECKERD] = { "vigil-checkerd", "org.vigil.Checker1", "/org/vigil/Checker1", "org.vigil.Checker1.Manager",
                              "org.vigil.Checker1.Check" },
        [STATUS_IPVSD] = { "vigil-ipvsd", "org.vigil.Ipvs1", "/org/vigil/Ipvs1", "org.vigil.Ipvs1.Manager",
                           "org.vigil.Ipvs1.Service" },
};

const char *status_daemon_bus_name(StatusDaemonId d) {
        if (d == STATUS_VRRPD && !isempty(getenv("VIGIL_VRRP_BUS_NAME")))
                return getenv("VIGIL_VRRP_BUS_NAME");
        return daemon_bus[d].bus_name;
}

/* ---- freeing ---- */

static void instance_done(StatusInstance *i) {
        free(i->name);
        free(i->state);
        free(i->master);
        free(i->interface);
        free(i->reason);
        free(i->error);
        free(i->group);
        strv_free(i->vips);
}

static void check_done(StatusCheck *c) {
        free(c->name);
        free(c->type);
        free(c->target);
        free(c->state);
        free(c->last_error);
}

static void service_done(StatusService *s) {
        free(s->id);
        free(s->config_id);
        free(s->scheduler);
        for (size_t i = 0; i < s->n_dests; i++) {
                free(s->dests[i].address);
                free(s->dests[i].forwarding);
                free(s->dests[i].check);
        }
        free(s->dests);
}

static void event_done(StatusEvent *e) {
        free(e->kind);
        free(e->object);
        free(e->from);
        free(e->to);
        free(e->reason);
}

static void events_clear(StatusSnapshot *s) {
        for (size_t i = 0; i < s->n_events; i++)
                event_done(&s->events[i]);
        free(s->events);
        s->events = NULL;
        s->n_events = 0;
        free(s->events_source);
        free(s->events_note);
        s->events_source = s->events_note = NULL;
}

void status_snapshot_done(StatusSnapshot *s) {
        for (size_t i = 0; i < _STATUS_DAEMON_MAX; i++) {
                free(s->daemons[i].version);
                free(s->daemons[i].error);
        }
        for (size_t i = 0; i < s->n_instances; i++)
                instance_done(&s->instances[i]);
        free(s->instances);
        for (size_t i = 0; i < s->n_checks; i++)
                check_done(&s->checks[i]);
        free(s->checks);
        for (size_t i = 0; i < s->n_services; i++)
                service_done(&s->services[i]);
        free(s->services);
        events_clear(s);
        *s = (StatusSnapshot) {};
}

/* ---- events ---- */

int status_events_push(StatusSnapshot *s, usec_t realtime, uint64_t seq, const char *kind, const char *object,
                       const char *from, const char *to, const char *reason) {
        if (s->n_events >= STATUS_EVENTS_MAX) {
                event_done(&s->events[0]);
                memmove(s->events, s->events + 1, (s->n_events - 1) * sizeof *s->events);
                s->n_events--;
        } else {
                StatusEvent *n = realloc(s->events, (s->n_events + 1) * sizeof *n);
                if (!n)
                        return -ENOMEM;
                s->events = n;
        }
        StatusEvent *e = &s->events[s->n_events];
        *e = (StatusEvent) {
                .realtime = realtime, .seq = seq, .kind = strdup(strempty(kind)), .object = strdup(strempty(object)),
                .from = strdup(strempty(from)), .to = strdup(strempty(to)), .reason = strdup(strempty(reason)),
        };
        if (!e->kind || !e->object || !e->from || !e->to || !e->reason) {
                event_done(e);
                return -ENOMEM;
        }
        status_sanitize(e->object);
        status_sanitize(e->from);
        status_sanitize(e->to);
        status_sanitize(e->reason);
        s->n_events++;
        return 0;
}

void status_events_move(StatusSnapshot *to, StatusSnapshot *from) {
        events_clear(to);
        to->events = TAKE_PTR(from->events);
        to->n_events = from->n_events;
        from->n_events = 0;
        to->events_source = TAKE_PTR(from->events_source);
        to->events_note = TAKE_PTR(from->events_note);
}

/* ---- reading properties ---- */

char *status_sanitize(char *s) {
        /* Control characters (an escape sequence in a check's error text would
         * drive the operator's terminal) and bytes that are not UTF-8 → '?'. */
        for (unsigned char *p = (unsigned char *) s; p && *p;) {
                unsigned n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
                bool ok = n > 0 && !(n == 1 && (*p < 0x20 || *p == 0x7f));
                for (unsigned k = 1; ok && k < n; k++)
                        ok = (p[k] & 0xc0) == 0x80;
                if (!ok) {
                        *p++ = '?';
                        continue;
                }
                p += n;
        }
        return s;
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
        *field = status_sanitize(n);
        return 1;
}

static int read_strv(sd_bus_message *m, char ***field) {
        char **l = NULL;
        int r = sd_bus_message_read_strv(m, &l);
        if (r < 0)
                return r;
        STRV_FOREACH(v, l)
                status_sanitize(*v);
        strv_free(*field);
        *field = l;
        return 1;
}

static int instance_property(sd_bus_message *m, const char *name, const char *sig, void *obj) {
        StatusInstance *x = obj;
        if (BUS_PROP_IS("Name", "s"))
                return read_string(m, &x->name);
        if (BUS_PROP_IS("State", "s"))
                return read_string(m, &x->state);
        if (BUS_PROP_IS("MasterAddress", "s"))
                return read_string(m, &x->master);
        if (BUS_PROP_IS("Interface", "s"))
                return read_string(m, &x->interface);
        if (BUS_PROP_IS("LastReason", "s"))
                return read_string(m, &x->reason);
        if (BUS_PROP_IS("LastError", "s"))
                return read_string(m, &x->error);
        if (BUS_PROP_IS("SyncGroup", "s"))
                return read_string(m, &x->group);
        if (BUS_PROP_IS("Priority", "u"))
                return sd_bus_message_read(m, "u", &x->priority);
        if (BUS_PROP_IS("EffectivePriority", "u"))
                return sd_bus_message_read(m, "u", &x->effective_priority);
        if (BUS_PROP_IS("VirtualRouterId", "u"))
                return sd_bus_message_read(m, "u", &x->vrid);
        if (BUS_PROP_IS("Version", "u"))
                return sd_bus_message_read(m, "u", &x->version);
        if (BUS_PROP_IS("LastTransition", "t"))
                return sd_bus_message_read(m, "t", &x->last_transition);
        if (BUS_PROP_IS("VirtualAddresses", "as"))
                return read_strv(m, &x->vips);
        return 0;
}

static int check_property(sd_bus_message *m, const char *name, const char *sig, void *obj) {
        StatusCheck *x = obj;
        if (BUS_PROP_IS("Name", "s"))
                return read_string(m, &x->name);
        if (BUS_PROP_IS("Type", "s"))
                return read_string(m, &x->type);
        if (BUS_PROP_IS("Target", "s"))
                return read_string(m, &x->target);
        if (BUS_PROP_IS("State", "s"))
                return read_string(m, &x->state);
        if (BUS_PROP_IS("LastError", "s"))
                return read_string(m, &x->last_error);
        if (BUS_PROP_IS("Weight", "i"))
                return sd_bus_message_read(m, "i", &x->weight);
        if (BUS_PROP_IS("LastChange", "t"))
                return sd_bus_message_read(m, "t", &x->last_change);
        return 0;
}

/* The a{st} Stats of a service or destination: the fields the view shows. */
static int read_stats(sd_bus_message *m, uint64_t *conns, uint64_t *cps, uint64_t *inpps, uint64_t *outpps,
                      uint64_t *inbps, uint64_t *outbps) {
        const char *k;
        uint64_t v;
        int r = sd_bus_message_enter_container(m, 'a', "{st}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{st}", &k, &v)) > 0) {
                if (streq(k, "conns"))
                        *conns = v;
                else if (streq(k, "cps"))
                        *cps = v;
                else if (streq(k, "inpps"))
                        *inpps = v;
                else if (streq(k, "outpps"))
                        *outpps = v;
                else if (streq(k, "inbps"))
                        *inbps = v;
                else if (streq(k, "outbps"))
                        *outbps = v;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
}

static int read_destinations(sd_bus_message *m, StatusService *x) {
        const char *addr, *fwd;
        uint16_t port;
        int32_t weight;
        uint32_t uth, lth, act, inact, pers;
        int r = sd_bus_message_enter_container(m, 'a', "(sqiuuuuus)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(sqiuuuuus)", &addr, &port, &weight, &uth, &lth, &act, &inact, &pers,
                                        &fwd)) > 0) {
                if (x->n_dests >= STATUS_OBJECTS_MAX)
                        return -E2BIG;
                StatusDest *n = realloc(x->dests, (x->n_dests + 1) * sizeof *n);
                if (!n)
                        return -ENOMEM;
                x->dests = n;
                n[x->n_dests++] = (StatusDest) {
                        .address = strdup(addr), .port = port, .weight = weight, .active = act, .inactive = inact,
                        .persistent = pers, .forwarding = strdup(fwd), .health = "-",
                };
                if (!n[x->n_dests - 1].address || !n[x->n_dests - 1].forwarding)
                        return -ENOMEM;
                status_sanitize(n[x->n_dests - 1].address);
                status_sanitize(n[x->n_dests - 1].forwarding);
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
}

/* DestinationStats, matched to Destinations by address and port. GetAll and
 * GetManagedObjects send properties in vtable order, Destinations first. */
static int read_destination_stats(sd_bus_message *m, StatusService *x) {
        int r = sd_bus_message_enter_container(m, 'a', "(sqa{st})");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', "sqa{st}")) > 0) {
                const char *addr;
                uint16_t port;
                r = sd_bus_message_read(m, "sq", &addr, &port);
                if (r < 0)
                        return r;
                StatusDest *d = NULL;
                for (size_t k = 0; k < x->n_dests && !d; k++)
                        if (x->dests[k].port == port && streq(x->dests[k].address, addr))
                                d = &x->dests[k];
                if (d)
                        r = read_stats(m, &d->conns, &d->cps, &d->inpps, &d->outpps, &d->inbps, &d->outbps);
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
        StatusService *x = obj;
        if (BUS_PROP_IS("Id", "s"))
                return read_string(m, &x->id);
        if (BUS_PROP_IS("ConfigId", "s"))
                return read_string(m, &x->config_id);
        if (BUS_PROP_IS("Scheduler", "s"))
                return read_string(m, &x->scheduler);
        if (BUS_PROP_IS("Managed", "b")) {
                int b = 0;
                int r = sd_bus_message_read(m, "b", &b);
                x->managed = b;
                return r;
        }
        if (BUS_PROP_IS("Stats", "a{st}"))
                return read_stats(m, &x->conns, &x->cps, &x->inpps, &x->outpps, &x->inbps, &x->outbps);
        if (BUS_PROP_IS("Destinations", "a(sqiuuuuus)"))
                return read_destinations(m, x);
        if (BUS_PROP_IS("DestinationStats", "a(sqa{st})"))
                return read_destination_stats(m, x);
        return 0;
}

/* Makes room for one more object of SIZE bytes in *array (zeroed). */
static void *grow(void **array, size_t *n, size_t size) {
        if (*n >= STATUS_OBJECTS_MAX) {
                errno = E2BIG;
                return NULL;
        }
        char *a = realloc(*array, (*n + 1) * size);
        if (!a)
                return NULL;
        *array = a;
        memset(a + *n * size, 0, size);
        return a + (*n)++ * size;
}

/* a{oa{sa{sv}}}: each object that has the daemon's object interface becomes
 * one entry; other interfaces (Properties, Introspectable, ...) are skipped. */
static int read_managed_objects(sd_bus_message *m, StatusDaemonId d, StatusSnapshot *s) {
        int r = sd_bus_message_enter_container(m, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "oa{sa{sv}}")) > 0) {
                const char *path;
                r = sd_bus_message_read(m, "o", &path);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                        const char *iface;
                        r = sd_bus_message_read(m, "s", &iface);
                        if (r < 0)
                                return r;
                        if (!streq(iface, daemon_bus[d].object_interface))
                                r = sd_bus_message_skip(m, "a{sv}");
                        else if (d == STATUS_VRRPD) {
                                StatusInstance *x = grow((void **) &s->instances, &s->n_instances, sizeof *x);
                                r = x ? bus_read_properties(m, instance_property, x) : -errno;
                        } else if (d == STATUS_CHECKERD) {
                                StatusCheck *x = grow((void **) &s->checks, &s->n_checks, sizeof *x);
                                r = x ? bus_read_properties(m, check_property, x) : -errno;
                        } else {
                                StatusService *x = grow((void **) &s->services, &s->n_services, sizeof *x);
                                r = x ? bus_read_properties(m, service_property, x) : -errno;
                        }
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int call(sd_bus *bus, StatusDaemonId d, const char *path, const char *iface, const char *member, usec_t timeout,
                sd_bus_error *error, sd_bus_message **reply, const char *arg1, const char *arg2) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, status_daemon_bus_name(d), path, iface, member);
        if (r < 0)
                return r;
        if (arg1)
                r = sd_bus_message_append(m, "ss", arg1, arg2);
        if (r >= 0)
                r = sd_bus_message_set_auto_start(m, false);
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, timeout, error, reply);
}

static bool name_has_owner(sd_bus *bus, const char *name, usec_t timeout) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int has = 0;
        if (sd_bus_message_new_method_call(bus, &m, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                           "NameHasOwner") < 0 ||
            sd_bus_message_append(m, "s", name) < 0 || sd_bus_call(bus, m, timeout, NULL, &reply) < 0 ||
            sd_bus_message_read(reply, "b", &has) < 0)
                return false;
        return has;
}

static int set_error(StatusDaemon *sd, const char *what, const sd_bus_error *e, int r) {
        free(sd->error);
        if (asprintf(&sd->error, "%s: %s", what, e && e->message ? e->message : strerror(-r)) < 0) {
                sd->error = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int collect_daemon(sd_bus *bus, StatusDaemonId d, usec_t timeout, StatusSnapshot *s) {
        StatusDaemon *sd = &s->daemons[d];
        int r;

        sd->unit = daemon_bus[d].unit;
        sd->running = name_has_owner(bus, status_daemon_bus_name(d), timeout);
        if (!sd->running)
                return 0;

        {
                _cleanup_(sd_bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                r = call(bus, d, daemon_bus[d].path, "org.freedesktop.DBus.Properties", "Get", timeout, &error, &reply,
                         daemon_bus[d].manager, "Version");
                /* A daemon that does not answer this will not answer the rest: one timeout, not three. */
                if (r == -ETIMEDOUT || sd_bus_error_has_name(&error, SD_BUS_ERROR_TIMEOUT) ||
                    sd_bus_error_has_name(&error, SD_BUS_ERROR_NO_REPLY))
                        return set_error(sd, "not answering (Version)", &error, r);
                if (r >= 0 && sd_bus_message_enter_container(reply, 'v', "s") > 0 && read_string(reply, &sd->version) == -ENOMEM)
                        return -ENOMEM;
        }
        if (d == STATUS_IPVSD) {
                /* ListServices re-reads the kernel table, so the objects below include
                 * services someone else added since ipvsd last looked. */
                _cleanup_(sd_bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                r = call(bus, d, daemon_bus[d].path, daemon_bus[d].manager, "ListServices", timeout, &error, &reply, NULL, NULL);
                if (r < 0)
                        return set_error(sd, "ListServices", &error, r);
        }

        _cleanup_(sd_bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = call(bus, d, daemon_bus[d].path, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", timeout, &error,
                 &reply, NULL, NULL);
        if (r < 0)
                return set_error(sd, "GetManagedObjects", &error, r);
        r = read_managed_objects(reply, d, s);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return set_error(sd, "GetManagedObjects: unexpected reply", NULL, r);
        return 0;
}

/* ---- ordering and health ---- */

static int cmp_instance(const void *a, const void *b) {
        return strcmp(strempty(((const StatusInstance *) a)->name), strempty(((const StatusInstance *) b)->name));
}
static int cmp_check(const void *a, const void *b) {
        return strcmp(strempty(((const StatusCheck *) a)->name), strempty(((const StatusCheck *) b)->name));
}
static int cmp_service(const void *a, const void *b) {
        return strcmp(strempty(((const StatusService *) a)->id), strempty(((const StatusService *) b)->id));
}

static const StatusCheck *find_check(const StatusSnapshot *s, const char *name) {
        StatusCheck key = { .name = (char *) name };
        return s->n_checks ? bsearch(&key, s->checks, s->n_checks, sizeof key, cmp_check) : NULL;
}

/* The real server of service CONFIG_ID at ADDR:PORT in the configuration. */
static const RealServerConf *find_real_server(const Config *c, const char *config_id, const char *addr, uint16_t port) {
        union in_addr_union a;
        int af;
        if (!c || isempty(config_id) || parse_address(addr, &af, &a) < 0)
                return NULL;
        for (size_t i = 0; i < c->n_virtual_servers; i++) {
                const VirtualServerConf *vs = &c->virtual_servers[i];
                if (!streq(strempty(vs->id), config_id))
                        continue;
                for (size_t j = 0; j < vs->n_real_servers; j++) {
                        const RealServerConf *rs = &vs->real_servers[j];
                        if (rs->address.family == af && rs->port == port && address_equal(af, &rs->address.addr, &a))
                                return rs;
                }
        }
        return NULL;
}

/* Health of a destination = the state of the check bound to its real server:
 * an inline check is named "<service id>/<addr:port>" (conf.h), a named one
 * is known from the configuration only. */
static int bind_health(StatusSnapshot *s, const Config *config) {
        for (size_t i = 0; i < s->n_services; i++) {
                StatusService *svc = &s->services[i];
                for (size_t j = 0; j < svc->n_dests; j++) {
                        StatusDest *d = &svc->dests[j];
                        const RealServerConf *rs = find_real_server(config, svc->config_id, d->address, d->port);
                        _cleanup_free_ char *inline_name = NULL;
                        const char *name = NULL;

                        if (!isempty(svc->config_id) &&
                            asprintf(&inline_name, strchr(d->address, ':') ? "%s/[%s]:%u" : "%s/%s:%u", svc->config_id,
                                     d->address, d->port) < 0)
                                return -ENOMEM;
                        if (inline_name && find_check(s, inline_name))
                                name = inline_name;
                        else if (rs && rs->check_ref)
                                name = rs->check_ref;
                        else if (rs && rs->check && rs->check->name)
                                name = rs->check->name;
                        if (!name) {
                                d->health = "-";
                                continue;
                        }
                        d->check = strdup(name);
                        if (!d->check)
                                return -ENOMEM;
                        const StatusCheck *c = find_check(s, name);
                        d->health = c && c->state && (streq(c->state, "up") || streq(c->state, "down")) ?
                                            (streq(c->state, "up") ? "up" : "down") : "unknown";
                }
        }
        return 0;
}

int status_collect(sd_bus *bus, usec_t timeout, const Config *config, StatusSnapshot *s) {
        int r;

        *s = (StatusSnapshot) {};
        for (StatusDaemonId d = 0; d < _STATUS_DAEMON_MAX; d++) {
                r = collect_daemon(bus, d, timeout, s);
                if (r < 0)
                        return r;
        }
        if (s->n_instances)
                qsort(s->instances, s->n_instances, sizeof *s->instances, cmp_instance);
        if (s->n_checks)
                qsort(s->checks, s->n_checks, sizeof *s->checks, cmp_check);
        if (s->n_services)
                qsort(s->services, s->n_services, sizeof *s->services, cmp_service);
        r = bind_health(s, config);
        if (r < 0)
                return r;
        s->collected_at = now_usec(CLOCK_REALTIME);
        return 0;
}
