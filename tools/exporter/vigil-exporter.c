/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigil-exporter: serves the daemons' metrics (tools/metrics/) over HTTP for
 * Prometheus. Unprivileged, owns no bus name, only reads.
 *
 * Two threads, one shared string:
 *   - the main thread runs sd-event: a timer starts an asynchronous collection
 *     from the bus every --refresh (at most one in flight); when it finishes
 *     the text is rendered once and swapped into the cache;
 *   - libmicrohttpd's thread answers scrapes from the cache only.
 * So scrapers never reach the daemons: a scrape flood costs the daemons
 * nothing, and a slow daemon never delays a scrape. Memory is bounded by the
 * connection limit times the per-connection limit plus the cached text:
 * responses share the cached buffer (reference counted), no copy per scrape. */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "addr-util.h"
#include "cleanup-libs.h"
#include "log.h"
#include "macro.h"
#include "metrics/metrics.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static const char *arg_listen = "127.0.0.1:9650";
static usec_t arg_refresh = 5 * USEC_PER_SEC;
static usec_t arg_timeout = 2 * USEC_PER_SEC;
static unsigned arg_max_connections = 64;

/* One rendered text, shared by the cache and the responses still sending it. */
typedef struct Blob {
        atomic_uint refs;
        size_t size;
        char data[];
} Blob;

static Blob *blob_ref(Blob *b) {
        atomic_fetch_add(&b->refs, 1);
        return b;
}

/* also libmicrohttpd's free callback, from its thread */
static void blob_unref(void *p) {
        Blob *b = p;
        if (b && atomic_fetch_sub(&b->refs, 1) == 1)
                free(b);
}

typedef struct Exporter {
        sd_event *event;
        sd_bus *bus;
        sd_event_source *timer;
        MetricsCollect *collect;   /* the collection in flight, or the last one */
        bool collecting;

        pthread_mutex_t lock;      /* guards blob, shared with the HTTP thread */
        Blob *blob;
} Exporter;

static void collected(MetricsSnapshot *s, void *userdata) {
        Exporter *e = userdata;
        _cleanup_free_ char *text = NULL;
        size_t size;

        e->collecting = false;
        int r = metrics_render(s, &text, &size);
        bool all_up = s->up[METRICS_DAEMON_VRRPD] && s->up[METRICS_DAEMON_CHECKERD] && s->up[METRICS_DAEMON_IPVSD];
        char d[DURATION_MAX];
        log_debug("Collected in %s (%s).", format_duration(d, sizeof d, s->duration),
                  all_up ? "all daemons answered" : "some daemons did not answer");
        metrics_snapshot_free(s);
        if (r < 0) {
                log_error_errno(r, "Cannot render the metrics, keeping the previous ones: %s", strerror(-r));
                return;
        }
        Blob *b = malloc(sizeof(Blob) + size + 1);
        if (!b) {
                log_error("Out of memory for the metrics text, keeping the previous ones.");
                return;
        }
        atomic_init(&b->refs, 1);
        b->size = size;
        memcpy(b->data, text, size + 1);
        pthread_mutex_lock(&e->lock);
        Blob *old = e->blob;
        e->blob = b;
        pthread_mutex_unlock(&e->lock);
        blob_unref(old);
}

