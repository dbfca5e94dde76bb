/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ipvsd's view of the other daemons (DESIGN §3):
 *
 * - Health: every real server with a check follows that check's object on
 *   org.vigil.Checker1 (State up|down, Weight for dynamic checks). A verdict
 *   changes the health map and the kernel follows with the minimal ops.
 *   Fail-static: when checkerd vanishes or a verdict is "unknown", the last
 *   known health stays; when checkerd (re)appears, every watched check is
 *   read again (GetAll), so a lost signal never leaves the table wrong, and
 *   the table is never zeroed because a message was lost.
 * - Quorum: a virtual server whose live weight falls below quorum (minus
 *   hysteresis) serves its sorry server instead, until the live weight is back
 *   at quorum + hysteresis.
 * - Sync daemon: with ipvs.sync_daemon.instance, the IPVS connection sync
 *   daemon runs as master while that VRRP instance is master and as backup
 *   otherwise, so connections survive a failover. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup-libs.h"
#include "ipvsd.h"
#include "log.h"

#define CHECKER_NAME "org.vigil.Checker1"
#define CHECKER_CHECK_PREFIX "/org/vigil/Checker1/check"
#define CHECKER_CHECK_IFACE "org.vigil.Checker1.Check"
#define VRRP_NAME "org.vigil.Vrrp1"
#define VRRP_INSTANCE_PREFIX "/org/vigil/Vrrp1/instance"
#define VRRP_INSTANCE_IFACE "org.vigil.Vrrp1.Instance"

typedef struct Watch {
        char *path;              /* the check's object */
        char *check_name;
        char *service_id;
        int af;
        union in_addr_union addr;
        uint16_t port;
        bool dynamic;            /* the check's Weight is the real server's weight */
} Watch;

typedef struct QuorumState {
        char *service_id;
        bool lost;               /* serving the sorry server */
} QuorumState;

static struct {
        Manager *m;
        Watch *watches;
        size_t n_watches;
        QuorumState *quorum;
        size_t n_quorum;
        sd_bus_slot *match_props, *match_owner, *match_vrrp_props, *match_vrrp_owner;
        sd_event_source *rebuild;      /* coalesces bursts of verdicts into one reconcile */
        bool checker_present;
        char *vrrp_path;               /* followed instance, NULL = no sync daemon management */
        char *vrrp_state;              /* last known state of the followed instance */
        uint32_t sync_role;            /* IP_VS_STATE_MASTER / BACKUP / 0 none, what we started */
} H;

static void watches_free(void) {
        for (size_t i = 0; i < H.n_watches; i++) {
                free(H.watches[i].path);
                free(H.watches[i].check_name);
                free(H.watches[i].service_id);
        }
        free(H.watches);
        H.watches = NULL;
        H.n_watches = 0;
}

static bool check_is_dynamic(const CheckConf *c) {
        return c && ((c->type == CHECK_EXEC && c->dynamic) || c->type == CHECK_FILE);
}

/* One watch per real server with a check (inline or by name). */
static int watches_build(const Config *c) {
        watches_free();
        for (size_t i = 0; i < c->n_virtual_servers; i++) {
                const VirtualServerConf *vs = &c->virtual_servers[i];
                for (size_t j = 0; j < vs->n_real_servers; j++) {
                        const RealServerConf *rs = &vs->real_servers[j];
                        const CheckConf *chk = rs->check ?: (rs->check_ref ? config_find_check(c, rs->check_ref) : NULL);
                        if (!chk || !chk->name)
                                continue;
                        Watch *n = realloc(H.watches, (H.n_watches + 1) * sizeof *n);
                        if (!n)
                                return -ENOMEM;
                        H.watches = n;
                        Watch *w = &H.watches[H.n_watches];
                        *w = (Watch) {
                                .af = rs->address.family,
                                .addr = rs->address.addr,
                                .port = real_server_port(vs, rs),
                                .dynamic = check_is_dynamic(chk),
                        };
                        if (sd_bus_path_encode(CHECKER_CHECK_PREFIX, chk->name, &w->path) < 0 ||
                            !(w->check_name = strdup(chk->name)) || !(w->service_id = strdup(vs->id))) {
                                free(w->path);
                                free(w->check_name);
                                return -ENOMEM;
                        }
                        H.n_watches++;
                        /* A real server seen for the first time starts as its check's
                         * initial state says (keepalived starts them up). */
                        if (!ipvs_health_get(&H.m->health, vs->id, w->af, &w->addr, w->port)) {
                                IpvsHealthEntry *e = ipvs_health_set(&H.m->health, vs->id, w->af, &w->addr, w->port);
                                if (!e)
                                        return -ENOMEM;
                                e->state = chk->initial_state == CHECK_INITIAL_DOWN ? IPVS_DEST_DOWN : IPVS_DEST_UP;
                        }
                }
        }
        return 0;
}

