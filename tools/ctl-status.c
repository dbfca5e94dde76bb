/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilctl status: one screen over the three daemons (tools/status/): each
 * VRRP instance, the checks, each virtual service with its destinations'
 * weight, health and rates, and the recent state changes from the journal.
 * A daemon that is not running is shown as such, not as an error.
 *
 * Exit status: 0 when all three daemons answer, 3 when one is not running or
 * cannot be read (like systemctl status), 1 without a bus, 2 on bad usage. */

#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cleanup-libs.h"
#include "conf.h"
#include "log.h"
#include "status/status.h"
#include "vigilctl.h"

#define STATUS_EXIT_NOT_RUNNING 3

int ctl_status_load_config(Config **ret) {
        ConfDiags diags = {};
        bool explicit = !streq(arg_config, VIGIL_DEFAULT_CONFIG);
        int r;

        *ret = NULL;
        /* Optional: it only tells which named check a real server uses. */
        if (!explicit && access(arg_config, F_OK) < 0)
                return 0;
        r = config_load_file(arg_config, ret, &diags);
        conf_diags_free(&diags);
        if (r < 0 && !explicit && r == -EACCES)
                /* the default file may be readable by the daemons' users only: not worth a warning on every call */
                log_debug("%s: %s; health of real servers with a named check shows as '-'.", arg_config, strerror(-r));
        else if (r < 0)
                log_warning("%s: cannot be loaded (%s); health of real servers with a named check shows as '-'.", arg_config,
                            r == -EINVAL ? "invalid, see vigilctl check-config" : strerror(-r));
        return 0;
}

int ctl_status_parse_timeout(const char *s, usec_t *ret) {
        usec_t t;
        if (parse_duration(s, &t) < 0 || t == 0 || t > 600 * USEC_PER_SEC)
                return log_error_errno(EINVAL, "--timeout: invalid duration '%s' (e.g. 500ms, 5s; at most 10m).", s);
        *ret = t;
        return 0;
}

static int verb_status(int argc, char **argv) {
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "timeout", required_argument, NULL, 't' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_config_ Config *config = NULL;
        StatusSnapshot s = {};
        usec_t timeout = 5 * USEC_PER_SEC;
        bool all = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "hat:", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        all = true;
                        break;
                case 'j': /* also after the verb, where people type it */
                        arg_json = true;
                        break;
                case 't':
                        if (ctl_status_parse_timeout(optarg, &timeout) < 0)
                                return -EINVAL;
                        break;
                case 'h':
                        printf("vigilctl status [--all] [--json] [--timeout DURATION]\n"
                               "  The daemons, VRRP instances, checks, virtual services with their destinations'\n"
                               "  health and rates, and recent state changes. --all: no summaries.\n"
                               "  Exit status 3 when a daemon is not running.\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(EINVAL, "status: unexpected argument '%s'.", argv[optind]);

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        (void) ctl_status_load_config(&config);

        r = status_collect(bus, timeout, config, &s);
        if (r >= 0)
                r = status_journal_read(&s);
        if (r < 0) {
                status_snapshot_done(&s);
                return log_error_errno(r, "Reading the status failed: %s", strerror(-r));
        }

        StatusRenderOptions o = {
                .color = arg_color, .all = all, .legend = arg_legend, .now = now_usec(CLOCK_REALTIME),
        };
        if (arg_json) {
                r = status_render_json(&s, &o, stdout);
                fputc('\n', stdout);
        } else
                r = status_render_text(&s, &o, stdout);

        bool complete = true;
        for (StatusDaemonId d = 0; d < _STATUS_DAEMON_MAX; d++)
                complete = complete && s.daemons[d].running && !s.daemons[d].error;
        status_snapshot_done(&s);
        if (r < 0 || fflush(stdout) != 0)
                return log_error_errno(r < 0 ? r : EIO, "Writing the status failed.");
        return complete ? 0 : STATUS_EXIT_NOT_RUNNING;
}

VIGILCTL_VERB(status, "status", "[--all] [--json] [--timeout DURATION]",
              "Instances, checks, services with health and rates, recent events", verb_status);