static int start_collection(Exporter *e) {
        if (e->collecting) {
                /* the previous one is still waiting on a slow daemon: do not pile up */
                log_debug("Previous collection still running, skipping this refresh.");
                return 0;
        }
        e->collect = metrics_collect_free(e->collect);
        int r = metrics_collect_start(e->bus, arg_timeout, collected, e, &e->collect);
        if (r < 0)
                return log_error_errno(r, "Cannot query the bus: %s", strerror(-r));
        e->collecting = true;
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Exporter *e = userdata;
        uint64_t now;
        (void) start_collection(e);
        /* from now, not from the scheduled time: a stalled loop must not cause a burst of catch-up refreshes */
        int r = sd_event_now(e->event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_source_set_time(s, now + arg_refresh);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (r < 0)
                return log_error_errno(r, "Cannot re-arm the refresh timer: %s", strerror(-r));
        return 0;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type, const char *body,
                               size_t size) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(size, (void *) body, MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
                (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
        enum MHD_Result ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        Exporter *e = cls;
        static const char index_page[] = "vigil-exporter: metrics at /metrics\n";

        if (!streq(method, MHD_HTTP_METHOD_GET) && !streq(method, MHD_HTTP_METHOD_HEAD)) {
                static const char msg[] = "Only GET and HEAD.\n";
                return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", msg, sizeof msg - 1);
        }
        if (streq(url, "/"))
                return respond(conn, MHD_HTTP_OK, "text/plain", index_page, sizeof index_page - 1);
        if (!streq(url, "/metrics")) {
                static const char msg[] = "Not found: metrics are at /metrics\n";
                return respond(conn, MHD_HTTP_NOT_FOUND, "text/plain", msg, sizeof msg - 1);
        }

        pthread_mutex_lock(&e->lock);
        Blob *b = e->blob ? blob_ref(e->blob) : NULL;
        pthread_mutex_unlock(&e->lock);
        if (!b) {
                static const char msg[] = "No metrics collected yet.\n";
                return respond(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", msg, sizeof msg - 1);
        }
        struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(b->size, b->data,
                                                                                           blob_unref, b);
        if (!resp) {
                blob_unref(b);
                return MHD_NO;
        }
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
        enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return ret;
}

static void help(void) {
        printf("vigil-exporter [OPTIONS]\n\n"
               "Serve vigil's metrics (read from the daemons on the system bus) for Prometheus.\n\n"
               "  -l --listen ADDR:PORT       HTTP address (default 127.0.0.1:9650; [::1]:9650 for IPv6)\n"
               "  -r --refresh DURATION       Re-read the bus this often (default 5s)\n"
               "  -t --timeout DURATION       Per bus call timeout (default 2s)\n"
               "  -m --max-connections N      Concurrent HTTP connections (default 64)\n"
               "     --log-target=console|journal|syslog|auto\n"
               "     --log-level=LEVEL\n"
               "  -h --help\n");
}

static int parse_argv(int argc, char **argv) {
        enum { ARG_LOG_TARGET = 0x100, ARG_LOG_LEVEL };
        static const struct option options[] = {
                { "listen", required_argument, NULL, 'l' },
                { "refresh", required_argument, NULL, 'r' },
                { "timeout", required_argument, NULL, 't' },
                { "max-connections", required_argument, NULL, 'm' },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;
        while ((c = getopt_long(argc, argv, "l:r:t:m:h", options, NULL)) >= 0)
                switch (c) {
                case 'l':
                        arg_listen = optarg;
                        break;
                case 'r':
                case 't': {
                        usec_t u;
                        r = parse_duration(optarg, &u);
                        if (r < 0 || u < 10 * USEC_PER_MSEC)
                                return log_error_errno(-EINVAL, "--%s: invalid duration '%s' (at least 10ms).",
                                                       c == 'r' ? "refresh" : "timeout", optarg);
                        *(c == 'r' ? &arg_refresh : &arg_timeout) = u;
                        break;
                }
                case 'm': {
                        char *end;
                        errno = 0;
                        unsigned long n = strtoul(optarg, &end, 10);
                        if (errno || *end || end == optarg || n < 1 || n > 65536)
                                return log_error_errno(-EINVAL, "--max-connections: '%s' is not a number in 1..65536.",
                                                       optarg);
                        arg_max_connections = (unsigned) n;
                        break;
                }
                case ARG_LOG_TARGET:
                        r = log_set_target_from_string(optarg);
                        if (r < 0)
                                return log_error_errno(r, "--log-target: unknown target '%s'.", optarg);
                        break;
                case ARG_LOG_LEVEL:
                        r = log_set_max_level_from_string(optarg);
                        if (r < 0)
                                return log_error_errno(r, "--log-level: unknown level '%s'.", optarg);
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
        return 1;
}

int main(int argc, char **argv) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        struct MHD_Daemon *httpd = NULL;
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        union in_addr_union addr;
        uint16_t port;
        int family, r;

        log_setup("vigil-exporter");
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        r = parse_address_port(arg_listen, &family, &addr, &port);
        if (r < 0 || port == 0) {
                log_error("--listen: '%s' is not ADDRESS:PORT (e.g. 127.0.0.1:9650 or [::1]:9650).", arg_listen);
                return EXIT_FAILURE;
        }
        if (family == AF_INET)
                sa.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr.in };
        else
                sa.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = addr.in6 };

        /* Signals are handled by sd-event in the main thread: block them before
         * libmicrohttpd starts its thread, which inherits the mask. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);

        Exporter e = { .lock = PTHREAD_MUTEX_INITIALIZER };

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %s", strerror(-r)), EXIT_FAILURE;
        (void) sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus: %s", strerror(-r)), EXIT_FAILURE;
        r = sd_bus_attach_event(bus, event, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus: %s", strerror(-r)), EXIT_FAILURE;
        /* Losing the bus (dbus restarted) ends the loop with a failure: the
         * unit restarts us on a fresh connection rather than serving stale data. */
        r = sd_bus_set_exit_on_disconnect(bus, true);
        if (r < 0)
                return log_error_errno(r, "Cannot set exit-on-disconnect: %s", strerror(-r)), EXIT_FAILURE;
        e.event = event;
        e.bus = bus;

        /* The bounds that make a scrape flood harmless: a fixed number of
         * connections (the rest wait in the listen backlog or are refused),
         * a small per-connection memory pool (requests are tiny; the response
         * body is allocated separately), idle connections dropped. */
        httpd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | (family == AF_INET6 ? MHD_USE_IPv6 : 0),
                                 port, NULL, NULL, on_request, &e,
                                 MHD_OPTION_SOCK_ADDR, &sa.sa,
                                 MHD_OPTION_CONNECTION_LIMIT, arg_max_connections,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 16 * 1024,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 10U,
                                 MHD_OPTION_LISTEN_BACKLOG_SIZE, 128U,
                                 MHD_OPTION_END);
        if (!httpd) {
                log_error("Cannot listen on %s (address in use or not local?).", arg_listen);
                return EXIT_FAILURE;
        }
        log_info("Serving metrics on http://%s/metrics (refresh every %gs, up to %u connections).", arg_listen,
                 (double) arg_refresh / USEC_PER_SEC, arg_max_connections);

        r = sd_event_add_time(event, &e.timer, CLOCK_MONOTONIC, 0, 10 * USEC_PER_MSEC, on_timer, &e);
        if (r >= 0) {
                (void) sd_notify(false, "READY=1");
                r = sd_event_loop(event);
                (void) sd_notify(false, "STOPPING=1");
        }
        else
                log_error_errno(r, "Cannot add the refresh timer: %s", strerror(-r));

        MHD_stop_daemon(httpd);
        e.collect = metrics_collect_free(e.collect);
        sd_event_source_unref(e.timer);
        blob_unref(e.blob);
        if (r > 0)
                log_error("The system bus connection was lost, exiting.");
        return r != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
