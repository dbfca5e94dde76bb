/* SPDX-License-Identifier: GPL-2.0-or-later */
/* org.vigil.Checker1 (DESIGN §6): the Manager at /org/vigil/Checker1 and one
 * object per check at /org/vigil/Checker1/check/<bus-escaped name>, served by
 * a fallback vtable so reloads need no per-object registration. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "checker.h"
#include "cleanup-libs.h"
#include "log.h"

#define CHECK_PREFIX "/org/vigil/Checker1/check"
#define CHECK_IFACE "org.vigil.Checker1.Check"

static Checker *manager_checker(void *userdata) {
        return ((Daemon *) userdata)->userdata;
}

static int find_check(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                      sd_bus_error *error) {
        Checker *c = userdata;
        _cleanup_free_ char *name = NULL;
        int r = sd_bus_path_decode(path, CHECK_PREFIX, &name);
        if (r <= 0)
                return 0;
        Check *ch = checker_find_check(c, name);
        if (!ch)
                return 0;
        *found = ch;
        return 1;
}

static int enumerate_checks(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Checker *c = userdata;
        char **l = calloc(c->n_checks + 1, sizeof *l);
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_checks; i++) {
                l[i] = strdup(c->checks[i]->path);
                if (!l[i]) {
                        strv_free(l);
                        return -ENOMEM;
                }
        }
        *nodes = l;
        return 1;
}

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Check *ch = userdata;
        Probe *p = ch->probe;
        int r;

        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", ch->name);
        if (streq(property, "Target"))
                return sd_bus_message_append(reply, "s", p->target_str);
        if (streq(property, "Type"))
                return sd_bus_message_append(reply, "s", check_type_name(ch->conf->type));
        if (streq(property, "State"))
                return sd_bus_message_append(reply, "s", check_state_to_string(ch->state));
        if (streq(property, "Weight"))
                return sd_bus_message_append(reply, "i", (int32_t) ch->weight);
        if (streq(property, "LastError"))
                return sd_bus_message_append(reply, "s", ch->last_error);
        if (streq(property, "LastChange"))
                return sd_bus_message_append(reply, "t", (uint64_t) ch->last_change);
        if (streq(property, "Shared"))
                return sd_bus_message_append(reply, "b", p->n_refs > 1);
        if (streq(property, "Counters")) {
                r = sd_bus_message_open_container(reply, 'a', "{st}");
                if (r < 0)
                        return r;
                for (ProbeCounter i = 0; i < _COUNTER_MAX; i++) {
                        r = sd_bus_message_append(reply, "{st}", probe_counter_name(i), p->counters[i]);
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_close_container(reply);
        }
        return -ENOENT;
}

typedef struct RunNowCall {
        Checker *checker;
        sd_bus_message *m;
        bool fence;
} RunNowCall;

static void run_done(Probe *p, CheckResultKind r, const char *detail, void *userdata) {
        RunNowCall *call = userdata;
        int k;
        if (call->fence)
                k = sd_bus_reply_method_return(call->m, "bs", r == CHECK_RESULT_UP, strempty(detail));
        else if (r == CHECK_RESULT_ERROR && detail && streq(detail, "check removed"))
                k = sd_bus_reply_method_errorf(call->m, VIGIL_ERROR_NOT_FOUND, "The check was removed by a reload.");
        else
                k = sd_bus_reply_method_return(call->m, "ss", check_state_to_string(p->hyst.state), strempty(detail));
        if (k < 0)
                log_debug_errno(k, "Cannot reply to %s: %s", sd_bus_message_get_member(call->m), strerror(-k));
        sd_bus_message_unref(call->m);
        free(call);
}

static int start_run(Checker *c, Probe *p, sd_bus_message *m, bool fence, sd_bus_error *error) {
        RunNowCall *call = calloc(1, sizeof *call);
        if (!call)
                return -ENOMEM;
        *call = (RunNowCall) { .checker = c, .m = sd_bus_message_ref(m), .fence = fence };
        int r = probe_run_now(p, run_done, call);
        if (r < 0) {
                sd_bus_message_unref(call->m);
                free(call);
                return r;
        }
        return 1; /* replied later */
}

static int method_run_now(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Check *ch = userdata;
        int r = daemon_check_privileged(m, error);
        if (r <= 0)
                return r;
        return start_run(ch->checker, ch->probe, m, false, error);
}

static const sd_bus_vtable check_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Target", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Type", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Weight", "i", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastError", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastChange", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* counters move on every probe: read them, no signal */
        SD_BUS_PROPERTY("Counters", "a{st}", property_get, 0, 0),
        SD_BUS_PROPERTY("Shared", "b", property_get, 0, 0),
        SD_BUS_METHOD_WITH_NAMES("RunNow", "", , "ss", SD_BUS_PARAM(state) SD_BUS_PARAM(detail), method_run_now,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("StateChanged", "tsss",
                                 SD_BUS_PARAM(seq) SD_BUS_PARAM(from) SD_BUS_PARAM(to) SD_BUS_PARAM(detail), 0),
        SD_BUS_VTABLE_END,
};

