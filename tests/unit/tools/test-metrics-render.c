/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/metrics/metrics-render.c: snapshot → Prometheus text. The IPVS half is
 * covered here with hand-built snapshots (no ip_vs on the test host). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "metrics/metrics.h"

static char *render(const MetricsSnapshot *s) {
        char *text = NULL;
        size_t size = 0;
        assert_int_equal(metrics_render(s, &text, &size), 0);
        assert_non_null(text);
        assert_int_equal(strlen(text), size);
        return text;
}

/* LINE is a whole line of TEXT */
static bool has_line(const char *text, const char *line) {
        size_t n = strlen(line);
        for (const char *p = text; (p = strstr(p, line)); p++)
                if ((p == text || p[-1] == '\n') && p[n] == '\n')
                        return true;
        return false;
}

#define assert_line(text, line)                                                        \
        do {                                                                           \
                if (!has_line(text, line))                                             \
                        fail_msg("missing line: %s\n---\n%s", line, text);             \
        } while (0)
#define assert_no_line_prefix(text, prefix)                                            \
        do {                                                                           \
                char _b[256];                                                          \
                snprintf(_b, sizeof _b, "\n%s", prefix);                               \
                if (strstr(text, _b) || strncmp(text, prefix, strlen(prefix)) == 0)    \
                        fail_msg("unexpected line starting with %s\n---\n%s", prefix, text); \
        } while (0)

/* The format: each family's samples are contiguous after its one TYPE line,
 * every sample belongs to the family declared last, every family has HELP. */
static void assert_well_formed(const char *text) {
        char family[128] = "";
        char seen[8192] = " ";
        const char *p = text;
        while (*p) {
                const char *nl = strchr(p, '\n');
                assert_non_null(nl);
                size_t len = (size_t) (nl - p);
                char line[1024];
                assert_true(len < sizeof line);
                memcpy(line, p, len);
                line[len] = 0;
                if (strncmp(line, "# HELP ", 7) == 0) {
                        char name[128];
                        assert_int_equal(sscanf(line + 7, "%127s", name), 1);
                        char key[140];
                        snprintf(key, sizeof key, " %s ", name);
                        if (strstr(seen, key))
                                fail_msg("family %s appears twice", name);
                        assert_true(strlen(seen) + strlen(key) < sizeof seen);
                        strcat(seen, key + 1);
                        snprintf(family, sizeof family, "%s", name);
                        /* TYPE follows HELP */
                        assert_true(strncmp(nl + 1, "# TYPE ", 7) == 0);
                        assert_true(strncmp(nl + 8, name, strlen(name)) == 0);
                } else if (line[0] != '#') {
                        size_t fl = strlen(family);
                        if (fl == 0 || strncmp(line, family, fl) != 0 || (line[fl] != '{' && line[fl] != ' '))
                                fail_msg("sample outside its family (%s): %s", family, line);
                }
                p = nl + 1;
        }
}

static void test_empty(void **state) {
        MetricsSnapshot s = {};
        char *t = render(&s);
        assert_well_formed(t);
        assert_line(t, "vigil_up{daemon=\"vrrpd\"} 0");
        assert_line(t, "vigil_up{daemon=\"checkerd\"} 0");
        assert_line(t, "vigil_up{daemon=\"ipvsd\"} 0");
        /* no empty families left behind */
        assert_null(strstr(t, "vigil_vrrp"));
        assert_null(strstr(t, "vigil_check"));
        assert_null(strstr(t, "vigil_ipvs"));
        assert_null(strstr(t, "vigil_metrics_collected"));
        free(t);
}

static MetricsCounters counters(const char *k1, uint64_t v1, const char *k2, uint64_t v2, const char *k3, uint64_t v3) {
        MetricsCounters c = {};
        assert_int_equal(metrics_counters_add(&c, k1, v1), 0);
        if (k2)
                assert_int_equal(metrics_counters_add(&c, k2, v2), 0);
        if (k3)
                assert_int_equal(metrics_counters_add(&c, k3, v3), 0);
        return c;
}

