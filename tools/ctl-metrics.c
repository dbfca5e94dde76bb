/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilctl metrics: what the daemons expose on the bus, as Prometheus text
 * (the same text vigil-exporter serves; both use tools/metrics/). A daemon
 * that is not running is not an error: vigil_up{daemon=...} 0 says so. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup-libs.h"
#include "log.h"
#include "metrics/metrics.h"
#include "vigilctl.h"

typedef struct Wait {
        sd_event *event;
        MetricsSnapshot *snap;
} Wait;

static void collected(MetricsSnapshot *s, void *userdata) {
        Wait *w = userdata;
        w->snap = s;
        (void) sd_event_exit(w->event, 0);
}

static int verb_metrics(int argc, char **argv) {
        static const struct option options[] = {
                { "timeout", required_argument, NULL, 't' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(metrics_snapshot_freep) MetricsSnapshot *snap = NULL;
        _cleanup_free_ char *text = NULL;
        MetricsCollect *collect = NULL;
        usec_t timeout = 5 * USEC_PER_SEC;
        size_t size;
        int c, r;

        while ((c = getopt_long(argc, argv, "t:", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        r = parse_duration(optarg, &timeout);
                        if (r < 0 || timeout == 0)
                                return log_error_errno(r < 0 ? r : -EINVAL, "metrics: --timeout: invalid duration '%s'.",
                                                       optarg);
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(-EINVAL, "metrics: unexpected argument '%s'.", argv[optind]);

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = sd_event_new(&event);
        if (r < 0)
                return log_error_errno(r, "metrics: cannot create an event loop: %s", strerror(-r));
        r = sd_bus_attach_event(bus, event, 0);
        if (r < 0)
                return log_error_errno(r, "metrics: cannot attach the bus: %s", strerror(-r));

        Wait w = { .event = event };
        r = metrics_collect_start(bus, timeout, collected, &w, &collect);
        if (r < 0)
                return log_error_errno(r, "metrics: cannot query the bus: %s", strerror(-r));
        r = sd_event_loop(event);
        snap = TAKE_PTR(w.snap);
        metrics_collect_free(collect);
        if (r < 0)
                return log_error_errno(r, "metrics: event loop failed: %s", strerror(-r));
        if (!snap)
                return log_error_errno(-EIO, "metrics: the collection did not finish.");

        r = metrics_render(snap, &text, &size);
        if (r < 0)
                return log_error_errno(r, "metrics: cannot render: %s", strerror(-r));
        if (fwrite(text, 1, size, stdout) != size || fflush(stdout) != 0)
                return log_error_errno(-EIO, "metrics: cannot write the output.");
        return 0;
}

VIGILCTL_VERB(metrics, "metrics", "[--timeout DURATION]",
              "Print the daemons' metrics as Prometheus text (as vigil-exporter serves them)", verb_metrics);