static int method_list_checks(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Checker *c = manager_checker(userdata);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(so)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_checks; i++) {
                r = sd_bus_message_append(reply, "(so)", c->checks[i]->name, c->checks[i]->path);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_run_fence(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Checker *c = manager_checker(userdata);
        const char *name;
        int r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        r = daemon_check_privileged(m, error);
        if (r <= 0)
                return r;
        Check *ch = checker_find_check(c, name);
        if (!ch)
                return sd_bus_error_setf(error, VIGIL_ERROR_NOT_FOUND, "RunFence: name '%s': no such check.", name);
        if (ch->conf->type != CHECK_EXEC || !ch->conf->on_demand)
                return sd_bus_error_setf(error, VIGIL_ERROR_INVALID_ARGS,
                                         "RunFence: name '%s': not an exec check with on_demand: true (%s:%u:%u).", name,
                                         strna(ch->conf->loc.file), ch->conf->loc.line, ch->conf->loc.col);
        log_check(LOG_NOTICE, 0, name, "Running fence command %s for %s.", name, strna(sd_bus_message_get_sender(m)));
        return start_run(c, ch->probe, m, true, error);
}

/* p50/p99/max of how late scheduled runs started, from the histogram. */
static uint64_t latency_quantile(const Checker *c, double q) {
        uint64_t total = 0, acc = 0;
        for (unsigned i = 0; i < LATENCY_BUCKETS; i++)
                total += c->latency[i];
        if (total == 0)
                return 0;
        for (unsigned i = 0; i < LATENCY_BUCKETS; i++) {
                acc += c->latency[i];
                if ((double) acc >= q * (double) total)
                        return (uint64_t) 1 << (i + 1); /* upper bound of the bucket */
        }
        return UINT64_MAX;
}

static int property_stats(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Checker *c = manager_checker(userdata);
        uint64_t runs = 0;
        for (size_t i = 0; i < c->n_probes; i++)
                runs += c->probes[i]->counters[COUNTER_RUNS];
        return sd_bus_message_append(reply, "a{st}", 6, "checks", (uint64_t) c->n_checks, "probes",
                                     (uint64_t) c->n_probes, "runs", runs, "latency_p50_usec", latency_quantile(c, 0.50),
                                     "latency_p99_usec", latency_quantile(c, 0.99), "latency_max_usec",
                                     latency_quantile(c, 1.0));
}

const sd_bus_vtable checker_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        DAEMON_MANAGER_VTABLE_COMMON,
        SD_BUS_PROPERTY("Stats", "a{st}", property_stats, 0, 0),
        SD_BUS_METHOD_WITH_NAMES("ListChecks", "", , "a(so)", SD_BUS_PARAM(checks), method_list_checks,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("RunFence", "s", SD_BUS_PARAM(name), "bs", SD_BUS_PARAM(ok) SD_BUS_PARAM(detail),
                                 method_run_fence, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int checker_bus_register(Checker *c) {
        int r = sd_bus_add_fallback_vtable(c->bus, &c->slot_fallback, CHECK_PREFIX, CHECK_IFACE, check_vtable, find_check, c);
        if (r < 0)
                return log_error_errno(r, "Cannot register the check objects: %s", strerror(-r));
        r = sd_bus_add_node_enumerator(c->bus, &c->slot_enum, CHECK_PREFIX, enumerate_checks, c);
        if (r < 0)
                return log_error_errno(r, "Cannot register the check enumerator: %s", strerror(-r));
        return 0;
}

void checker_bus_check_changed(Check *ch, CheckState from, CheckState to, const char *detail) {
        Checker *c = ch->checker;
        if (!c->bus)
                return;
        int r = sd_bus_emit_signal(c->bus, ch->path, CHECK_IFACE, "StateChanged", "tsss", ++c->seq,
                                   check_state_to_string(from), check_state_to_string(to), strempty(detail));
        if (r < 0)
                log_check(LOG_WARNING, r, ch->name, "Cannot emit StateChanged for %s: %s", ch->name, strerror(-r));
}

void checker_bus_properties_changed(Check *ch) {
        Checker *c = ch->checker;
        if (!c->bus)
                return;
        int r = sd_bus_emit_properties_changed(c->bus, ch->path, CHECK_IFACE, "State", "Weight", "LastError",
                                               "LastChange", NULL);
        if (r < 0)
                log_check(LOG_WARNING, r, ch->name, "Cannot emit PropertiesChanged for %s: %s", ch->name, strerror(-r));
}
