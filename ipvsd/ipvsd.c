/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigil-ipvsd: keeps the kernel's IPVS table equal to the configured
 * virtual_servers. The kernel is the source of truth: at start the table is
 * dumped, matching services are adopted, services vigil created earlier
 * (state file) but no longer configured are removed, and everything else is
 * left alone unless ipvs.own_table says the whole table is ours. Stopping
 * leaves the table in place: traffic keeps flowing while ipvsd restarts. */

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ipvsd.h"
#include "log.h"
#include "macro.h"

static char *arg_state_dir = NULL;

#define MAX_KEPT_ERRORS 64

/* ---- desired state ---- */

int manager_build_desired(Manager *m, const Config *c, IpvsTable *ret, ConfDiags *diags) {
        int r = ipvs_desired_build(c, &m->health, ret, diags);
        if (r >= 0)
                ipvs_health_apply_quorum(c, ret);
        return r;
}

static void log_diags(const ConfDiags *d) {
        for (size_t i = 0; i < d->n; i++) {
                const ConfDiag *g = &d->items[i];
                log_full(g->warning ? LOG_WARNING : LOG_ERR, "%s:%u:%u: %s: %s", strna(g->loc.file), g->loc.line,
                         g->loc.col, g->warning ? "warning" : "error", g->message);
        }
}

/* ---- reconcile ---- */

static void errors_clear(Manager *m) {
        strv_free(m->errors);
        m->errors = NULL;
}

static void errors_push(Manager *m, const char *msg) {
        size_t n = strv_length(m->errors);
        if (n >= MAX_KEPT_ERRORS)
                return;
        char **l = reallocarray(m->errors, n + 2, sizeof(char *));
        if (!l)
                return;
        m->errors = l;
        l[n + 1] = NULL;
        l[n] = strdup(msg); /* on OOM l[n] is NULL and ends the list */
}

static int update_ownership(Manager *m) {
        IpvsOwned n = {};
        /* O(n log n): with 10,000 services a per-key linear search cost seconds */
        int r = ipvs_owned_update(&m->owned, &m->desired, &m->kernel, &n);
        if (r < 0)
                return r;
        ipvs_owned_done(&m->owned);
        m->owned = n;
        if (r == 0)
                return 0;
        return ipvs_state_save(m->state_file, &m->owned);
}

static void sync_fullnat(Manager *m) {
        _cleanup_free_ char *text = NULL, *err = NULL;
        int r;

        r = ipvs_nft_render(&m->desired, &text);
        if (r < 0) {
                log_error_errno(r, "Failed to render the FULL-NAT ruleset: %m");
                return;
        }
        if (m->nft_known && streq(strempty(text), strempty(m->nft_applied)))
                return;
        if (text) {
                r = ipvs_enable_conntrack();
                if (r < 0)
                        log_error_errno(r, "FULL-NAT needs net.ipv4.vs.conntrack=1 but setting it failed: %m");
                else if (r > 0)
                        log_info("Enabled net.ipv4.vs.conntrack for FULL-NAT services.");
        }
        usec_t t0 = now_usec(CLOCK_MONOTONIC);
        r = ipvs_nft_apply(text, &err);
        if (r < 0) {
                char msg[512];
                snprintf(msg, sizeof msg, "nftables table inet vigil_ipvs (FULL-NAT): %s", strna(err));
                log_error_errno(r, "%s", msg);
                errors_push(m, msg);
                m->nft_known = false;
                return;
        }
        log_info("FULL-NAT table inet vigil_ipvs %s in %.1f ms.", text ? "loaded" : "removed (no fullnat real servers)",
                 (double) (now_usec(CLOCK_MONOTONIC) - t0) / 1000.0);
        free(m->nft_applied);
        m->nft_applied = TAKE_PTR(text);
        m->nft_known = true;
}

int manager_reconcile(Manager *m, bool dump) {
        return manager_reconcile_one(m, dump, NULL);
}