static void test_vrrp_and_escaping(void **state) {
        MetricsSnapshot *s = metrics_snapshot_new();
        s->up[METRICS_DAEMON_VRRPD] = true;
        s->collected_at = 1700000000123456ULL;
        s->duration = 2500;
        s->n_instances = 3;
        s->instances = calloc(3, sizeof *s->instances);
        s->instances[0] = (MetricsVrrpInstance) {
                .valid = true, .name = strdup("VI_1"), .state = strdup("master"), .priority = 150,
                .effective_priority = 130, .last_transition = 1700000000000001ULL,
                .counters = counters("rx_ttl_error", 3, "tx_adverts", 42, "master_transitions", 2),
        };
        assert_int_equal(metrics_counters_add(&s->instances[0].counters, "rx_adverts", 7), 0);
        s->instances[1] = (MetricsVrrpInstance) {
                .valid = true, .name = strdup("we\"ird\\na\nme"), .state = strdup("leader"), .priority = 1,
                .counters = counters("rx_other_vrid", 1, NULL, 0, NULL, 0),
        };
        /* its GetAll failed: nothing of it */
        s->instances[2] = (MetricsVrrpInstance) { .valid = false, .name = strdup("VI_gone") };

        char *t = render(s);
        assert_well_formed(t);
        assert_line(t, "vigil_up{daemon=\"vrrpd\"} 1");
        assert_line(t, "vigil_metrics_collected_timestamp_seconds 1700000000.123456");
        assert_line(t, "vigil_metrics_collection_duration_seconds 0.002500");
        assert_line(t, "vigil_vrrp_state{instance=\"VI_1\",state=\"master\"} 1");
        assert_line(t, "vigil_vrrp_state{instance=\"VI_1\",state=\"backup\"} 0");
        assert_line(t, "vigil_vrrp_state{instance=\"VI_1\",state=\"init\"} 0");
        assert_line(t, "vigil_vrrp_state{instance=\"VI_1\",state=\"fault\"} 0");
        assert_line(t, "vigil_vrrp_priority{instance=\"VI_1\"} 150");
        assert_line(t, "vigil_vrrp_effective_priority{instance=\"VI_1\"} 130");
        assert_line(t, "vigil_vrrp_last_transition_timestamp_seconds{instance=\"VI_1\"} 1700000000.000001");
        assert_line(t, "vigil_vrrp_transitions_total{instance=\"VI_1\",to=\"master\"} 2");
        assert_line(t, "vigil_vrrp_adverts_sent_total{instance=\"VI_1\"} 42");
        assert_line(t, "vigil_vrrp_adverts_received_total{instance=\"VI_1\"} 7");
        assert_line(t, "vigil_vrrp_receive_errors_total{instance=\"VI_1\",reason=\"ttl_error\"} 3");
        /* rx_adverts is not an error */
        assert_null(strstr(t, "reason=\"adverts\""));
        /* escaping: backslash, quote, newline */
        assert_line(t, "vigil_vrrp_state{instance=\"we\\\"ird\\\\na\\nme\",state=\"leader\"} 1");
        assert_line(t, "vigil_vrrp_state{instance=\"we\\\"ird\\\\na\\nme\",state=\"master\"} 0");
        assert_line(t, "vigil_vrrp_receive_errors_total{instance=\"we\\\"ird\\\\na\\nme\",reason=\"other_vrid\"} 1");
        /* never transitioned: no timestamp; counters it did not send: no series */
        assert_null(strstr(t, "vigil_vrrp_last_transition_timestamp_seconds{instance=\"we"));
        assert_null(strstr(t, "vigil_vrrp_adverts_sent_total{instance=\"we"));
        assert_null(strstr(t, "VI_gone"));
        free(t);
        metrics_snapshot_free(s);
}

static void test_checks(void **state) {
        MetricsSnapshot *s = metrics_snapshot_new();
        s->up[METRICS_DAEMON_CHECKERD] = true;
        s->n_checks = 2;
        s->checks = calloc(2, sizeof *s->checks);
        s->checks[0] = (MetricsCheck) {
                .valid = true, .name = strdup("web"), .type = strdup("http"), .target = strdup("10.0.0.1:80/health"),
                .state = strdup("down"), .weight = -20, .last_change = 5 * USEC_PER_SEC,
                .counters = counters("runs", 10, "down", 4, "up", 6),
        };
        s->checks[1] = (MetricsCheck) { .valid = true, .name = strdup("new"), .type = strdup("tcp"),
                                        .target = strdup("[::1]:22"), .state = strdup("unknown") };
        s->checker_stats = counters("checks", 2, "latency_p99_usec", 1024, "latency_max_usec", UINT64_MAX);

        char *t = render(s);
        assert_well_formed(t);
        assert_line(t, "vigil_check_up{check=\"web\",type=\"http\",target=\"10.0.0.1:80/health\"} 0");
        /* unknown: no up/down sample, but the state set says unknown */
        assert_null(strstr(t, "vigil_check_up{check=\"new\""));
        assert_line(t, "vigil_check_state{check=\"new\",state=\"unknown\"} 1");
        assert_line(t, "vigil_check_state{check=\"web\",state=\"down\"} 1");
        assert_line(t, "vigil_check_state{check=\"web\",state=\"up\"} 0");
        assert_line(t, "vigil_check_weight{check=\"web\"} -20");
        assert_line(t, "vigil_check_last_change_timestamp_seconds{check=\"web\"} 5.000000");
        assert_line(t, "vigil_check_runs_total{check=\"web\"} 10");
        assert_line(t, "vigil_check_failures_total{check=\"web\"} 4");
        assert_line(t, "vigil_check_successes_total{check=\"web\"} 6");
        assert_line(t, "vigil_checker_checks 2");
        assert_line(t, "vigil_checker_dispatch_delay_seconds{quantile=\"0.99\"} 0.001024");
        /* the histogram's overflow bucket has no upper bound: not a number to export */
        assert_null(strstr(t, "quantile=\"1\""));
        free(t);
        metrics_snapshot_free(s);
}

