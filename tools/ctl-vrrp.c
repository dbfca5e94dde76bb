/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilctl verbs for vigil-vrrpd: "instances" (a table or --json of every
 * VRRP instance) and "monitor" (StateChanged signals as they happen, one
 * line or one JSON object each, so scripts subscribe instead of being forked).
 * $VIGIL_VRRP_BUS_NAME picks another vrrpd (tests run several on one bus). */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cleanup-libs.h"
#include "log.h"
#include "time-util.h"
#include "vigilctl.h"

#define VRRP_MANAGER_PATH "/org/vigil/Vrrp1"
#define VRRP_INSTANCE_IFACE "org.vigil.Vrrp1.Instance"

static const char *vrrp_bus_name(void) {
        return getenv("VIGIL_VRRP_BUS_NAME") ?: "org.vigil.Vrrp1";
}

typedef struct InstanceInfo {
        char *name, *state, *master, *iface, *reason, *error, *group;
        uint32_t prio, eff, vrid, version;
        uint64_t last;
        char **vips;
} InstanceInfo;

static void info_done(InstanceInfo *i) {
        free(i->name);
        free(i->state);
        free(i->master);
        free(i->iface);
        free(i->reason);
        free(i->error);
        free(i->group);
        strv_free(i->vips);
        *i = (InstanceInfo) {};
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

static int read_strv(sd_bus_message *m, char ***ret) {
        int r = sd_bus_message_enter_container(m, 'v', "as");
        if (r < 0)
                return r;
        strv_free(*ret);
        *ret = NULL;
        r = sd_bus_message_read_strv(m, ret);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int get_instance(sd_bus *bus, const char *path, InstanceInfo *ret) {
        _cleanup_(sd_bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *key;
        int r;

        r = sd_bus_call_method(bus, vrrp_bus_name(), path, "org.freedesktop.DBus.Properties", "GetAll", &error, &reply,
                               "s", VRRP_INSTANCE_IFACE);
        if (r < 0)
                return ctl_log_bus_error("GetAll", &error, r);
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "Name"))
                        r = read_string(reply, &ret->name);
                else if (streq(key, "State"))
                        r = read_string(reply, &ret->state);
                else if (streq(key, "MasterAddress"))
                        r = read_string(reply, &ret->master);
                else if (streq(key, "Interface"))
                        r = read_string(reply, &ret->iface);
                else if (streq(key, "LastReason"))
                        r = read_string(reply, &ret->reason);
                else if (streq(key, "LastError"))
                        r = read_string(reply, &ret->error);
                else if (streq(key, "SyncGroup"))
                        r = read_string(reply, &ret->group);
                else if (streq(key, "Priority"))
                        r = sd_bus_message_read(reply, "v", "u", &ret->prio);
                else if (streq(key, "EffectivePriority"))
                        r = sd_bus_message_read(reply, "v", "u", &ret->eff);
                else if (streq(key, "VirtualRouterId"))
                        r = sd_bus_message_read(reply, "v", "u", &ret->vrid);
                else if (streq(key, "Version"))
                        r = sd_bus_message_read(reply, "v", "u", &ret->version);
                else if (streq(key, "LastTransition"))
                        r = sd_bus_message_read(reply, "v", "t", &ret->last);
                else if (streq(key, "VirtualAddresses"))
                        r = read_strv(reply, &ret->vips);
                else
                        r = sd_bus_message_skip(reply, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        return r;
}

static void json_strv(FILE *f, char **l) {
        fputc('[', f);
        STRV_FOREACH(s, l) {
                if (s != l)
                        fputc(',', f);
                ctl_json_string(f, *s);
        }
        fputc(']', f);
}

static int verb_instances(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *path;
        unsigned n = 0;
        int r;

        if (argc > 1) {
                log_error("instances takes no arguments.");
                return -EINVAL;
        }
        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, vrrp_bus_name(), VRRP_MANAGER_PATH, "org.vigil.Vrrp1.Manager", "ListInstances",
                               &error, &reply, "");
        if (r < 0)
                return ctl_log_bus_error("vigil-vrrpd ListInstances", &error, r);
        r = sd_bus_message_enter_container(reply, 'a', "(so)");
        if (r < 0)
                return log_error_errno(r, "Bad ListInstances reply: %m");

        if (arg_json)
                fputc('[', stdout);
        else if (arg_legend)
                printf("%-16s %-8s %4s %4s %4s %2s %-10s %-22s %-22s %s\n", "NAME", "STATE", "PRIO", "EFF", "VRID",
                       "V", "INTERFACE", "MASTER", "VIPS", "LAST CHANGE");
        while ((r = sd_bus_message_read(reply, "(so)", &name, &path)) > 0) {
                InstanceInfo i = {};
                r = get_instance(bus, path, &i);
                if (r < 0) {
                        info_done(&i);
                        return r;
                }
                char when[64] = "-";
                if (i.last > 0) {
                        time_t t = (time_t) (i.last / USEC_PER_SEC);
                        struct tm tm;
                        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
                }
                if (arg_json) {
                        printf("%s{\"name\":", n ? "," : "");
                        ctl_json_string(stdout, i.name);
                        printf(",\"path\":");
                        ctl_json_string(stdout, path);
                        printf(",\"state\":");
                        ctl_json_string(stdout, i.state);
                        printf(",\"priority\":%" PRIu32 ",\"effective_priority\":%" PRIu32 ",\"virtual_router_id\":%" PRIu32
                               ",\"version\":%" PRIu32 ",\"interface\":", i.prio, i.eff, i.vrid, i.version);
                        ctl_json_string(stdout, i.iface);
                        printf(",\"master_address\":");
                        ctl_json_string(stdout, i.master);
                        printf(",\"virtual_addresses\":");
                        json_strv(stdout, i.vips);
                        printf(",\"sync_group\":");
                        ctl_json_string(stdout, i.group);
                        printf(",\"last_transition_usec\":%" PRIu64 ",\"last_reason\":", i.last);
                        ctl_json_string(stdout, i.reason);
                        printf(",\"last_error\":");
                        ctl_json_string(stdout, i.error);
                        fputc('}', stdout);
                } else {
                        _cleanup_free_ char *vips = NULL;
                        size_t len = 0;
                        FILE *f = open_memstream(&vips, &len);
                        if (f) {
                                STRV_FOREACH(s, i.vips)
                                        fprintf(f, "%s%s", s == i.vips ? "" : ",", *s);
                                fclose(f);
                        }
                        printf("%-16s %-8s %4" PRIu32 " %4" PRIu32 " %4" PRIu32 " %2" PRIu32 " %-10s %-22s %-22s %s (%s)%s%s\n",
                               strna(i.name), strna(i.state), i.prio, i.eff, i.vrid, i.version, strna(i.iface),
                               isempty(i.master) ? "-" : i.master, strempty(vips), when, strempty(i.reason),
                               isempty(i.error) ? "" : " error: ", strempty(i.error));
                }
                n++;
                info_done(&i);
        }
        if (r < 0)
                return log_error_errno(r, "Bad ListInstances reply: %m");
        if (arg_json)
                puts("]");
        else if (arg_legend)
                printf("\n%u instance%s.\n", n, n == 1 ? "" : "s");
        return 0;
}

static int on_state_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *from, *to, *reason, *path = sd_bus_message_get_path(m), *sender = sd_bus_message_get_sender(m);
        _cleanup_free_ char *name = NULL;
        uint64_t seq;
        struct timespec ts;
        struct tm tm;
        char when[64];

        if (sd_bus_message_read(m, "tsss", &seq, &from, &to, &reason) < 0)
                return 0;
        if (sd_bus_path_decode(path, "/org/vigil/Vrrp1/instance", &name) <= 0)
                name = strdup(strna(path));

        clock_gettime(CLOCK_REALTIME, &ts);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", localtime_r(&ts.tv_sec, &tm));
        if (arg_json) {
                printf("{\"time\":\"%s.%03ld\",\"seq\":%" PRIu64 ",\"instance\":", when, ts.tv_nsec / 1000000, seq);
                ctl_json_string(stdout, name);
                printf(",\"from\":");
                ctl_json_string(stdout, from);
                printf(",\"to\":");
                ctl_json_string(stdout, to);
                printf(",\"reason\":");
                ctl_json_string(stdout, reason);
                printf(",\"sender\":");
                ctl_json_string(stdout, sender);
                printf("}\n");
        } else
                printf("%s.%03ld seq=%" PRIu64 " %s %s -> %s (%s)\n", when, ts.tv_nsec / 1000000, seq, strna(name),
                       from, to, reason);
        /* Line by line: the reader is usually a script on a pipe. */
        fflush(stdout);
        return 0;
}

static int verb_monitor(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (argc > 1) {
                log_error("monitor takes no arguments.");
                return -EINVAL;
        }
        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        /* Any sender: with several vrrpd (tests) or a restarted one (new unique name), all are seen. */
        r = sd_bus_match_signal(bus, NULL, NULL, NULL, VRRP_INSTANCE_IFACE, "StateChanged", on_state_changed, NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot subscribe to StateChanged: %m");
        if (!arg_json && arg_legend && !ctl_name_has_owner(bus, vrrp_bus_name()))
                fprintf(stderr, "vigil-vrrpd (%s) is not running; waiting for it.\n", vrrp_bus_name());
        /* also with --json (stderr): tells a script the subscription is in place */
        if (arg_legend)
                fprintf(stderr, "Monitoring VRRP state changes, Ctrl-C to stop.\n");
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return log_error_errno(r, "Bus processing failed: %m");
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return log_error_errno(r, "Waiting on the bus failed: %m");
        }
}

VIGILCTL_VERB(instances, "instances", "", "List VRRP instances: state, priority, master, VIPs, last change", verb_instances);
VIGILCTL_VERB(monitor, "monitor", "", "Stream VRRP state changes (StateChanged) as they happen", verb_monitor);