int manager_reconcile_one(Manager *m, bool dump, const IpvsServiceKey *only) {
        const Config *c = m->daemon->config;
        IpvsOps ops = {};
        _cleanup_ipvs_table_ IpvsTable old = {};
        _cleanup_free_ int *errors = NULL;
        usec_t t0 = now_usec(CLOCK_MONOTONIC);
        int r, failed;

        usec_t t_dump = 0, t_diff, t_apply = 0;
        if (dump || m->kernel_stale) {
                IpvsTable k = {};
                r = ipvs_genl_dump(m->genl, &k);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the kernel's IPVS table: %m");
                ipvs_table_done(&m->kernel);
                m->kernel = k;
                m->kernel_stale = false;
                t_dump = now_usec(CLOCK_MONOTONIC) - t0;
        }
        t_diff = now_usec(CLOCK_MONOTONIC);

        IpvsDiffParams p = { .owned = &m->owned, .own_table = c->ipvs.own_table };
        r = ipvs_diff(&m->desired, &m->kernel, &p, &ops);
        if (r < 0)
                return log_oom();
        if (only) {
                /* a targeted change (SetWeight) touches its own service only;
                 * other pending differences wait for the next full reconcile */
                size_t k = 0;
                for (size_t i = 0; i < ops.n; i++)
                        if (ipvs_service_key_compare(&ops.ops[i].service->key, only) == 0)
                                ops.ops[k++] = ops.ops[i];
                ops.n = k;
        }

        if (!only)
                errors_clear(m); /* a full pass replaces the list; a targeted one adds to it */
        failed = 0;
        if (ops.n > 0) {
                errors = calloc(ops.n, sizeof(int));
                if (!errors) {
                        ipvs_ops_done(&ops);
                        return log_oom();
                }
                for (size_t i = 0; i < ops.n; i++)
                        if (log_get_max_level() >= LOG_DEBUG) {
                                char b[256];
                                (void) ipvs_op_format(&ops.ops[i], b, sizeof b);
                                log_debug("op: %s", b);
                        }
                t_diff = now_usec(CLOCK_MONOTONIC) - t_diff;
                t_apply = now_usec(CLOCK_MONOTONIC);
                failed = ipvs_genl_apply(m->genl, ops.ops, ops.n, errors);
                t_apply = now_usec(CLOCK_MONOTONIC) - t_apply;
                if (failed < 0) {
                        ipvs_ops_done(&ops);
                        return log_error_errno(failed, "IPVS netlink socket failed: %m");
                }
                /* ops of one service are contiguous, its add first: the dests of a
                 * service whose add failed fail with ESRCH as a consequence */
                const IpvsService *failed_add = NULL;
                for (size_t i = 0; i < ops.n; i++) {
                        const IpvsOp *op = &ops.ops[i];
                        char key[IPVS_KEY_STR_MAX], msg[512];
                        if (op->type == IPVS_OP_ADD_SERVICE)
                                failed_add = errors[i] != 0 ? op->service : NULL;
                        if (errors[i] == 0)
                                continue;
                        if (op->dest && errors[i] == -ESRCH && op->service == failed_add) {
                                errors[i] = -ECANCELED; /* one error says it all, and it is no sign of drift */
                                continue;
                        }
                        (void) ipvs_service_key_format(&op->service->key, key, sizeof key);
                        const char *kp = key;
                        ipvs_op_strerror(op, errors[i], msg, sizeof msg);
                        if (op->service->loc && op->service->loc->file) {
                                const ConfLoc *l = op->dest && op->dest->loc ? op->dest->loc : op->service->loc;
                                char with[600];
                                snprintf(with, sizeof with, "%s (%s:%u:%u)", msg, l->file, l->line, l->col);
                                log_service(LOG_ERR, errors[i], kp, "%s", with);
                                errors_push(m, with);
                        } else {
                                log_service(LOG_ERR, errors[i], kp, "%s", msg);
                                errors_push(m, msg);
                        }
                }
                /* old stays alive until the ops (which may point into it) are done */
                IpvsTable next = {};
                r = ipvs_table_apply_ops(&m->kernel, ops.ops, ops.n, errors, &next);
                if (r < 0) {
                        log_oom();
                        m->kernel_stale = true;
                } else {
                        old = m->kernel;
                        m->kernel = next;
                }
                /* "exists" / "no such ..." mean the kernel changed behind our back: re-read it
                 * next time. Other refusals (a missing scheduler) say nothing about the cache. */
                for (size_t i = 0; i < ops.n; i++)
                        if (errors[i] == -EEXIST || errors[i] == -ESRCH || (errors[i] == -ENOENT && ops.ops[i].dest))
                                m->kernel_stale = true;
                m->ops_applied += ops.n - (size_t) failed;
                m->ops_failed += (size_t) failed;
                ipvs_bus_emit_changes(m, ops.ops, ops.n, errors);
                log_info("IPVS: applied %zu change(s), %d failed, in %.1f ms (dump %.1f, diff %.1f, netlink %.1f; "
                         "%" PRIu64 " sendmsg calls so far).",
                         ops.n - (size_t) failed, failed, (double) (now_usec(CLOCK_MONOTONIC) - t0) / 1000.0,
                         (double) t_dump / 1000.0, (double) t_diff / 1000.0, (double) t_apply / 1000.0,
                         ipvs_genl_sendmsg_count(m->genl));
        } else
                log_debug("IPVS table already as configured.");
        m->last_ops = ops.n;
        m->reconciles++;

        r = update_ownership(m);
        if (r < 0)
                log_warning_errno(r, "Could not record owned services in %s; a restart may leave stale services: %m", m->state_file);
        ipvs_ops_done(&ops);

        sync_fullnat(m);
        if (m->daemon->bus)
                (void) sd_bus_emit_properties_changed(m->daemon->bus, IPVS_MANAGER_PATH, IPVS_MANAGER_IFACE, "LastErrors", NULL);
        return failed;
}

