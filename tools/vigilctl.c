/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilctl: the operator's command line over the bus. This file only parses
 * global options and dispatches to the verbs registered by ctl-*.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "vigilctl.h"

bool arg_json = false;
bool arg_legend = true;
bool arg_color = false;
const char *arg_config = VIGIL_DEFAULT_CONFIG;

#define MAX_VERBS 64
static const VigilctlVerb *verbs[MAX_VERBS];
static size_t n_verbs;

void vigilctl_register(const VigilctlVerb *v) {
        if (n_verbs < MAX_VERBS)
                verbs[n_verbs++] = v;
}

static int verb_compare(const void *a, const void *b) {
        return strcmp((*(const VigilctlVerb *const *) a)->name, (*(const VigilctlVerb *const *) b)->name);
}

static void help(void) {
        printf("vigilctl [OPTIONS...] COMMAND ...\n\n"
               "Query and control the vigil daemons (vrrpd, checkerd, ipvsd) over D-Bus.\n\n"
               "Commands:\n");
        for (size_t i = 0; i < n_verbs; i++) {
                char left[64];
                snprintf(left, sizeof left, "%s %s", verbs[i]->name, verbs[i]->usage);
                printf("  %-30s %s\n", left, verbs[i]->help);
        }
        printf("\nOptions:\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "  -c --config FILE     Configuration file (default %s)\n"
               "     --json            Machine-readable JSON output\n"
               "     --no-legend       Omit table headers\n"
               "     --no-color        Never use colours\n"
               "     --log-level LEVEL Log level (err, warning, info, debug)\n",
               VIGIL_DEFAULT_CONFIG);
}

int main(int argc, char **argv) {
        enum { ARG_VERSION = 0x100, ARG_JSON, ARG_NO_LEGEND, ARG_NO_COLOR, ARG_LOG_LEVEL };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, ARG_JSON },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "no-color", no_argument, NULL, ARG_NO_COLOR },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                {}
        };
        bool no_color = false;
        int c;

        log_setup("vigilctl");
        log_set_target(LOG_TARGET_CONSOLE);
        qsort(verbs, n_verbs, sizeof verbs[0], verb_compare);

        /* "+" stops at the first non-option: the verb parses the rest. */
        while ((c = getopt_long(argc, argv, "+hc:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("vigilctl %s\n", VIGIL_VERSION);
                        return 0;
                case 'c':
                        arg_config = optarg;
                        break;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                case ARG_NO_COLOR:
                        no_color = true;
                        break;
                case ARG_LOG_LEVEL:
                        if (log_set_max_level_from_string(optarg) < 0) {
                                log_error("Invalid --log-level '%s'.", optarg);
                                return 2;
                        }
                        break;
                default:
                        return 2;
                }
        arg_color = !no_color && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");

        const char *verb = optind < argc ? argv[optind] : "status";
        for (size_t i = 0; i < n_verbs; i++)
                if (streq(verbs[i]->name, verb)) {
                        int vargc = optind < argc ? argc - optind : 1;
                        char *fallback[] = { (char *) verb, NULL };
                        char **vargv = optind < argc ? argv + optind : fallback;
                        optind = 0; /* reset getopt for the verb */
                        int r = verbs[i]->run(vargc, vargv);
                        return r < 0 ? (r == -EINVAL ? 2 : 1) : r;
                }
        log_error("Unknown command '%s'. See 'vigilctl --help'.", verb);
        return 2;
}
