/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilctl checks / vigilctl check run NAME: vigil-checkerd over the bus
 * (org.vigil.Checker1, DESIGN §6). */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "cleanup-libs.h"
#include "log.h"
#include "time-util.h"
#include "vigilctl.h"

#define CHECKER_BUS "org.vigil.Checker1"
#define CHECKER_PATH "/org/vigil/Checker1"
#define CHECKER_MANAGER "org.vigil.Checker1.Manager"
#define CHECK_IFACE "org.vigil.Checker1.Check"
#define CHECK_PREFIX "/org/vigil/Checker1/check"

#define N_COUNTERS 8

typedef struct CheckInfo {
        char *name, *path, *type, *target, *state, *last_error;
        int32_t weight;
        uint64_t last_change;
        bool shared;
        size_t n_counters;
        char *counter_names[N_COUNTERS];
        uint64_t counters[N_COUNTERS];
} CheckInfo;

static void check_info_done(CheckInfo *c) {
        free(c->name);
        free(c->path);
        free(c->type);
        free(c->target);
        free(c->state);
        free(c->last_error);
        for (size_t i = 0; i < c->n_counters; i++)
                free(c->counter_names[i]);
}

static int read_string(sd_bus_message *m, char **ret) {
        const char *s;
        int r = sd_bus_message_read(m, "v", "s", &s);
        if (r < 0)
                return r;
        free(*ret);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int get_all(sd_bus *bus, CheckInfo *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *key;
        int r;

        r = sd_bus_call_method(bus, CHECKER_BUS, c->path, "org.freedesktop.DBus.Properties", "GetAll", &error, &reply,
                               "s", CHECK_IFACE);
        if (r < 0)
                return ctl_log_bus_error(c->name, &error, r);
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "Type"))
                        r = read_string(reply, &c->type);
                else if (streq(key, "Target"))
                        r = read_string(reply, &c->target);
                else if (streq(key, "State"))
                        r = read_string(reply, &c->state);
                else if (streq(key, "LastError"))
                        r = read_string(reply, &c->last_error);
                else if (streq(key, "Weight"))
                        r = sd_bus_message_read(reply, "v", "i", &c->weight);
                else if (streq(key, "LastChange"))
                        r = sd_bus_message_read(reply, "v", "t", &c->last_change);
                else if (streq(key, "Shared")) {
                        int b = 0;
                        r = sd_bus_message_read(reply, "v", "b", &b);
                        c->shared = b;
                } else if (streq(key, "Counters")) {
                        const char *k;
                        uint64_t v;
                        r = sd_bus_message_enter_container(reply, 'v', "a{st}");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(reply, 'a', "{st}");
                        while (r >= 0 && (r = sd_bus_message_read(reply, "{st}", &k, &v)) > 0)
                                if (c->n_counters < N_COUNTERS) {
                                        c->counter_names[c->n_counters] = strdup(k);
                                        c->counters[c->n_counters++] = v;
                                }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else
                        r = sd_bus_message_skip(reply, "v");
                if (r < 0)
                        return log_error_errno(r, "%s: cannot parse property %s: %s", c->name, key, strerror(-r));
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        return r < 0 ? r : 0;
}

static const char *format_realtime(char *buf, size_t len, uint64_t usec) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;
        if (usec == 0 || !localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, len, "-");
        return buf;
}