/* ---- timeouts and the sync daemon ---- */

static void apply_timeouts(Manager *m, const IpvsGlobalConf *g) {
        IpvsTimeouts want = {
                .tcp = (uint32_t) (g->timeout_tcp / USEC_PER_SEC),
                .tcp_fin = (uint32_t) (g->timeout_tcpfin / USEC_PER_SEC),
                .udp = (uint32_t) (g->timeout_udp / USEC_PER_SEC),
        }, have;
        int r;

        if (!want.tcp && !want.tcp_fin && !want.udp)
                return; /* 0 = leave the kernel's */
        r = ipvs_genl_get_timeouts(m->genl, &have);
        if (r >= 0 && (!want.tcp || want.tcp == have.tcp) && (!want.tcp_fin || want.tcp_fin == have.tcp_fin) &&
            (!want.udp || want.udp == have.udp))
                return;
        r = ipvs_genl_set_timeouts(m->genl, &want);
        if (r < 0) {
                char msg[128];
                snprintf(msg, sizeof msg, "setting IPVS timeouts (tcp %u, tcpfin %u, udp %u): %s", want.tcp, want.tcp_fin,
                         want.udp, strerror(-r));
                log_error_errno(r, "%s", msg);
                errors_push(m, msg);
        } else
                log_info("IPVS timeouts set: tcp %us, tcpfin %us, udp %us (0 = unchanged).", want.tcp, want.tcp_fin, want.udp);
}

/* ---- periodic re-read ---- */

static int on_reconcile_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        usec_t interval = m->daemon->config->ipvs.reconcile_interval;

        (void) manager_reconcile(m, true);
        if (interval > 0) {
                (void) sd_event_source_set_time_relative(s, interval);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        return 0;
}

static void arm_timer(Manager *m) {
        usec_t interval = m->daemon->config->ipvs.reconcile_interval;
        if (interval == 0) {
                if (m->reconcile_timer)
                        (void) sd_event_source_set_enabled(m->reconcile_timer, SD_EVENT_OFF);
                return;
        }
        if (!m->reconcile_timer) {
                if (sd_event_add_time_relative(m->daemon->event, &m->reconcile_timer, CLOCK_MONOTONIC, interval,
                                               USEC_PER_SEC, on_reconcile_timer, m) < 0)
                        log_warning("Could not arm the periodic reconcile timer.");
                return;
        }
        (void) sd_event_source_set_time_relative(m->reconcile_timer, interval);
        (void) sd_event_source_set_enabled(m->reconcile_timer, SD_EVENT_ONESHOT);
}

/* ---- lifecycle ---- */