/* ---- applying verdicts ---- */

static int on_rebuild(sd_event_source *s, void *userdata) {
        Manager *m = H.m;
        IpvsTable want = {};
        ConfDiags diags = {};

        int r = manager_build_desired(m, m->daemon->config, &want, &diags);
        conf_diags_free(&diags);
        if (r < 0) {
                ipvs_table_done(&want);
                log_error_errno(r, "Health change: rebuilding the desired table failed: %m");
                return 0;
        }
        ipvs_table_done(&m->desired);
        m->desired = want;
        /* from the cache: a verdict costs one op; the periodic reconcile re-reads the kernel */
        (void) manager_reconcile(m, false);
        return 0;
}

static void schedule_rebuild(void) {
        if (!H.rebuild) {
                if (sd_event_add_defer(H.m->daemon->event, &H.rebuild, on_rebuild, NULL) < 0) {
                        (void) on_rebuild(NULL, NULL);
                        return;
                }
                (void) sd_event_source_set_priority(H.rebuild, SD_EVENT_PRIORITY_IDLE);
        }
        (void) sd_event_source_set_enabled(H.rebuild, SD_EVENT_ONESHOT);
}

/* state: "up", "down", "unknown" or NULL (unchanged); weight < 0: unchanged. */
static void apply_verdict(const char *path, const char *state, int weight) {
        bool changed = false;
        for (size_t i = 0; i < H.n_watches; i++) {
                Watch *w = &H.watches[i];
                if (!streq(w->path, path))
                        continue;
                IpvsHealthEntry *e = ipvs_health_set(&H.m->health, w->service_id, w->af, &w->addr, w->port);
                if (!e) {
                        log_oom();
                        return;
                }
                char dest[ADDR_STR_MAX + 8];
                ipvs_dest_format(dest, sizeof dest, w->af, &w->addr, w->port);
                if (state && (streq(state, "up") || streq(state, "down"))) {
                        IpvsDestState s = streq(state, "up") ? IPVS_DEST_UP : IPVS_DEST_DOWN;
                        if (e->state != s) {
                                e->state = s;
                                changed = true;
                                log_service(LOG_NOTICE, 0, w->service_id, "Real server %s is %s (check %s).", dest, state,
                                            w->check_name);
                        }
                } else if (state && streq(state, "unknown"))
                        log_service(LOG_INFO, 0, w->service_id,
                                    "Check %s of %s cannot decide (unknown): keeping the last known health.", w->check_name, dest);
                if (w->dynamic && weight >= 0 && (!e->has_weight || e->weight != weight)) {
                        e->has_weight = true;
                        e->weight = weight;
                        changed = true;
                        log_service(LOG_INFO, 0, w->service_id, "Real server %s weight %d (dynamic check %s).", dest, weight,
                                    w->check_name);
                }
        }
        if (changed)
                schedule_rebuild();
}

