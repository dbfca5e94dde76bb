/* SPDX-License-Identifier: GPL-2.0-or-later */
/* org.vigil.Ipvs1 (DESIGN §6): the Manager at /org/vigil/Ipvs1 and one
 * object per kernel service at /org/vigil/Ipvs1/service/<escaped key>.
 * Counters and rates are read from the kernel when asked (no polling);
 * configuration-like properties emit PropertiesChanged when ops change them. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup-libs.h"
#include "ipvsd.h"
#include "log.h"
#include "macro.h"

static Manager *manager_of(void *userdata) {
        return ((Daemon *) userdata)->userdata;
}

int ipvs_service_path(const IpvsServiceKey *k, char **ret) {
        char key[IPVS_KEY_STR_MAX];
        int r = ipvs_service_key_format(k, key, sizeof key);
        if (r < 0)
                return r;
        return sd_bus_path_encode(IPVS_SERVICE_PREFIX, key, ret);
}

/* ---- service lookups ---- */

/* The object being served; set by the find callback for each call. */
static IpvsServiceKey lookup_key;
/* A short memo so GetAll's ten properties cost one kernel round trip. */
static IpvsTable fetched;
static usec_t fetched_at;
/* While emitting signals for many objects, answer from the cache. */
static bool answer_from_cache;

static const IpvsService *service_now(Manager *m, const IpvsServiceKey *k) {
        if (answer_from_cache)
                return ipvs_table_find(&m->kernel, k);
        usec_t now = now_usec(CLOCK_MONOTONIC);
        if (fetched.n_services == 1 && ipvs_service_key_compare(&fetched.services[0].key, k) == 0 &&
            now - fetched_at < 200 * USEC_PER_MSEC)
                return &fetched.services[0];
        ipvs_table_done(&fetched);
        int r = ipvs_genl_get_service(m->genl, k, &fetched);
        if (r < 0) {
                char key[IPVS_KEY_STR_MAX];
                (void) ipvs_service_key_format(k, key, sizeof key);
                log_warning_errno(r, "Reading %s from the kernel failed (%m): answering from the cached table.", key);
                return ipvs_table_find(&m->kernel, k); /* best effort: the cached view */
        }
        fetched_at = now;
        return &fetched.services[0];
}

static int service_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                        sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *id = NULL;
        IpvsServiceKey k;

        if (sd_bus_path_decode(path, IPVS_SERVICE_PREFIX, &id) <= 0 || !id)
                return 0;
        if (ipvs_service_key_parse(id, &k) < 0)
                return 0;
        if (!ipvs_table_find(&m->kernel, &k))
                return 0;
        lookup_key = k;
        *found = m;
        return 1;
}

static int service_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret, sd_bus_error *error) {
        Manager *m = userdata;
        char **l = calloc(m->kernel.n_services + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->kernel.n_services; i++) {
                int r = ipvs_service_path(&m->kernel.services[i].key, &l[i]);
                if (r < 0) {
                        strv_free(l);
                        return r;
                }
        }
        *ret = l;
        return 0;
}

/* ---- service properties ---- */

#define SERVICE_OR_FAIL(m, s)                                                                          \
        const IpvsService *s = service_now(m, &lookup_key);                                           \
        if (!s)                                                                                         \
                return sd_bus_error_set(error, VIGIL_ERROR_NOT_FOUND, "The service no longer exists.");

static int prop_id(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                   void *userdata, sd_bus_error *error) {
        char key[IPVS_KEY_STR_MAX];
        (void) ipvs_service_key_format(&lookup_key, key, sizeof key);
        return sd_bus_message_append(reply, "s", key);
}

static int prop_config_id(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                          void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const IpvsService *s = ipvs_table_find(&m->desired, &lookup_key);
        return sd_bus_message_append(reply, "s", s ? strempty(s->id) : "");
}