static int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, mode) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int ipvsd_start(Daemon *d) {
        Manager *m = d->userdata;
        ConfDiags diags = {};
        int r;

        m->daemon = d;
        /* Finish the bus handshake now: programming a large table can take
         * longer than dbus-daemon's authentication timeout (30 s), and the
         * loop that would complete it only runs after start(). */
        const char *unique;
        r = sd_bus_get_unique_name(d->bus, &unique);
        if (r < 0)
                return log_error_errno(r, "Failed to complete the connection to the bus: %m");
        const char *dir = arg_state_dir ?: getenv("VIGIL_STATE_DIR") ?: VIGIL_RUNSTATEDIR;
        m->state_dir = strdup(dir);
        if (!m->state_dir || asprintf(&m->state_file, "%s/ipvsd.owned", dir) < 0)
                return log_oom();
        r = mkdir_p(m->state_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create the state directory %s: %m", m->state_dir);
        r = ipvs_state_load(m->state_file, &m->owned);
        if (r < 0)
                return r;
        log_info("%zu service(s) recorded as vigil's in %s.", m->owned.n, m->state_file);

        r = ipvs_health_init(m, d->config);
        if (r < 0)
                return r;
        r = manager_build_desired(m, d->config, &m->desired, &diags);
        if (r < 0) {
                log_diags(&diags);
                conf_diags_free(&diags);
                return log_error_errno(r, "Not starting: the virtual_servers cannot be programmed as written.");
        }
        conf_diags_free(&diags);

        r = ipvs_genl_open(&m->genl);
        if (r < 0)
                return log_error_errno(r, "%s", ipvs_genl_open_strerror(r));

        apply_timeouts(m, &d->config->ipvs);
        r = manager_reconcile(m, true);
        if (r < 0)
                return r;

        arm_timer(m);
        return 0;
}

/* Each bus connection. The table was reconciled all along: only the objects
 * and the subscriptions (with a re-read of checkerd's verdicts) are redone. */
static int ipvsd_attach(Daemon *d) {
        Manager *m = d->userdata;
        int r;

        r = ipvs_bus_register(m);
        if (r < 0)
                return r;
        return ipvs_health_start(m);
}

static void ipvsd_detach(Daemon *d) {
        Manager *m = d->userdata;

        m->service_vtable_slot = sd_bus_slot_unref(m->service_vtable_slot);
        m->service_enum_slot = sd_bus_slot_unref(m->service_enum_slot);
        ipvs_health_detach();
}

static int ipvsd_reload(Daemon *d, Config *c, sd_bus_error *error) {
        Manager *m = d->userdata;
        IpvsTable want = {};
        ConfDiags diags = {};
        int r;

        r = ipvs_health_reload(m, c);
        if (r < 0)
                return sd_bus_error_set_errno(error, r);
        r = manager_build_desired(m, c, &want, &diags);
        if (r < 0) {
                _cleanup_free_ char *text = conf_diags_to_string(&diags);
                log_diags(&diags);
                conf_diags_free(&diags);
                return sd_bus_error_setf(error, VIGIL_ERROR_INVALID_CONFIG, "%s: invalid virtual_servers, kept the running table:\n%s",
                                         d->config_path, strempty(text));
        }
        conf_diags_free(&diags);

        /* The new config becomes d->config only after we return; reconcile
         * needs it now (own_table), and pointers in want point into c. */
        Config *old = d->config;
        d->config = c;
        ipvs_table_done(&m->desired);
        m->desired = want;
        apply_timeouts(m, &c->ipvs);
        r = manager_reconcile(m, true);
        (void) ipvs_health_sync_reconfigure(m, c);
        d->config = old;
        if (r < 0)
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED, "IPVS: %s", strerror(-r));
        arm_timer(m);
        return 0;
}

static void ipvsd_stop(Daemon *d) {
        Manager *m = d->userdata;
        /* The table stays: connections keep flowing while ipvsd is away. */
        if (m->reconcile_timer)
                (void) sd_event_source_set_enabled(m->reconcile_timer, SD_EVENT_OFF);
        log_info("Leaving the IPVS table in place (%zu service(s) owned).", m->owned.n);
}

static void ipvsd_free(Daemon *d) {
        Manager *m = d->userdata;
        ipvs_health_free();
        ipvs_bus_unregister(m);
        m->reconcile_timer = sd_event_source_unref(m->reconcile_timer);
        ipvs_genl_free(m->genl);
        ipvs_table_done(&m->desired);
        ipvs_table_done(&m->kernel);
        ipvs_health_done(&m->health);
        ipvs_owned_done(&m->owned);
        errors_clear(m);
        free(m->nft_applied);
        free(m->state_dir);
        free(m->state_file);
}

static const DaemonOps ipvsd_ops = {
        .name = "vigil-ipvsd",
        .description = "keeps the kernel's IPVS table equal to the configured virtual servers",
        .bus_name = "org.vigil.Ipvs1",
        .manager_path = IPVS_MANAGER_PATH,
        .manager_interface = IPVS_MANAGER_IFACE,
        .sections = CONF_SECTION_VIRTUAL_SERVERS | CONF_SECTION_IPVS,
        .manager_vtable = ipvs_manager_vtable,
        .start = ipvsd_start,
        .attach = ipvsd_attach,
        .detach = ipvsd_detach,
        .reload = ipvsd_reload,
        .stop = ipvsd_stop,
        .free = ipvsd_free,
};

int main(int argc, char **argv) {
        Manager m = {};
        int k = 1;

        /* --state-dir is ours; daemon_main() parses the common options. */
        for (int i = 1; i < argc; i++) {
                if (strneq(argv[i], "--state-dir=", 12))
                        arg_state_dir = argv[i] + 12;
                else if (streq(argv[i], "--state-dir") && i + 1 < argc)
                        arg_state_dir = argv[++i];
                else if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
                        printf("vigil-ipvsd options besides the common ones below:\n"
                               "  --state-dir=DIR   where ownership is recorded (default %s, or $VIGIL_STATE_DIR)\n\n",
                               VIGIL_RUNSTATEDIR);
                        argv[k++] = argv[i];
                } else
                        argv[k++] = argv[i];
        }
        argv[k] = NULL;
        return daemon_main(k, argv, &ipvsd_ops, &m);
}
