/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilctl check-config [FILE]: validate without any daemon running. */
#include <stdio.h>

#include "conf.h"
#include "log.h"
#include "vigilctl.h"

static int verb_check_config(int argc, char **argv) {
        const char *path = argc > 1 ? argv[1] : arg_config;
        _cleanup_config_ Config *c = NULL;
        ConfDiags diags = {};

        if (argc > 2) {
                log_error("check-config takes at most one FILE.");
                return -EINVAL;
        }
        int r = config_load_file(path, &c, &diags);
        if (arg_json) {
                printf("{\"file\":");
                ctl_json_string(stdout, path);
                printf(",\"valid\":%s,\"diagnostics\":[", r >= 0 ? "true" : "false");
                for (size_t i = 0; i < diags.n; i++) {
                        const ConfDiag *d = &diags.items[i];
                        printf("%s{\"file\":", i ? "," : "");
                        ctl_json_string(stdout, d->loc.file);
                        printf(",\"line\":%u,\"column\":%u,\"severity\":\"%s\",\"message\":", d->loc.line, d->loc.col,
                               d->warning ? "warning" : "error");
                        ctl_json_string(stdout, d->message);
                        printf("}");
                }
                printf("]}\n");
        } else {
                conf_diags_print(&diags, stderr);
                if (r < 0 && diags.n_errors == 0)
                        fprintf(stderr, "%s: %s\n", path, strerror(-r));
                if (r >= 0)
                        printf("%s: configuration is valid (%zu VRRP instances, %zu checks, %zu virtual servers).\n",
                               path, c->n_instances, c->n_checks, c->n_virtual_servers);
                else
                        fprintf(stderr, "%s: configuration is invalid (%zu errors).\n", path, diags.n_errors);
        }
        conf_diags_free(&diags);
        return r < 0 ? 1 : 0;
}

VIGILCTL_VERB(check_config, "check-config", "[FILE]", "Validate a configuration file (every error with file:line:col)",
              verb_check_config);