static int prop_managed(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                        void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "b", ipvs_owned_contains(&m->owned, &lookup_key) ||
                                                         (m->daemon->config && m->daemon->config->ipvs.own_table));
}

static int prop_family(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                       void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", lookup_key.af == AF_INET6 ? "inet6" : "inet");
}

static int prop_protocol(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                         void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", lookup_key.fwmark ? "" : strempty(ipvs_protocol_name(lookup_key.protocol)));
}

static int prop_address(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                        void *userdata, sd_bus_error *error) {
        char a[ADDR_STR_MAX] = "";
        if (!lookup_key.fwmark)
                format_address(a, sizeof a, lookup_key.af, &lookup_key.addr);
        return sd_bus_message_append(reply, "s", a);
}

static int prop_port(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                     void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "q", lookup_key.port);
}

static int prop_fwmark(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                       void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "u", lookup_key.fwmark);
}

static int prop_scheduler(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                          void *userdata, sd_bus_error *error) {
        SERVICE_OR_FAIL((Manager *) userdata, s);
        return sd_bus_message_append(reply, "s", s->sched_name);
}

static int prop_flags(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                      void *userdata, sd_bus_error *error) {
        SERVICE_OR_FAIL((Manager *) userdata, s);
        char fl[64];
        int r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        if (s->flags & IP_VS_SVC_F_PERSISTENT)
                r = sd_bus_message_append(reply, "s", "persistent");
        if (r >= 0 && s->flags & IP_VS_SVC_F_ONEPACKET)
                r = sd_bus_message_append(reply, "s", "one-packet");
        ipvs_sched_flags_format(fl, sizeof fl, s->sched_name, s->flags);
        for (char *p = fl, *tok; r >= 0 && (tok = strsep(&p, ",")) && *tok;)
                r = sd_bus_message_append(reply, "s", tok);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int prop_timeout(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                        void *userdata, sd_bus_error *error) {
        SERVICE_OR_FAIL((Manager *) userdata, s);
        return sd_bus_message_append(reply, "u", s->flags & IP_VS_SVC_F_PERSISTENT ? s->timeout : 0);
}

static int prop_netmask(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                        void *userdata, sd_bus_error *error) {
        SERVICE_OR_FAIL((Manager *) userdata, s);
        char b[INET_ADDRSTRLEN];
        if (s->key.af == AF_INET6)
                snprintf(b, sizeof b, "%u", s->netmask);
        else {
                struct in_addr a = { .s_addr = s->netmask };
                inet_ntop(AF_INET, &a, b, sizeof b);
        }
        return sd_bus_message_append(reply, "s", b);
}

static const char *dest_forwarding(Manager *m, const IpvsService *s, const IpvsDest *d) {
        const IpvsService *w = ipvs_table_find(&m->desired, &s->key);
        const IpvsDest *wd = w ? ipvs_service_find_dest(w, d->af, &d->addr, d->port) : NULL;
        if (wd && wd->fullnat && (d->conn_flags & IP_VS_CONN_F_FWD_MASK) == IP_VS_CONN_F_MASQ)
                return "fullnat";
        switch (d->conn_flags & IP_VS_CONN_F_FWD_MASK) {
        case IP_VS_CONN_F_MASQ: return "nat";
        case IP_VS_CONN_F_DROUTE: return "dr";
        case IP_VS_CONN_F_TUNNEL: return "tun";
        case IP_VS_CONN_F_LOCALNODE: return "local";
        default: return "unknown";
        }
}

static int prop_destinations(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                             void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        SERVICE_OR_FAIL(m, s);
        int r = sd_bus_message_open_container(reply, 'a', "(sqiuuuuus)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_dests; i++) {
                const IpvsDest *d = &s->dests[i];
                char a[ADDR_STR_MAX];
                r = sd_bus_message_append(reply, "(sqiuuuuus)", format_address(a, sizeof a, d->af, &d->addr), d->port,
                                          d->weight, d->u_threshold, d->l_threshold, d->active_conns, d->inact_conns,
                                          d->persist_conns, dest_forwarding(m, s, d));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int append_stats(sd_bus_message *reply, const IpvsStats *st) {
        const struct {
                const char *k;
                uint64_t v;
        } f[] = {
                { "conns", st->conns }, { "inpkts", st->inpkts }, { "outpkts", st->outpkts },
                { "inbytes", st->inbytes }, { "outbytes", st->outbytes }, { "cps", st->cps },
                { "inpps", st->inpps }, { "outpps", st->outpps }, { "inbps", st->inbps }, { "outbps", st->outbps },
        };
        int r = sd_bus_message_open_container(reply, 'a', "{st}");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(f); i++)
                r = sd_bus_message_append(reply, "{st}", f[i].k, f[i].v);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int prop_stats(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                      void *userdata, sd_bus_error *error) {
        SERVICE_OR_FAIL((Manager *) userdata, s);
        return append_stats(reply, &s->stats);
}

static int prop_dest_stats(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                           void *userdata, sd_bus_error *error) {
        SERVICE_OR_FAIL((Manager *) userdata, s);
        int r = sd_bus_message_open_container(reply, 'a', "(sqa{st})");
        for (size_t i = 0; r >= 0 && i < s->n_dests; i++) {
                char a[ADDR_STR_MAX];
                const IpvsDest *d = &s->dests[i];
                r = sd_bus_message_open_container(reply, 'r', "sqa{st}");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "sq", format_address(a, sizeof a, d->af, &d->addr), d->port);
                if (r >= 0)
                        r = append_stats(reply, &d->stats);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static const sd_bus_vtable service_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", prop_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ConfigId", "s", prop_config_id, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Managed", "b", prop_managed, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Family", "s", prop_family, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Protocol", "s", prop_protocol, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Address", "s", prop_address, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Port", "q", prop_port, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Fwmark", "u", prop_fwmark, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Scheduler", "s", prop_scheduler, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Flags", "as", prop_flags, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PersistenceTimeout", "u", prop_timeout, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PersistenceNetmask", "s", prop_netmask, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* weights, thresholds and forwarding emit; the connection counts in it are a snapshot */
        SD_BUS_PROPERTY("Destinations", "a(sqiuuuuus)", prop_destinations, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* counters and rates: read from the kernel on demand, no signal */
        SD_BUS_PROPERTY("Stats", "a{st}", prop_stats, 0, 0),
        SD_BUS_PROPERTY("DestinationStats", "a(sqa{st})", prop_dest_stats, 0, 0),
        SD_BUS_VTABLE_END
};

/* ---- manager ---- */

static int method_list_services(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = manager_of(userdata);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        IpvsTable t = {};
        int r;

        /* fresh: foreign services appear too, like ipvsadm -L */
        r = ipvs_genl_dump(m->genl, &t);
        if (r < 0)
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED, "Reading the IPVS table failed: %s", strerror(-r));
        ipvs_table_done(&m->kernel);
        m->kernel = t;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(so)");
        for (size_t i = 0; r >= 0 && i < m->kernel.n_services; i++) {
                char key[IPVS_KEY_STR_MAX];
                _cleanup_free_ char *path = NULL;
                (void) ipvs_service_key_format(&m->kernel.services[i].key, key, sizeof key);
                r = ipvs_service_path(&m->kernel.services[i].key, &path);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "(so)", key, path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_dump(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = manager_of(userdata);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        IpvsTable t = {};
        int r;

        r = ipvs_genl_dump(m->genl, &t);
        if (r < 0)
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED, "Reading the IPVS table failed: %s", strerror(-r));
        FILE *f = open_memstream(&buf, &len);
        if (!f) {
                ipvs_table_done(&t);
                return -ENOMEM;
        }
        r = ipvs_table_format_save(&t, f);
        fclose(f);
        ipvs_table_done(&m->kernel);
        m->kernel = t;
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", buf);
}

static int method_zero(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = manager_of(userdata);
        int r = daemon_check_privileged(msg, error);
        if (r < 0)
                return r;
        r = ipvs_genl_zero(m->genl, NULL);
        if (r < 0)
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED, "Zeroing the IPVS counters failed: %s", strerror(-r));
        log_info("IPVS counters zeroed on request.");
        return sd_bus_reply_method_return(msg, NULL);
}

/* SetWeight(service, dest, weight): a manual override (drain with 0) that
 * survives reloads until cleared with weight -1. One netlink op. */
static int method_set_weight(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = manager_of(userdata);
        const Config *c = m->daemon->config;
        const char *service, *dest;
        int32_t weight;
        IpvsServiceKey k;
        int r;

        r = daemon_check_privileged(msg, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "ssi", &service, &dest, &weight);
        if (r < 0)
                return r;
        if (weight < -1 || weight > 65535)
                return sd_bus_error_setf(error, VIGIL_ERROR_INVALID_ARGS,
                                         "SetWeight: weight %d out of range (0..65535, or -1 to return to the configured weight)", weight);
        if (ipvs_service_key_parse(service, &k) < 0)
                return sd_bus_error_setf(error, VIGIL_ERROR_INVALID_ARGS,
                                         "SetWeight: service '%s' is not a service key like tcp:10.0.0.1:80, udp:[2001:db8::1]:53 or fwmark:1",
                                         service);
        const IpvsService *ws = ipvs_table_find(&m->desired, &k);
        const VirtualServerConf *vs = NULL;
        for (size_t i = 0; i < c->n_virtual_servers && !vs; i++)
                if (ws && ws->id && c->virtual_servers[i].id && streq(c->virtual_servers[i].id, ws->id))
                        vs = &c->virtual_servers[i];
        if (!ws || !vs)
                return sd_bus_error_setf(error, VIGIL_ERROR_NOT_FOUND, "SetWeight: service %s is not in vigil's configuration", service);

        int af;
        union in_addr_union a;
        uint16_t port = 0;
        if (parse_address_port(dest, &af, &a, &port) < 0) {
                if (parse_address(dest, &af, &a) < 0)
                        return sd_bus_error_setf(error, VIGIL_ERROR_INVALID_ARGS,
                                                 "SetWeight: dest '%s' is not ADDRESS, ADDRESS:PORT or [ADDRESS]:PORT", dest);
                port = 0xffff; /* any: resolved from the config below */
        }
        const RealServerConf *rs = NULL;
        uint16_t rport = 0;
        for (size_t i = 0; i < vs->n_real_servers && !rs; i++) {
                const RealServerConf *x = &vs->real_servers[i];
                uint16_t p = x->port ? x->port : vs->port;
                if (x->address.family == af && address_equal(af, &x->address.addr, &a) && (port == 0xffff || p == port)) {
                        rs = x;
                        rport = p;
                }
        }
        if (!rs)
                return sd_bus_error_setf(error, VIGIL_ERROR_NOT_FOUND, "SetWeight: %s is not a real server of %s", dest, service);

        IpvsHealthEntry *e = ipvs_health_set(&m->health, ws->id, af, &a, rport);
        if (!e)
                return -ENOMEM;
        e->has_weight = weight >= 0;
        e->weight = weight >= 0 ? weight : 0;

        IpvsTable want = {};
        ConfDiags diags = {};
        r = manager_build_desired(m, c, &want, &diags);
        conf_diags_free(&diags);
        if (r < 0)
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED, "SetWeight: rebuilding the desired table failed: %s", strerror(-r));
        ipvs_table_done(&m->desired);
        m->desired = want;
        log_service(LOG_NOTICE, 0, service, "Weight of %s set to %d by request%s.", dest, weight,
                    weight < 0 ? " (back to the configured weight)" : "");
        /* from the cache: one op, no dump (the periodic reconcile re-reads) */
        r = manager_reconcile_one(m, false, &k);
        if (r < 0)
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED, "SetWeight: %s", strerror(-r));
        if (r > 0) {
                size_t n = strv_length(m->errors);
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED, "SetWeight: %s", n > 0 ? m->errors[n - 1] : "the kernel refused the change");
        }
        return sd_bus_reply_method_return(msg, NULL);
}