/* Reads a{sv} of properties: State and Weight. */
static int read_props(sd_bus_message *msg, const char **ret_state, int *ret_weight) {
        const char *prop;
        int r;

        *ret_state = NULL;
        *ret_weight = -1;
        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                r = sd_bus_message_read(msg, "s", &prop);
                if (r < 0)
                        return r;
                if (streq(prop, "State"))
                        r = sd_bus_message_read(msg, "v", "s", ret_state);
                else if (streq(prop, "Weight")) {
                        int32_t wgt;
                        r = sd_bus_message_read(msg, "v", "i", &wgt);
                        if (r >= 0)
                                *ret_weight = wgt;
                } else
                        r = sd_bus_message_skip(msg, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static RateLimit bad_signal_rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 5);

static int on_check_props(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        const char *iface, *state;
        int weight;

        if (sd_bus_message_read(msg, "s", &iface) < 0 || !streq(iface, CHECKER_CHECK_IFACE))
                return 0;
        if (read_props(msg, &state, &weight) < 0) {
                if (ratelimit_below(&bad_signal_rl))
                        log_warning("Ignoring a malformed PropertiesChanged from %s on %s.", strna(sd_bus_message_get_sender(msg)),
                                    strna(sd_bus_message_get_path(msg)));
                return 0;
        }
        apply_verdict(sd_bus_message_get_path(msg), state, weight);
        return 0;
}

static int on_getall_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        char *path = userdata;
        const char *state;
        int weight;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                /* A check missing from checkerd (older config there): keep what we know. */
                log_debug("Reading %s: %s", path, e && e->message ? e->message : "error");
        } else if (read_props(reply, &state, &weight) >= 0)
                apply_verdict(path, state, weight);
        free(path);
        return 0;
}

/* Reads every watched check again: on start, when checkerd (re)appears, on reload. */
static void resync(void) {
        sd_bus *bus = H.m->daemon->bus;
        for (size_t i = 0; i < H.n_watches; i++) {
                bool seen = false;
                for (size_t j = 0; j < i && !seen; j++)
                        seen = streq(H.watches[j].path, H.watches[i].path);
                if (seen)
                        continue;
                char *p = strdup(H.watches[i].path);
                if (!p || sd_bus_call_method_async(bus, NULL, CHECKER_NAME, p, "org.freedesktop.DBus.Properties", "GetAll",
                                                   on_getall_reply, p, "s", CHECKER_CHECK_IFACE) < 0)
                        free(p);
        }
}

static int on_checker_owner(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        const char *name, *old, *new;
        if (sd_bus_message_read(msg, "sss", &name, &old, &new) < 0 || !streq(name, CHECKER_NAME))
                return 0;
        if (isempty(new)) {
                H.checker_present = false;
                log_warning("vigil-checkerd left the bus: keeping the last known health of %zu real server(s) (fail-static).",
                            H.n_watches);
        } else {
                H.checker_present = true;
                log_info("vigil-checkerd is on the bus (%s): reading the health of %zu real server(s).", new, H.n_watches);
                resync();
        }
        return 0;
}

/* ---- quorum and sorry server ---- */

static QuorumState *quorum_state(const char *id) {
        for (size_t i = 0; i < H.n_quorum; i++)
                if (streq(H.quorum[i].service_id, id))
                        return &H.quorum[i];
        QuorumState *n = realloc(H.quorum, (H.n_quorum + 1) * sizeof *n);
        if (!n)
                return NULL;
        H.quorum = n;
        H.quorum[H.n_quorum] = (QuorumState) { .service_id = strdup(id) };
        if (!H.quorum[H.n_quorum].service_id)
                return NULL;
        return &H.quorum[H.n_quorum++];
}