static int verb_checks(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *path;
        CheckInfo *checks = NULL;
        size_t n = 0;
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, CHECKER_BUS, CHECKER_PATH, CHECKER_MANAGER, "ListChecks", &error, &reply, NULL);
        if (r < 0)
                return ctl_log_bus_error("ListChecks", &error, r);
        r = sd_bus_message_enter_container(reply, 'a', "(so)");
        if (r < 0)
                return log_error_errno(r, "ListChecks: bad reply: %s", strerror(-r));
        while ((r = sd_bus_message_read(reply, "(so)", &name, &path)) > 0) {
                CheckInfo *nc = realloc(checks, (n + 1) * sizeof *checks);
                if (!nc) {
                        r = log_oom();
                        goto finish;
                }
                checks = nc;
                checks[n] = (CheckInfo) { .name = strdup(name), .path = strdup(path) };
                n++;
                if (!checks[n - 1].name || !checks[n - 1].path) {
                        r = log_oom();
                        goto finish;
                }
        }
        if (r < 0)
                goto finish;
        for (size_t i = 0; i < n; i++) {
                r = get_all(bus, &checks[i]);
                if (r < 0)
                        goto finish;
        }

        if (arg_json) {
                printf("[");
                for (size_t i = 0; i < n; i++) {
                        CheckInfo *c = &checks[i];
                        printf("%s{\"name\":", i ? "," : "");
                        ctl_json_string(stdout, c->name);
                        printf(",\"type\":");
                        ctl_json_string(stdout, c->type);
                        printf(",\"target\":");
                        ctl_json_string(stdout, c->target);
                        printf(",\"state\":");
                        ctl_json_string(stdout, c->state);
                        printf(",\"weight\":%d,\"last_change_usec\":%llu,\"shared\":%s,\"last_error\":", c->weight,
                               (unsigned long long) c->last_change, c->shared ? "true" : "false");
                        ctl_json_string(stdout, c->last_error);
                        printf(",\"counters\":{");
                        for (size_t j = 0; j < c->n_counters; j++) {
                                printf("%s", j ? "," : "");
                                ctl_json_string(stdout, c->counter_names[j]);
                                printf(":%llu", (unsigned long long) c->counters[j]);
                        }
                        printf("}}");
                }
                printf("]\n");
        } else {
                size_t w = 4;
                for (size_t i = 0; i < n; i++)
                        w = MAX(w, strlen(checks[i].name));
                w = MIN(w, (size_t) 48);
                if (arg_legend)
                        printf("%-*s %-5s %-22s %-7s %6s %-19s %s\n", (int) w, "NAME", "TYPE", "TARGET", "STATE", "WEIGHT",
                               "LAST CHANGE", "LAST ERROR");
                for (size_t i = 0; i < n; i++) {
                        CheckInfo *c = &checks[i];
                        char when[32];
                        const char *on = "", *off = "";
                        if (arg_color && c->state) {
                                on = streq(c->state, "up") ? "\033[32m" : streq(c->state, "down") ? "\033[31m" : "\033[33m";
                                off = "\033[0m";
                        }
                        printf("%-*s %-5s %-22s %s%-7s%s %6d %-19s %s\n", (int) w, c->name, strempty(c->type),
                               isempty(c->target) ? "-" : c->target, on, strempty(c->state), off, c->weight,
                               format_realtime(when, sizeof when, c->last_change), isempty(c->last_error) ? "-" : c->last_error);
                }
                if (arg_legend)
                        printf("\n%zu checks.\n", n);
        }
        r = 0;
finish:
        for (size_t i = 0; i < n; i++)
                check_info_done(&checks[i]);
        free(checks);
        return r;
}

static int verb_check(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL;
        const char *state, *detail;
        int r;

        if (argc != 3 || !streq(argv[1], "run")) {
                log_error("Usage: vigilctl check run NAME");
                return -EINVAL;
        }
        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = sd_bus_path_encode(CHECK_PREFIX, argv[2], &path);
        if (r < 0)
                return log_oom();
        /* The run may take as long as the check's timeout with its retries. */
        r = sd_bus_call_method(bus, CHECKER_BUS, path, CHECK_IFACE, "RunNow", &error, &reply, NULL);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
                    sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_METHOD))
                        return log_error_errno(r, "No check named '%s' (see vigilctl checks).", argv[2]);
                return ctl_log_bus_error("RunNow", &error, r);
        }
        r = sd_bus_message_read(reply, "ss", &state, &detail);
        if (r < 0)
                return log_error_errno(r, "RunNow: bad reply: %s", strerror(-r));
        if (arg_json) {
                printf("{\"name\":");
                ctl_json_string(stdout, argv[2]);
                printf(",\"state\":");
                ctl_json_string(stdout, state);
                printf(",\"detail\":");
                ctl_json_string(stdout, detail);
                printf("}\n");
        } else
                printf("%s: %s (%s)\n", argv[2], state, detail);
        return 0;
}

VIGILCTL_VERB(checks, "checks", "", "List health checks with state, weight and last error", verb_checks);
VIGILCTL_VERB(check, "check", "run NAME", "Run a check now and print its result", verb_check);
