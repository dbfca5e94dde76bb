/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* vigilctl verbs register themselves at startup, one file per area (ctl-*.c):
 *
 *   static int verb_instances(int argc, char **argv) { ... }
 *   VIGILCTL_VERB(instances, "instances", "", "List VRRP instances", verb_instances);
 *
 * argv[0] is the verb name; parse its own options with getopt_long (optind is
 * reset before the call). Global options (--json, -c FILE, --no-legend,
 * --no-color) are parsed by vigilctl.c before the verb and set arg_*.
 * A verb returns 0 on success or a negative errno (already logged). */

#include <stdbool.h>
#include <systemd/sd-bus.h>

typedef struct VigilctlVerb {
        const char *name;
        const char *usage;   /* arguments, e.g. "[NAME]" */
        const char *help;    /* one line */
        int (*run)(int argc, char **argv);
} VigilctlVerb;

void vigilctl_register(const VigilctlVerb *v);

#define VIGILCTL_VERB(id, vname, vusage, vhelp, fn)                                             \
        static const VigilctlVerb vigilctl_verb_##id = { .name = vname, .usage = vusage, .help = vhelp, .run = fn }; \
        static void __attribute__((constructor)) vigilctl_verb_register_##id(void) {             \
                vigilctl_register(&vigilctl_verb_##id);                                          \
        }

extern bool arg_json;
extern bool arg_legend;
extern bool arg_color;        /* true only when stdout is a TTY and --no-color is absent */
extern const char *arg_config; /* -c FILE, default VIGIL_DEFAULT_CONFIG */

/* The system bus, honouring DBUS_SYSTEM_BUS_ADDRESS. Logs on failure. */
int ctl_bus_open(sd_bus **ret);
/* True when NAME currently has an owner on the bus. */
bool ctl_name_has_owner(sd_bus *bus, const char *name);
/* Prints a bus error in a helpful way ("vigil-vrrpd is not running", access denied hints). Returns -errno. */
int ctl_log_bus_error(const char *what, const sd_bus_error *error, int r);
/* JSON string escaping to f: writes "..." with escapes. */
void ctl_json_string(FILE *f, const char *s);