void ipvs_health_apply_quorum(const Config *c, IpvsTable *t) {
        for (size_t i = 0; i < c->n_virtual_servers; i++) {
                const VirtualServerConf *vs = &c->virtual_servers[i];
                if (!vs->has_sorry_server && vs->quorum <= 1 && vs->hysteresis == 0)
                        continue;
                IpvsService *s = NULL;
                for (size_t j = 0; j < t->n_services && !s; j++)
                        if (t->services[j].id && streq(t->services[j].id, vs->id))
                                s = &t->services[j];
                if (!s)
                        continue;
                uint64_t live = 0;
                for (size_t j = 0; j < s->n_dests; j++)
                        if (s->dests[j].weight > 0)
                                live += (uint64_t) s->dests[j].weight;
                QuorumState *q = quorum_state(vs->id);
                if (!q)
                        continue;
                unsigned quorum = vs->quorum ? vs->quorum : 1;
                bool was_lost = q->lost;
                if (!q->lost && live + vs->hysteresis < quorum)
                        q->lost = true;
                else if (q->lost && live >= (uint64_t) quorum + vs->hysteresis)
                        q->lost = false;
                if (q->lost != was_lost)
                        log_service(q->lost ? LOG_WARNING : LOG_NOTICE, 0, vs->id,
                                    q->lost ? "Quorum lost (live weight %llu < %u)%s." : "Quorum back (live weight %llu ≥ %u)%s.",
                                    (unsigned long long) live, quorum,
                                    vs->has_sorry_server ? (q->lost ? ": serving the sorry server" : ": sorry server withdrawn") : "");
                if (!q->lost || !vs->has_sorry_server)
                        continue;
                /* Quorum lost: the sorry server alone takes the traffic. */
                IpvsDest sorry = {
                        .af = vs->sorry_server.family,
                        .addr = vs->sorry_server.addr,
                        .port = vs->sorry_port ? vs->sorry_port : vs->port,
                        .weight = 1,
                        .loc = &vs->loc,
                };
                Forwarding f = vs->sorry_forwarding != FORWARDING_INHERIT ? vs->sorry_forwarding : vs->forwarding;
                sorry.conn_flags = f == FORWARDING_DR ? IP_VS_CONN_F_DROUTE : f == FORWARDING_TUN ? IP_VS_CONN_F_TUNNEL
                                                                                                  : IP_VS_CONN_F_MASQ;
                if (f == FORWARDING_TUN)
                        sorry.tun_type = IP_VS_CONN_F_TUNNEL_TYPE_IPIP;
                s->n_dests = 0; /* IpvsDest owns no memory: dropping them is enough */
                if (!ipvs_service_add_dest(s, &sorry))
                        log_oom();
        }
}

/* ---- the sync daemon follows a VRRP instance ---- */

static void sync_apply(const char *state) {
        Manager *m = H.m;
        const IpvsGlobalConf *g = &m->daemon->config->ipvs;
        const VrrpInstanceConf *inst = g->sync_instance ? config_find_instance(m->daemon->config, g->sync_instance) : NULL;
        uint32_t want = streq(strempty(state), "master") ? IP_VS_STATE_MASTER
                      : streq(strempty(state), "backup") ? IP_VS_STATE_BACKUP : 0;
        if (want == H.sync_role || !m->genl)
                return;
        if (H.sync_role) {
                int r = ipvs_genl_stop_daemon(m->genl, H.sync_role);
                if (r < 0 && r != -ESRCH)
                        log_warning_errno(r, "Failed to stop the IPVS sync daemon: %m");
                H.sync_role = 0;
        }
        if (!want)
                return;
        IpvsSyncDaemon d = { .state = want, .sync_id = g->sync_id ? g->sync_id : (inst ? inst->virtual_router_id : 0) };
        snprintf(d.mcast_ifn, sizeof d.mcast_ifn, "%s", g->sync_interface[0] ? g->sync_interface : inst ? inst->interface : "");
        int r = ipvs_genl_start_daemon(m->genl, &d);
        if (r == -EEXIST)
                r = 0;
        if (r < 0) {
                log_error_errno(r, "Failed to start the IPVS sync daemon as %s on %s (sync id %u): %m",
                                want == IP_VS_STATE_MASTER ? "master" : "backup", d.mcast_ifn, d.sync_id);
                return;
        }
        H.sync_role = want;
        log_notice("IPVS connection sync daemon runs as %s on %s (sync id %u), following VRRP instance %s.",
                   want == IP_VS_STATE_MASTER ? "master" : "backup", d.mcast_ifn, d.sync_id, g->sync_instance);
}

static void vrrp_state_set(const char *state) {
        if (!state)
                return;
        free(H.vrrp_state);
        H.vrrp_state = strdup(state);
        sync_apply(state);
}

static int on_vrrp_props(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        const char *iface, *state;
        int weight; /* instances have no Weight: stays -1 */
        if (!H.vrrp_path || !streq(strempty(sd_bus_message_get_path(msg)), H.vrrp_path))
                return 0;
        if (sd_bus_message_read(msg, "s", &iface) < 0 || !streq(iface, VRRP_INSTANCE_IFACE))
                return 0;
        if (read_props(msg, &state, &weight) < 0)
                return 0;
        vrrp_state_set(state);
        return 0;
}