static int prop_last_errors(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                            void *userdata, sd_bus_error *error) {
        return sd_bus_message_append_strv(reply, manager_of(userdata)->errors);
}

static int prop_counters(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                         void *userdata, sd_bus_error *error) {
        Manager *m = manager_of(userdata);
        int r = sd_bus_message_open_container(reply, 'a', "{st}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{st}{st}{st}{st}{st}{st}", "reconciles", m->reconciles, "ops_applied",
                                          m->ops_applied, "ops_failed", m->ops_failed, "last_ops", m->last_ops,
                                          "sendmsg", ipvs_genl_sendmsg_count(m->genl), "owned_services", (uint64_t) m->owned.n);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

const sd_bus_vtable ipvs_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        DAEMON_MANAGER_VTABLE_COMMON,
        SD_BUS_METHOD_WITH_ARGS("ListServices", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(so)", services), method_list_services,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Dump", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", ipvsadm_save), method_dump, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ZeroCounters", "", "", method_zero, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetWeight", SD_BUS_ARGS("s", service, "s", dest, "i", weight), SD_BUS_NO_RESULT,
                                method_set_weight, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("LastErrors", "as", prop_last_errors, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Counters", "a{st}", prop_counters, 0, 0),
        SD_BUS_VTABLE_END
};

int ipvs_bus_register(Manager *m) {
        sd_bus *bus = m->daemon->bus;
        int r;

        /* again on each bus connection: the previous connection's slots go */
        m->service_vtable_slot = sd_bus_slot_unref(m->service_vtable_slot);
        m->service_enum_slot = sd_bus_slot_unref(m->service_enum_slot);
        r = sd_bus_add_fallback_vtable(bus, &m->service_vtable_slot, IPVS_SERVICE_PREFIX, IPVS_SERVICE_IFACE,
                                       service_vtable, service_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %m", IPVS_SERVICE_PREFIX);
        r = sd_bus_add_node_enumerator(bus, &m->service_enum_slot, IPVS_SERVICE_PREFIX, service_enumerate, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the service enumerator: %m");
        return 0;
}

void ipvs_bus_unregister(Manager *m) {
        m->service_vtable_slot = sd_bus_slot_unref(m->service_vtable_slot);
        m->service_enum_slot = sd_bus_slot_unref(m->service_enum_slot);
        ipvs_table_done(&fetched);
}

void ipvs_bus_emit_changes(Manager *m, const IpvsOp *ops, size_t n, const int *errors) {
        sd_bus *bus = m->daemon->bus;
        const IpvsService *last = NULL;

        if (!bus || !m->service_vtable_slot)
                return; /* startup: objects are not registered yet; clients see them at once */
        answer_from_cache = true;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                if (errors[i] != 0 || ops[i].service == last)
                        continue;
                last = ops[i].service;
                if (ipvs_service_path(&ops[i].service->key, &path) < 0)
                        continue;
                lookup_key = ops[i].service->key;
                if (ops[i].type == IPVS_OP_ADD_SERVICE)
                        (void) sd_bus_emit_object_added(bus, path);
                else if (ops[i].type == IPVS_OP_DEL_SERVICE)
                        (void) sd_bus_emit_object_removed(bus, path);
                else
                        (void) sd_bus_emit_properties_changed(bus, path, IPVS_SERVICE_IFACE, "Scheduler", "Flags",
                                                              "PersistenceTimeout", "PersistenceNetmask", "Destinations",
                                                              "Managed", "ConfigId", NULL);
        }
        answer_from_cache = false;
}
