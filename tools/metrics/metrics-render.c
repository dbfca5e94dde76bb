/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Snapshot → Prometheus text (exposition format 0.0.4). Pure: no bus, no
 * sockets; the unit tests feed it snapshots built by hand.
 *
 * Each family is written in one block (the format requires a family's samples
 * to be contiguous), so the loops go family by family over all objects. HELP
 * and TYPE are written with the first sample: a daemon that is down leaves
 * no empty families behind, only vigil_up 0. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "metrics.h"

static const char *const daemon_names[_METRICS_DAEMON_MAX] = {
        [METRICS_DAEMON_VRRPD] = "vrrpd",
        [METRICS_DAEMON_CHECKERD] = "checkerd",
        [METRICS_DAEMON_IPVSD] = "ipvsd",
};

const char *metrics_daemon_to_string(MetricsDaemon d) {
        return d < _METRICS_DAEMON_MAX ? daemon_names[d] : NULL;
}

bool metrics_counters_get(const MetricsCounters *c, const char *key, uint64_t *ret) {
        for (size_t i = 0; i < c->n; i++)
                if (streq(c->items[i].key, key)) {
                        *ret = c->items[i].value;
                        return true;
                }
        return false;
}

int metrics_counters_add(MetricsCounters *c, const char *key, uint64_t value) {
        MetricsKV *n = realloc(c->items, (c->n + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        c->items = n;
        char *k = strdup(key);
        if (!k)
                return -ENOMEM;
        c->items[c->n++] = (MetricsKV) { .key = k, .value = value };
        return 0;
}

void metrics_counters_done(MetricsCounters *c) {
        for (size_t i = 0; i < c->n; i++)
                free(c->items[i].key);
        free(c->items);
        *c = (MetricsCounters) {};
}

MetricsSnapshot *metrics_snapshot_new(void) {
        return calloc(1, sizeof(MetricsSnapshot));
}

MetricsSnapshot *metrics_snapshot_free(MetricsSnapshot *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_instances; i++) {
                MetricsVrrpInstance *x = &s->instances[i];
                free(x->name);
                free(x->state);
                metrics_counters_done(&x->counters);
        }
        free(s->instances);
        for (size_t i = 0; i < s->n_checks; i++) {
                MetricsCheck *x = &s->checks[i];
                free(x->name);
                free(x->type);
                free(x->target);
                free(x->state);
                metrics_counters_done(&x->counters);
        }
        free(s->checks);
        metrics_counters_done(&s->checker_stats);
        for (size_t i = 0; i < s->n_services; i++) {
                MetricsIpvsService *x = &s->services[i];
                free(x->id);
                free(x->config_id);
                free(x->scheduler);
                metrics_counters_done(&x->stats);
                for (size_t k = 0; k < x->n_dests; k++) {
                        free(x->dests[k].address);
                        free(x->dests[k].forwarding);
                        metrics_counters_done(&x->dests[k].stats);
                }
                free(x->dests);
        }
        free(s->services);
        free(s);
        return NULL;
}

void metrics_write_label_value(FILE *f, const char *s) {
        for (const char *p = s ? s : ""; *p; p++) {
                if (*p == '\\')
                        fputs("\\\\", f);
                else if (*p == '"')
                        fputs("\\\"", f);
                else if (*p == '\n')
                        fputs("\\n", f);
                else
                        fputc(*p, f);
        }
}

/* One family being written: the header goes out with the first sample. */
typedef struct Family {
        FILE *f;
        const char *name;
        const char *type;
        const char *help;
        bool started;
        bool labels;  /* a '{' is open on the current line */
} Family;

#define FAMILY(_f, _name, _type, _help) ((Family) { .f = (_f), .name = (_name), .type = (_type), .help = (_help) })

/* Starts a sample line with the name; labels follow with label() (the first
 * opens the braces); sample_end_*() closes them and writes the value. */
static void sample_begin(Family *fam) {
        if (!fam->started) {
                fprintf(fam->f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
                fam->started = true;
        }
        fputs(fam->name, fam->f);
        fam->labels = false;
}

static void label(Family *fam, bool first, const char *name, const char *value) {
        fprintf(fam->f, "%s%s=\"", first ? "{" : ",", name);
        fam->labels = true;
        metrics_write_label_value(fam->f, value);
        fputc('"', fam->f);
}

static void sample_close(Family *fam) {
        fputs(fam->labels ? "} " : " ", fam->f);
}

static void sample_end_u64(Family *fam, uint64_t v) {
        sample_close(fam);
        fprintf(fam->f, "%" PRIu64 "\n", v);
}

static void sample_end_i64(Family *fam, int64_t v) {
        sample_close(fam);
        fprintf(fam->f, "%" PRIi64 "\n", v);
}

/* µs → seconds, exact (no float rounding in the text). */
static void sample_end_usec(Family *fam, uint64_t usec) {
        sample_close(fam);
        fprintf(fam->f, "%" PRIu64 ".%06" PRIu64 "\n", usec / USEC_PER_SEC, usec % USEC_PER_SEC);
}

/* ---- vrrp ---- */

static const char *const vrrp_states[] = { "init", "backup", "master", "fault" };

/* Counters with a family of their own: bus key → family. */
static const struct {
        const char *key;
        const char *name;
        const char *help;
} vrrp_counters[] = {
        { "rx_adverts", "vigil_vrrp_adverts_received_total", "VRRP advertisements received and accepted for processing." },
        { "tx_adverts", "vigil_vrrp_adverts_sent_total", "VRRP advertisements sent." },
        { "rx_priority_zero", "vigil_vrrp_priority_zero_received_total", "Advertisements received with priority 0 (master resigning)." },
        { "tx_priority_zero", "vigil_vrrp_priority_zero_sent_total", "Advertisements sent with priority 0 (resigning)." },
        { "tx_errors", "vigil_vrrp_send_errors_total", "Advertisements that could not be sent." },
        { "garp_sent", "vigil_vrrp_gratuitous_announcements_sent_total", "Gratuitous ARP / unsolicited NA packets sent." },
        { "vip_errors", "vigil_vrrp_address_errors_total", "Failures to add or remove a virtual address." },
};

static bool vrrp_key_is_receive_error(const char *key) {
        return strncmp(key, "rx_", 3) == 0 && !streq(key, "rx_adverts") && !streq(key, "rx_priority_zero");
}

static void render_vrrp(FILE *f, const MetricsSnapshot *s) {
        Family fam = FAMILY(f, "vigil_vrrp_state", "gauge",
                            "VRRP state of the instance: 1 for the current state, 0 for the others.");
        for (size_t i = 0; i < s->n_instances; i++) {
                const MetricsVrrpInstance *x = &s->instances[i];
                if (!x->valid)
                        continue;
                bool known = false;
                for (size_t k = 0; k < ELEMENTSOF(vrrp_states); k++) {
                        bool cur = x->state && streq(x->state, vrrp_states[k]);
                        known = known || cur;
                        sample_begin(&fam);
                        label(&fam, true, "instance", x->name);
                        label(&fam, false, "state", vrrp_states[k]);
                        sample_end_u64(&fam, cur);
                }
                if (!known && x->state) { /* a newer vrrpd with a state we do not know: still say it */
                        sample_begin(&fam);
                        label(&fam, true, "instance", x->name);
                        label(&fam, false, "state", x->state);
                        sample_end_u64(&fam, 1);
                }
        }

        fam = FAMILY(f, "vigil_vrrp_priority", "gauge", "Configured (or SetPriority) VRRP priority.");
        for (size_t i = 0; i < s->n_instances; i++)
                if (s->instances[i].valid) {
                        sample_begin(&fam);
                        label(&fam, true, "instance", s->instances[i].name);
                        sample_end_u64(&fam, s->instances[i].priority);
                }
        fam = FAMILY(f, "vigil_vrrp_effective_priority", "gauge",
                     "Priority advertised, after tracking adjustments.");
        for (size_t i = 0; i < s->n_instances; i++)
                if (s->instances[i].valid) {
                        sample_begin(&fam);
                        label(&fam, true, "instance", s->instances[i].name);
                        sample_end_u64(&fam, s->instances[i].effective_priority);
                }
        fam = FAMILY(f, "vigil_vrrp_last_transition_timestamp_seconds", "gauge",
                     "Unix time of the last state transition (absent before the first).");
        for (size_t i = 0; i < s->n_instances; i++)
                if (s->instances[i].valid && s->instances[i].last_transition > 0) {
                        sample_begin(&fam);
                        label(&fam, true, "instance", s->instances[i].name);
                        sample_end_usec(&fam, s->instances[i].last_transition);
                }

        /* vrrpd counts transitions into MASTER only; the label says so. */
        fam = FAMILY(f, "vigil_vrrp_transitions_total", "counter", "State transitions, by target state.");
        for (size_t i = 0; i < s->n_instances; i++) {
                uint64_t v;
                if (s->instances[i].valid && metrics_counters_get(&s->instances[i].counters, "master_transitions", &v)) {
                        sample_begin(&fam);
                        label(&fam, true, "instance", s->instances[i].name);
                        label(&fam, false, "to", "master");
                        sample_end_u64(&fam, v);
                }
        }

        for (size_t c = 0; c < ELEMENTSOF(vrrp_counters); c++) {
                fam = FAMILY(f, vrrp_counters[c].name, "counter", vrrp_counters[c].help);
                for (size_t i = 0; i < s->n_instances; i++) {
                        uint64_t v;
                        if (s->instances[i].valid &&
                            metrics_counters_get(&s->instances[i].counters, vrrp_counters[c].key, &v)) {
                                sample_begin(&fam);
                                label(&fam, true, "instance", s->instances[i].name);
                                sample_end_u64(&fam, v);
                        }
                }
        }

        fam = FAMILY(f, "vigil_vrrp_receive_errors_total", "counter",
                     "Received packets dropped or counted as invalid, by reason.");
        for (size_t i = 0; i < s->n_instances; i++) {
                const MetricsVrrpInstance *x = &s->instances[i];
                if (!x->valid)
                        continue;
                for (size_t k = 0; k < x->counters.n; k++)
                        if (vrrp_key_is_receive_error(x->counters.items[k].key)) {
                                sample_begin(&fam);
                                label(&fam, true, "instance", x->name);
                                label(&fam, false, "reason", x->counters.items[k].key + 3);
                                sample_end_u64(&fam, x->counters.items[k].value);
                        }
        }
}

/* ---- checks ---- */

static const char *const check_states[] = { "unknown", "up", "down" };

static const struct {
        const char *key;
        const char *name;
        const char *help;
} check_counters[] = {
        { "runs", "vigil_check_runs_total", "Probe attempts started." },
        { "up", "vigil_check_successes_total", "Probe attempts that succeeded." },
        { "down", "vigil_check_failures_total", "Probe attempts that failed (timeouts included)." },
        { "timeouts", "vigil_check_timeouts_total", "Probe attempts that timed out." },
        { "retries", "vigil_check_retries_total", "Retries after a failed attempt." },
        { "errors", "vigil_check_errors_total", "Probes that could not be run at all (e.g. out of descriptors)." },
        { "transitions", "vigil_check_transitions_total", "Changes of the check's state." },
};

static void render_checks(FILE *f, const MetricsSnapshot *s) {
        Family fam = FAMILY(f, "vigil_check_up", "gauge",
                            "1 when the check is up, 0 when down; absent while its state is unknown.");
        for (size_t i = 0; i < s->n_checks; i++) {
                const MetricsCheck *x = &s->checks[i];
                if (!x->valid || !x->state || (!streq(x->state, "up") && !streq(x->state, "down")))
                        continue;
                sample_begin(&fam);
                label(&fam, true, "check", x->name);
                label(&fam, false, "type", x->type);
                label(&fam, false, "target", x->target);
                sample_end_u64(&fam, streq(x->state, "up"));
        }

        fam = FAMILY(f, "vigil_check_state", "gauge", "State of the check: 1 for the current state, 0 for the others.");
        for (size_t i = 0; i < s->n_checks; i++) {
                const MetricsCheck *x = &s->checks[i];
                if (!x->valid)
                        continue;
                bool known = false;
                for (size_t k = 0; k < ELEMENTSOF(check_states); k++) {
                        bool cur = x->state && streq(x->state, check_states[k]);
                        known = known || cur;
                        sample_begin(&fam);
                        label(&fam, true, "check", x->name);
                        label(&fam, false, "state", check_states[k]);
                        sample_end_u64(&fam, cur);
                }
                if (!known && x->state) {
                        sample_begin(&fam);
                        label(&fam, true, "check", x->name);
                        label(&fam, false, "state", x->state);
                        sample_end_u64(&fam, 1);
                }
        }

        fam = FAMILY(f, "vigil_check_weight", "gauge", "Weight the check contributes (priority or IPVS weight).");
        for (size_t i = 0; i < s->n_checks; i++)
                if (s->checks[i].valid) {
                        sample_begin(&fam);
                        label(&fam, true, "check", s->checks[i].name);
                        sample_end_i64(&fam, s->checks[i].weight);
                }
        fam = FAMILY(f, "vigil_check_last_change_timestamp_seconds", "gauge",
                     "Unix time of the last change of the check's state (absent before the first).");
        for (size_t i = 0; i < s->n_checks; i++)
                if (s->checks[i].valid && s->checks[i].last_change > 0) {
                        sample_begin(&fam);
                        label(&fam, true, "check", s->checks[i].name);
                        sample_end_usec(&fam, s->checks[i].last_change);
                }

        for (size_t c = 0; c < ELEMENTSOF(check_counters); c++) {
                fam = FAMILY(f, check_counters[c].name, "counter", check_counters[c].help);
                for (size_t i = 0; i < s->n_checks; i++) {
                        uint64_t v;
                        if (s->checks[i].valid && metrics_counters_get(&s->checks[i].counters, check_counters[c].key, &v)) {
                                sample_begin(&fam);
                                label(&fam, true, "check", s->checks[i].name);
                                sample_end_u64(&fam, v);
                        }
                }
        }

        /* checkerd measures how late scheduled probes start (a loaded checker
         * shows here first); it exports quantiles of a log2 histogram, not
         * per-probe durations, so these are gauges, not a histogram. */
        uint64_t v;
        fam = FAMILY(f, "vigil_checker_checks", "gauge", "Checks configured in vigil-checkerd.");
        if (metrics_counters_get(&s->checker_stats, "checks", &v)) {
                sample_begin(&fam);
                sample_end_u64(&fam, v);
        }
        fam = FAMILY(f, "vigil_checker_probes", "gauge", "Distinct probes (identical checks share one).");
        if (metrics_counters_get(&s->checker_stats, "probes", &v)) {
                sample_begin(&fam);
                sample_end_u64(&fam, v);
        }
        fam = FAMILY(f, "vigil_checker_runs_total", "counter", "Probe runs started, all probes together.");
        if (metrics_counters_get(&s->checker_stats, "runs", &v)) {
                sample_begin(&fam);
                sample_end_u64(&fam, v);
        }
        static const struct {
                const char *key, *quantile;
        } q[] = { { "latency_p50_usec", "0.5" }, { "latency_p99_usec", "0.99" }, { "latency_max_usec", "1" } };
        fam = FAMILY(f, "vigil_checker_dispatch_delay_seconds", "gauge",
                     "How late scheduled probes started, by quantile (upper bound of a power-of-two bucket).");
        for (size_t k = 0; k < ELEMENTSOF(q); k++)
                if (metrics_counters_get(&s->checker_stats, q[k].key, &v) && v != UINT64_MAX) {
                        sample_begin(&fam);
                        label(&fam, true, "quantile", q[k].quantile);
                        sample_end_usec(&fam, v);
                }
}

/* ---- ipvs ---- */

static const struct {
        const char *key;
        const char *suffix;
        const char *type;
        const char *help;
} ipvs_stats[] = {
        { "conns", "connections_total", "counter", "Connections scheduled." },
        { "inpkts", "packets_in_total", "counter", "Packets received from clients." },
        { "outpkts", "packets_out_total", "counter", "Packets sent back to clients (NAT)." },
        { "inbytes", "bytes_in_total", "counter", "Bytes received from clients." },
        { "outbytes", "bytes_out_total", "counter", "Bytes sent back to clients (NAT)." },
        { "cps", "connections_per_second", "gauge", "Connection rate (kernel estimator)." },
        { "inpps", "packets_in_per_second", "gauge", "Incoming packet rate (kernel estimator)." },
        { "outpps", "packets_out_per_second", "gauge", "Outgoing packet rate (kernel estimator)." },
        { "inbps", "bytes_in_per_second", "gauge", "Incoming byte rate (kernel estimator)." },
        { "outbps", "bytes_out_per_second", "gauge", "Outgoing byte rate (kernel estimator)." },
};

/* "10.0.0.1:80", "[2001:db8::1]:80" */
static void dest_label(const MetricsIpvsDest *d, char *buf, size_t len) {
        bool v6 = d->address && strchr(d->address, ':');
        snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", d->address ? d->address : "", v6 ? "]" : "", d->port);
}

static void render_ipvs(FILE *f, const MetricsSnapshot *s) {
        char name[128], dl[128];

        Family fam = FAMILY(f, "vigil_ipvs_service_info", "gauge",
                            "IPVS virtual services (1 each), with the vigil.yaml entry that manages them.");
        for (size_t i = 0; i < s->n_services; i++) {
                const MetricsIpvsService *x = &s->services[i];
                if (!x->valid)
                        continue;
                sample_begin(&fam);
                label(&fam, true, "service", x->id);
                label(&fam, false, "config_id", x->config_id);
                label(&fam, false, "scheduler", x->scheduler);
                label(&fam, false, "managed", x->managed ? "true" : "false");
                sample_end_u64(&fam, 1);
        }

        for (size_t c = 0; c < ELEMENTSOF(ipvs_stats); c++) {
                snprintf(name, sizeof name, "vigil_ipvs_%s", ipvs_stats[c].suffix);
                fam = FAMILY(f, name, ipvs_stats[c].type, ipvs_stats[c].help);
                for (size_t i = 0; i < s->n_services; i++) {
                        uint64_t v;
                        if (s->services[i].valid && metrics_counters_get(&s->services[i].stats, ipvs_stats[c].key, &v)) {
                                sample_begin(&fam);
                                label(&fam, true, "service", s->services[i].id);
                                sample_end_u64(&fam, v);
                        }
                }
        }

        static const struct {
                const char *name, *help;
                size_t offset;
        } dest_gauges[] = {
                { "vigil_ipvs_destination_weight", "Weight of the real server (0: no new connections).",
                  offsetof(MetricsIpvsDest, weight) },
                { "vigil_ipvs_destination_active_connections", "Established connections to the real server.",
                  offsetof(MetricsIpvsDest, active_connections) },
                { "vigil_ipvs_destination_inactive_connections", "Other connection entries (e.g. TIME_WAIT).",
                  offsetof(MetricsIpvsDest, inactive_connections) },
                { "vigil_ipvs_destination_persistent_connections", "Persistence templates pointing at the real server.",
                  offsetof(MetricsIpvsDest, persistent_connections) },
        };
        for (size_t g = 0; g < ELEMENTSOF(dest_gauges); g++) {
                fam = FAMILY(f, dest_gauges[g].name, "gauge", dest_gauges[g].help);
                for (size_t i = 0; i < s->n_services; i++) {
                        if (!s->services[i].valid)
                                continue;
                        for (size_t k = 0; k < s->services[i].n_dests; k++) {
                                const MetricsIpvsDest *d = &s->services[i].dests[k];
                                const void *p = (const uint8_t *) d + dest_gauges[g].offset;
                                dest_label(d, dl, sizeof dl);
                                sample_begin(&fam);
                                label(&fam, true, "service", s->services[i].id);
                                label(&fam, false, "destination", dl);
                                if (dest_gauges[g].offset == offsetof(MetricsIpvsDest, weight))
                                        sample_end_i64(&fam, *(const int32_t *) p);
                                else
                                        sample_end_u64(&fam, *(const uint32_t *) p);
                        }
                }
        }

        for (size_t c = 0; c < ELEMENTSOF(ipvs_stats); c++) {
                snprintf(name, sizeof name, "vigil_ipvs_destination_%s", ipvs_stats[c].suffix);
                fam = FAMILY(f, name, ipvs_stats[c].type, ipvs_stats[c].help);
                for (size_t i = 0; i < s->n_services; i++) {
                        if (!s->services[i].valid)
                                continue;
                        for (size_t k = 0; k < s->services[i].n_dests; k++) {
                                const MetricsIpvsDest *d = &s->services[i].dests[k];
                                uint64_t v;
                                if (!metrics_counters_get(&d->stats, ipvs_stats[c].key, &v))
                                        continue;
                                dest_label(d, dl, sizeof dl);
                                sample_begin(&fam);
                                label(&fam, true, "service", s->services[i].id);
                                label(&fam, false, "destination", dl);
                                sample_end_u64(&fam, v);
                        }
                }
        }
}

int metrics_render(const MetricsSnapshot *s, char **ret, size_t *ret_size) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        Family fam = FAMILY(f, "vigil_up", "gauge", "1 when the daemon answered on the bus, 0 when not (then its series are absent).");
        for (MetricsDaemon d = 0; d < _METRICS_DAEMON_MAX; d++) {
                sample_begin(&fam);
                label(&fam, true, "daemon", metrics_daemon_to_string(d));
                sample_end_u64(&fam, s->up[d]);
        }
        if (s->collected_at > 0) {
                fam = FAMILY(f, "vigil_metrics_collected_timestamp_seconds", "gauge",
                             "Unix time when these values were read from the bus.");
                sample_begin(&fam);
                sample_end_usec(&fam, s->collected_at);
                fam = FAMILY(f, "vigil_metrics_collection_duration_seconds", "gauge", "How long reading the bus took.");
                sample_begin(&fam);
                sample_end_usec(&fam, s->duration);
        }

        render_vrrp(f, s);
        render_checks(f, s);
        render_ipvs(f, s);

        bool failed = ferror(f);
        if (fclose(f) != 0 || failed) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        if (ret_size)
                *ret_size = size;
        return 0;
}