static int on_vrrp_state_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const char *state;
        if (!sd_bus_message_is_method_error(reply, NULL) && sd_bus_message_read(reply, "v", "s", &state) >= 0)
                vrrp_state_set(state);
        return 0;
}

static void vrrp_resync(void) {
        if (H.vrrp_path)
                (void) sd_bus_call_method_async(H.m->daemon->bus, NULL, VRRP_NAME, H.vrrp_path, "org.freedesktop.DBus.Properties",
                                                "Get", on_vrrp_state_reply, NULL, "ss", VRRP_INSTANCE_IFACE, "State");
}

static void on_vrrp_vanished(const char *name, void *userdata) {
        /* vrrpd gone: its VIPs go with their lease, so this node will not
         * be master; a backup sync daemon is the safe role. */
        vrrp_state_set("backup");
}

static int on_vrrp_owner(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        const char *name, *old, *new;
        if (sd_bus_message_read(msg, "sss", &name, &old, &new) < 0 || !streq(name, VRRP_NAME))
                return 0;
        if (!isempty(new))
                vrrp_resync();
        else if (daemon_confirm_vanished(sd_bus_message_get_bus(msg), name, on_vrrp_vanished, NULL) < 0)
                /* (dbus-daemon shutting down says the same: the bus confirms first) */
                on_vrrp_vanished(name, NULL);
        return 0;
}

static int sync_configure(const Config *c) {
        free(H.vrrp_path);
        H.vrrp_path = NULL;
        if (!c->ipvs.sync_instance) {
                sync_apply(NULL);
                return 0;
        }
        int r = sd_bus_path_encode(VRRP_INSTANCE_PREFIX, c->ipvs.sync_instance, &H.vrrp_path);
        if (r < 0)
                return r;
        vrrp_resync();
        return 0;
}

/* ---- lifecycle ---- */

int ipvs_health_init(Manager *m, const Config *c) {
        H.m = m;
        int r = watches_build(c);
        return r < 0 ? log_oom() : 0;
}

void ipvs_health_detach(void) {
        H.match_props = sd_bus_slot_unref(H.match_props);
        H.match_owner = sd_bus_slot_unref(H.match_owner);
        H.match_vrrp_props = sd_bus_slot_unref(H.match_vrrp_props);
        H.match_vrrp_owner = sd_bus_slot_unref(H.match_vrrp_owner);
}

/* Every bus connection: asynchronous calls only (on a reconnect the handshake
 * is still under way; the matches are queued before the reads, so no verdict
 * falls between them). A read that fails (checkerd not back yet) keeps what
 * we know; its NameOwnerChanged reads again. */
int ipvs_health_start(Manager *m) {
        sd_bus *bus = m->daemon->bus;
        int r;

        H.m = m;
        ipvs_health_detach();
        r = sd_bus_match_signal_async(bus, &H.match_props, CHECKER_NAME, NULL, "org.freedesktop.DBus.Properties",
                                      "PropertiesChanged", on_check_props, NULL, NULL);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &H.match_owner, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                              "org.freedesktop.DBus", "NameOwnerChanged", on_checker_owner, NULL, NULL);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &H.match_vrrp_props, VRRP_NAME, NULL, "org.freedesktop.DBus.Properties",
                                              "PropertiesChanged", on_vrrp_props, NULL, NULL);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &H.match_vrrp_owner, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                              "org.freedesktop.DBus", "NameOwnerChanged", on_vrrp_owner, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to checkerd/vrrpd signals: %m");
        resync();
        return sync_configure(m->daemon->config);
}

int ipvs_health_reload(Manager *m, const Config *c) {
        int r = watches_build(c);
        if (r < 0)
                return log_oom();
        resync();
        /* sync_configure reads the running config: the caller applies it first */
        return 0;
}

int ipvs_health_sync_reconfigure(Manager *m, const Config *c) {
        return sync_configure(c);
}

void ipvs_health_free(void) {
        watches_free();
        for (size_t i = 0; i < H.n_quorum; i++)
                free(H.quorum[i].service_id);
        free(H.quorum);
        ipvs_health_detach();
        H.rebuild = sd_event_source_unref(H.rebuild);
        free(H.vrrp_path);
        free(H.vrrp_state);
        H = (typeof(H)) {};
}