static void test_ipvs(void **state) {
        MetricsSnapshot *s = metrics_snapshot_new();
        s->up[METRICS_DAEMON_IPVSD] = true;
        s->n_services = 1;
        s->services = calloc(1, sizeof *s->services);
        MetricsIpvsService *v = &s->services[0];
        *v = (MetricsIpvsService) {
                .valid = true, .id = strdup("TCP 10.0.0.100:80"), .config_id = strdup("web"), .scheduler = strdup("wrr"),
                .managed = true, .stats = counters("conns", 1000, "inbytes", 123456789012ULL, "cps", 12),
        };
        v->n_dests = 2;
        v->dests = calloc(2, sizeof *v->dests);
        v->dests[0] = (MetricsIpvsDest) { .address = strdup("10.0.0.11"), .port = 80, .weight = 3,
                                          .active_connections = 7, .inactive_connections = 2,
                                          .forwarding = strdup("dr"),
                                          .stats = counters("conns", 600, "outpkts", 5, "outbps", 100) };
        v->dests[1] = (MetricsIpvsDest) { .address = strdup("2001:db8::12"), .port = 8080, .weight = 0,
                                          .persistent_connections = 1, .forwarding = strdup("nat") };

        char *t = render(s);
        assert_well_formed(t);
        assert_line(t, "vigil_up{daemon=\"ipvsd\"} 1");
        assert_line(t, "vigil_ipvs_service_info{service=\"TCP 10.0.0.100:80\",config_id=\"web\",scheduler=\"wrr\",managed=\"true\"} 1");
        assert_line(t, "vigil_ipvs_connections_total{service=\"TCP 10.0.0.100:80\"} 1000");
        assert_line(t, "vigil_ipvs_bytes_in_total{service=\"TCP 10.0.0.100:80\"} 123456789012");
        assert_line(t, "vigil_ipvs_connections_per_second{service=\"TCP 10.0.0.100:80\"} 12");
        assert_line(t, "# TYPE vigil_ipvs_connections_per_second gauge");
        assert_line(t, "# TYPE vigil_ipvs_connections_total counter");
        assert_null(strstr(t, "vigil_ipvs_packets_in_total{")); /* not sent: not invented */
        assert_line(t, "vigil_ipvs_destination_weight{service=\"TCP 10.0.0.100:80\",destination=\"10.0.0.11:80\"} 3");
        assert_line(t, "vigil_ipvs_destination_weight{service=\"TCP 10.0.0.100:80\",destination=\"[2001:db8::12]:8080\"} 0");
        assert_line(t, "vigil_ipvs_destination_active_connections{service=\"TCP 10.0.0.100:80\",destination=\"10.0.0.11:80\"} 7");
        assert_line(t, "vigil_ipvs_destination_inactive_connections{service=\"TCP 10.0.0.100:80\",destination=\"10.0.0.11:80\"} 2");
        assert_line(t, "vigil_ipvs_destination_persistent_connections{service=\"TCP 10.0.0.100:80\",destination=\"[2001:db8::12]:8080\"} 1");
        assert_line(t, "vigil_ipvs_destination_connections_total{service=\"TCP 10.0.0.100:80\",destination=\"10.0.0.11:80\"} 600");
        assert_line(t, "vigil_ipvs_destination_packets_out_total{service=\"TCP 10.0.0.100:80\",destination=\"10.0.0.11:80\"} 5");
        assert_line(t, "vigil_ipvs_destination_bytes_out_per_second{service=\"TCP 10.0.0.100:80\",destination=\"10.0.0.11:80\"} 100");
        assert_no_line_prefix(t, "vigil_ipvs_destination_connections_total{service=\"TCP 10.0.0.100:80\",destination=\"[2001");
        free(t);
        metrics_snapshot_free(s);
}

static void test_counters(void **state) {
        MetricsCounters c = counters("a", 1, "b", UINT64_MAX, NULL, 0);
        uint64_t v;
        assert_true(metrics_counters_get(&c, "b", &v));
        assert_true(v == UINT64_MAX);
        assert_false(metrics_counters_get(&c, "c", &v));
        metrics_counters_done(&c);
        assert_int_equal(c.n, 0);
        assert_null(metrics_snapshot_free(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_vrrp_and_escaping),
                cmocka_unit_test(test_checks),
                cmocka_unit_test(test_ipvs),
                cmocka_unit_test(test_counters),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
