/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilctl status: one screen over the three daemons. A daemon that is not
 * running is shown as such, not as an error. */
#include <stdio.h>

#include "cleanup-libs.h"
#include "log.h"
#include "vigilctl.h"

typedef struct DaemonInfo {
        const char *unit;
        const char *bus_name;
        const char *path;
        const char *manager;
        const char *list_method;
        const char *object_interface;
        const char *what;
} DaemonInfo;

static const DaemonInfo daemons[] = {
        { "vigil-vrrpd", "org.vigil.Vrrp1", "/org/vigil/Vrrp1", "org.vigil.Vrrp1.Manager", "ListInstances",
          "org.vigil.Vrrp1.Instance", "instances" },
        { "vigil-checkerd", "org.vigil.Checker1", "/org/vigil/Checker1", "org.vigil.Checker1.Manager", "ListChecks",
          "org.vigil.Checker1.Check", "checks" },
        { "vigil-ipvsd", "org.vigil.Ipvs1", "/org/vigil/Ipvs1", "org.vigil.Ipvs1.Manager", "ListServices",
          "org.vigil.Ipvs1.Service", "services" },
};

/* Reads a string property, "" when absent. */
static char *get_string_property(sd_bus *bus, const DaemonInfo *di, const char *path, const char *iface, const char *prop) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *s = NULL;
        if (sd_bus_get_property_string(bus, di->bus_name, path, iface, prop, &error, &s) < 0)
                return NULL;
        return s;
}

typedef struct Obj {
        char *name;
        char *path;
} Obj;

static int list_objects(sd_bus *bus, const DaemonInfo *di, Obj **ret, size_t *ret_n) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Obj *objs = NULL;
        size_t n = 0;
        const char *name, *path;
        int r;

        r = sd_bus_call_method(bus, di->bus_name, di->path, di->manager, di->list_method, &error, &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(so)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(so)", &name, &path)) > 0) {
                Obj *n_objs = realloc(objs, (n + 1) * sizeof *objs);
                if (!n_objs)
                        break;
                objs = n_objs;
                objs[n].name = strdup(name);
                objs[n].path = strdup(path);
                n++;
        }
        *ret = objs;
        *ret_n = n;
        return 0;
}

static int verb_status(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        if (arg_json)
                printf("{");
        for (size_t i = 0; i < ELEMENTSOF(daemons); i++) {
                const DaemonInfo *di = &daemons[i];
                bool running = ctl_name_has_owner(bus, di->bus_name);
                _cleanup_free_ char *version = running ? get_string_property(bus, di, di->path, di->manager, "Version") : NULL;
                Obj *objs = NULL;
                size_t n = 0;
                if (running)
                        (void) list_objects(bus, di, &objs, &n);

                if (arg_json) {
                        printf("%s\"%s\":{\"running\":%s,\"version\":", i ? "," : "", di->unit, running ? "true" : "false");
                        ctl_json_string(stdout, version);
                        printf(",\"%s\":[", di->what);
                } else {
                        const char *on = arg_color ? (running ? "\033[32m" : "\033[31m") : "", *off = arg_color ? "\033[0m" : "";
                        printf("%s%s%s %s: %s%s%s", on, running ? "●" : "○", off, di->unit, on,
                               running ? "running" : "not running", off);
                        if (version)
                                printf(" (version %s)", version);
                        if (running)
                                printf(", %zu %s", n, di->what);
                        printf("\n");
                }
                for (size_t j = 0; j < n; j++) {
                        _cleanup_free_ char *state = get_string_property(bus, di, objs[j].path, di->object_interface, "State");
                        if (arg_json) {
                                printf("%s{\"name\":", j ? "," : "");
                                ctl_json_string(stdout, objs[j].name);
                                printf(",\"path\":");
                                ctl_json_string(stdout, objs[j].path);
                                if (state) {
                                        printf(",\"state\":");
                                        ctl_json_string(stdout, state);
                                }
                                printf("}");
                        } else
                                printf("    %-40s %s\n", objs[j].name, strempty(state));
                        free(objs[j].name);
                        free(objs[j].path);
                }
                free(objs);
                if (arg_json)
                        printf("]}");
        }
        if (arg_json)
                printf("}\n");
        return 0;
}

VIGILCTL_VERB(status, "status", "", "Show the daemons, instances, checks and services at a glance", verb_status);
