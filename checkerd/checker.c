/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Probes and checks: building them from the config (with sharing and reload
 * continuity), the per-probe scheduler on sd-event, timeouts, retries and
 * hysteresis. The probe types only do I/O; every decision is here or in
 * check-state.c. */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "checker.h"
#include "log.h"
#include "macro.h"

static const char *const counter_names[_COUNTER_MAX] = {
        [COUNTER_RUNS] = "runs",         [COUNTER_UP] = "up",         [COUNTER_DOWN] = "down",
        [COUNTER_TIMEOUTS] = "timeouts", [COUNTER_RETRIES] = "retries", [COUNTER_ERRORS] = "errors",
        [COUNTER_TRANSITIONS] = "transitions",
};

const char *probe_counter_name(ProbeCounter c) {
        return counter_names[c];
}

static uint64_t random_u64(void) {
        uint64_t v;
        if (getrandom(&v, sizeof v, GRND_NONBLOCK) != sizeof v)
                v = ((uint64_t) random() << 32) ^ (uint64_t) random();
        return v;
}

static void probe_schedule(Probe *p, usec_t when);
static void probe_start_attempt(Probe *p, usec_t now);

/* The time of this event loop iteration: one clock read per iteration, not
 * several per probe run (a real system call where the vDSO cannot read the
 * clock, as in an emulated guest). */
static usec_t loop_now(Probe *p) {
        uint64_t now;
        if (sd_event_now(p->checker->event, CLOCK_MONOTONIC, &now) < 0)
                return now_usec(CLOCK_MONOTONIC);
        return now;
}

/* last_error strings: most checks have none, so no fixed array per object */
static char no_error[] = "";

static void error_set(char **e, const char *s) {
        if (streq(*e, strempty(s)))
                return;
        char *n = isempty(s) ? no_error : strndup(s, CHECK_DETAIL_MAX - 1);
        if (!n)
                return; /* out of memory: the old text stays */
        if (*e != no_error)
                free(*e);
        *e = n;
}

static void error_free(char **e) {
        if (*e && *e != no_error)
                free(*e);
        *e = no_error;
}

void probe_set_error(Probe *p, const char *error) {
        error_set(&p->last_error, error);
}

usec_t probe_deadline(const Probe *p) {
        return p->attempt_start + p->conf->timeout;
}

static void probe_cancel_attempt(Probe *p) {
        if (!p->running)
                return;
        p->running = false;
        if (p->ops->cancel)
                p->ops->cancel(p);
        probe_timer_disarm(p->checker->loop, &p->timeout_timer);
}

static void record_latency(Checker *c, usec_t late) {
        unsigned b = 0;
        while (late > 1 && b < LATENCY_BUCKETS - 1) {
                late >>= 1;
                b++;
        }
        c->latency[b]++;
}

static void on_timer(ProbeTimer *t, void *userdata) {
        Probe *p = userdata;

        if (p->running)
                return;
        /* the real time, not the iteration's: the latency histogram includes
         * the time spent on the probes before this one in the batch */
        usec_t now = now_usec(CLOCK_MONOTONIC);
        if (p->attempts == 0) /* not a retry: how late did we start? */
                record_latency(p->checker, now > p->due ? now - p->due : 0);
        probe_start_attempt(p, now);
}

static void on_timeout(ProbeTimer *t, void *userdata) {
        Probe *p = userdata;
        char buf[DURATION_MAX], detail[64];

        if (!p->running)
                return;
        p->counters[COUNTER_TIMEOUTS]++;
        probe_cancel_attempt(p);
        p->running = true; /* probe_attempt_done() expects an attempt in flight */
        snprintf(detail, sizeof detail, "timeout after %s", format_duration(buf, sizeof buf, p->conf->timeout));
        probe_attempt_done(p, CHECK_RESULT_DOWN, 0, detail);
}

static void probe_start_attempt(Probe *p, usec_t now) {
        int r;

        p->attempts++;
        p->counters[COUNTER_RUNS]++;
        p->running = true;
        p->attempt_start = now;

        if (!p->ops->own_timeout) {
                r = probe_timer_arm(p->checker->loop, &p->timeout_timer, now + p->conf->timeout);
                if (r < 0) {
                        probe_attempt_done(p, CHECK_RESULT_ERROR, 0, "cannot arm the timeout timer");
                        return;
                }
        }

        r = p->ops->start(p);
        if (r < 0 && p->running) {
                char detail[CHECK_DETAIL_MAX];
                /* the type must have released everything it took */
                probe_timer_disarm(p->checker->loop, &p->timeout_timer);
                snprintf(detail, sizeof detail, "cannot run: %s", strerror(-r));
                /* Resource exhaustion says nothing about the backend. Other
                 * local failures (no route, bad bind address) are real. */
                bool local = r == -EMFILE || r == -ENFILE || r == -ENOMEM || r == -ENOBUFS || r == -EAGAIN;
                probe_attempt_done(p, local ? CHECK_RESULT_ERROR : CHECK_RESULT_DOWN, 0, detail);
        }
}

static void check_publish(Check *ch, const char *detail) {
        Probe *p = ch->probe;
        CheckState from = ch->state, to = p->hyst.state;
        bool props = false;

        if (from != to) {
                ch->state = to;
                ch->last_change = p->last_change;
                props = true;
        }
        if (ch->weight != p->weight) {
                ch->weight = p->weight;
                props = true;
        }
        if (!streq(ch->last_error, p->last_error)) {
                error_set(&ch->last_error, p->last_error);
                props = true;
        }
        if (from != to) {
                log_check(to == CHECK_STATE_UP ? LOG_NOTICE : LOG_WARNING, 0, ch->name, "Check %s (%s%s%s): %s → %s%s%s",
                          ch->name, check_type_name(p->conf->type), p->target_str[0] ? " " : "", p->target_str,
                          check_state_to_string(from),
                          check_state_to_string(to), isempty(detail) ? "" : ": ", strempty(detail));
                checker_bus_check_changed(ch, from, to, detail);
        }
        if (props)
                checker_bus_properties_changed(ch);
}

static void probe_publish(Probe *p, const char *detail) {
        for (unsigned i = 0; i < p->n_refs; i++)
                check_publish(p->users[i], detail);
}

void probe_attempt_done(Probe *p, CheckResultKind r, int weight, const char *detail) {
        usec_t now = loop_now(p); /* for the next due time: the iteration's is close enough */

        if (!p->running)
                return;
        p->running = false;
        probe_timer_disarm(p->checker->loop, &p->timeout_timer);

        switch (r) {
        case CHECK_RESULT_UP:
                p->counters[COUNTER_UP]++;
                break;
        case CHECK_RESULT_DOWN:
                p->counters[COUNTER_DOWN]++;
                break;
        case CHECK_RESULT_ERROR:
                p->counters[COUNTER_ERRORS]++;
                break;
        }

        if (r == CHECK_RESULT_DOWN && check_should_retry(p->attempts, p->conf->retry)) {
                p->counters[COUNTER_RETRIES]++;
                log_check(LOG_DEBUG, 0, p->conf->name, "Check %s attempt %u failed (%s), retrying.", p->conf->name,
                          p->attempts, strempty(detail));
                probe_schedule(p, now + p->conf->delay_before_retry);
                return;
        }

        bool changed = check_hysteresis_feed(&p->hyst, r);
        if (r == CHECK_RESULT_UP)
                p->weight = weight;
        if (r != CHECK_RESULT_UP && !isempty(detail))
                error_set(&p->last_error, detail);
        if (changed) {
                p->last_change = now_usec(CLOCK_REALTIME);
                p->counters[COUNTER_TRANSITIONS]++;
        }
        probe_publish(p, detail);

        /* Wake RunNow/RunFence callers (they may free themselves). */
        ProbeWaiter *w = TAKE_PTR(p->waiters);
        while (w) {
                ProbeWaiter *next = w->next;
                w->fn(p, r, detail, w->userdata);
                free(w);
                w = next;
        }

        p->attempts = 0;
        if (p->run_again) {
                p->run_again = false;
                probe_schedule(p, now);
        } else if (!p->conf->on_demand) {
                p->due = check_next_due(p->due, p->conf->interval, now);
                probe_schedule(p, p->due);
        }
}

static void probe_schedule(Probe *p, usec_t when) {
        int r = probe_timer_arm(p->checker->loop, &p->run_timer, when);
        if (r < 0)
                log_check(LOG_ERR, r, p->conf->name, "Cannot schedule check %s: %s", p->conf->name, strerror(-r));
}

int probe_run_now(Probe *p, ProbeWaiterFn fn, void *userdata) {
        if (fn) {
                ProbeWaiter *w = calloc(1, sizeof *w);
                if (!w)
                        return -ENOMEM;
                *w = (ProbeWaiter) { .fn = fn, .userdata = userdata };
                /* append: callers are answered in order */
                ProbeWaiter **tail = &p->waiters;
                while (*tail)
                        tail = &(*tail)->next;
                *tail = w;
        }
        if (p->running)
                return 0; /* the result of the run in flight answers them */
        probe_timer_disarm(p->checker->loop, &p->run_timer);
        p->attempts = 0;
        usec_t now = now_usec(CLOCK_MONOTONIC);
        if (!p->conf->on_demand)
                p->due = now;
        probe_start_attempt(p, now);
        return 0;
}

static void probe_free(Probe *p) {
        if (!p)
                return;
        probe_cancel_attempt(p);
        if (p->ops && p->ops->teardown)
                p->ops->teardown(p);
        probe_timer_disarm(p->checker->loop, &p->run_timer);
        ProbeWaiter *w = TAKE_PTR(p->waiters);
        while (w) {
                ProbeWaiter *next = w->next;
                w->fn(p, CHECK_RESULT_ERROR, "check removed", w->userdata);
                free(w);
                w = next;
        }
        error_free(&p->last_error);
        free(p->users);
        free(p->key);
        free(p);
}

static void check_free(Check *ch) {
        if (!ch)
                return;
        error_free(&ch->last_error);
        free(ch->name);
        free(ch->path);
        free(ch);
}

/* ---- building from config ---- */

typedef struct Want {
        const CheckConf *conf;
        CheckTarget target;
        char *key;
        Probe *probe;
} Want;

static int cmp_probe(const void *a, const void *b) {
        return strcmp((*(Probe *const *) a)->key, (*(Probe *const *) b)->key);
}
static int cmp_check(const void *a, const void *b) {
        return strcmp((*(Check *const *) a)->name, (*(Check *const *) b)->name);
}

static Probe *find_probe(Probe **v, size_t n, const char *key) {
        Probe k = { .key = (char *) key }, *kp = &k;
        Probe **f = n ? bsearch(&kp, v, n, sizeof *v, cmp_probe) : NULL;
        return f ? *f : NULL;
}

Check *checker_find_check(Checker *c, const char *name) {
        Check k = { .name = (char *) name }, *kp = &k;
        Check **f = c->n_checks ? bsearch(&kp, c->checks, c->n_checks, sizeof *c->checks, cmp_check) : NULL;
        return f ? *f : NULL;
}

static void err_append(char *err, size_t errlen, const CheckConf *cc, const char *fmt, ...) _printf_(4, 5);
static void err_append(char *err, size_t errlen, const CheckConf *cc, const char *fmt, ...) {
        size_t n = strlen(err);
        if (n + 1 >= errlen)
                return;
        va_list ap;
        n += (size_t) snprintf(err + n, errlen - n, "%s%s:%u:%u: check %s: ", n ? "\n" : "", strna(cc->loc.file),
                               cc->loc.line, cc->loc.col, strna(cc->name));
        if (n >= errlen)
                return;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - n, fmt, ap);
        va_end(ap);
}

static uint16_t default_port(CheckType t) {
        switch (t) {
        case CHECK_HTTP:
                return 80;
        case CHECK_HTTPS:
                return 443;
        case CHECK_SMTP:
                return 25;
        case CHECK_DNS:
                return 53;
        default:
                return 0;
        }
}

static bool needs_address(CheckType t) {
        return t != CHECK_EXEC && t != CHECK_FILE;
}
static bool needs_port(CheckType t) {
        return needs_address(t) && t != CHECK_PING;
}

static int want_add(Want **v, size_t *n, size_t *cap, const CheckConf *cc, const CheckTarget *t) {
        if (*n == *cap) {
                size_t nc = *cap ? *cap * 2 : 64;
                Want *nv = realloc(*v, nc * sizeof *nv);
                if (!nv)
                        return -ENOMEM;
                *v = nv;
                *cap = nc;
        }
        (*v)[(*n)++] = (Want) { .conf = cc, .target = *t };
        return 0;
}

static void wants_free(Want *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].key);
        free(v);
}

int checker_apply_config(Checker *c, const Config *config, char *err, size_t errlen) {
        Want *wants = NULL;
        size_t n_wants = 0, cap = 0;
        int r;

        err[0] = 0;

        if (!c->loop) {
                r = probe_loop_new(c->event, PROBE_PRIORITY, &c->loop);
                if (r < 0) {
                        snprintf(err, errlen, "cannot set up the probe event loop: %s", strerror(-r));
                        return r;
                }
        }

        for (size_t i = 0; i < config->n_checks; i++) {
                const CheckConf *cc = &config->checks[i];
                CheckTarget t = { .address = cc->address, .port = cc->port };
                if (want_add(&wants, &n_wants, &cap, cc, &t) < 0)
                        goto oom;
        }
        for (size_t i = 0; i < config->n_virtual_servers; i++) {
                const VirtualServerConf *vs = &config->virtual_servers[i];
                for (size_t j = 0; j < vs->n_real_servers; j++) {
                        const RealServerConf *rs = &vs->real_servers[j];
                        const CheckConf *cc = rs->check;
                        if (!cc)
                                continue;
                        /* Inline checks default to the real server as target. */
                        CheckTarget t = { .address = cc->address, .port = cc->port };
                        if (t.address.family == AF_UNSPEC && needs_address(cc->type))
                                t.address = rs->address;
                        if (t.port == 0 && needs_port(cc->type))
                                t.port = rs->port ? rs->port : vs->port;
                        if (want_add(&wants, &n_wants, &cap, cc, &t) < 0)
                                goto oom;
                }
        }

        /* Validate everything before touching the running state. */
        for (size_t i = 0; i < n_wants; i++) {
                Want *w = &wants[i];
                const CheckConf *cc = w->conf;
                const ProbeOps *ops = probe_ops_for(cc->type);
                char buf[512] = "";

                if (isempty(cc->name)) {
                        err_append(err, errlen, cc, "has no name");
                        continue;
                }
                if (!ops) {
                        err_append(err, errlen, cc, "type %s is not supported by this vigil-checkerd", check_type_name(cc->type));
                        continue;
                }
                if (w->target.port == 0)
                        w->target.port = default_port(cc->type);
                if (needs_address(cc->type) && w->target.address.family == AF_UNSPEC)
                        err_append(err, errlen, cc, "type %s needs an address", check_type_name(cc->type));
                else if (needs_port(cc->type) && w->target.port == 0)
                        err_append(err, errlen, cc, "type %s needs a port", check_type_name(cc->type));
                if (!cc->on_demand && cc->interval == 0)
                        err_append(err, errlen, cc, "interval must be greater than 0");
                if (cc->timeout == 0)
                        err_append(err, errlen, cc, "timeout must be greater than 0");
                if (ops->verify && ops->verify(cc, &w->target, buf, sizeof buf) < 0)
                        err_append(err, errlen, cc, "%s", buf);
                for (size_t j = 0; j < i; j++)
                        if (streq(wants[j].conf->name, cc->name)) {
                                err_append(err, errlen, cc, "name used twice (also at %s:%u:%u)",
                                           strna(wants[j].conf->loc.file), wants[j].conf->loc.line, wants[j].conf->loc.col);
                                break;
                        }
                r = check_key(cc, &w->target, &w->key);
                if (r < 0)
                        goto oom;
        }
        if (err[0]) {
                wants_free(wants, n_wants);
                return -EINVAL;
        }

        /* Probes: reuse an old one with the same key (state and counters
         * survive the reload), else share one made for an earlier want. */
        Probe **probes = calloc(n_wants ? n_wants : 1, sizeof *probes);
        size_t n_probes = 0;
        Check **checks = calloc(n_wants ? n_wants : 1, sizeof *checks);
        if (!probes || !checks) {
                free(probes);
                free(checks);
                goto oom;
        }
        for (size_t i = 0; i < c->n_probes; i++)
                c->probes[i]->in_use = false;

        for (size_t i = 0; i < n_wants; i++) {
                Want *w = &wants[i];
                Probe *p = NULL;
                for (size_t j = 0; j < n_probes && !p; j++)
                        if (streq(probes[j]->key, w->key))
                                p = probes[j];
                if (!p) {
                        p = find_probe(c->probes, c->n_probes, w->key);
                        if (p) {
                                p->in_use = true;
                                p->conf = w->conf;
                        } else {
                                p = calloc(1, sizeof *p);
                                if (!p)
                                        goto oom_partial;
                                *p = (Probe) {
                                        .checker = c,
                                        .key = TAKE_PTR(w->key),
                                        .conf = w->conf,
                                        .ops = probe_ops_for(w->conf->type),
                                        .target = w->target,
                                        .last_error = no_error,
                                };
                                probe_timer_init(&p->run_timer, on_timer, p);
                                probe_timer_init(&p->timeout_timer, on_timeout, p);
                                check_target_to_string(&p->target, p->target_str, sizeof p->target_str);
                                CheckState init = w->conf->initial_state == CHECK_INITIAL_UP     ? CHECK_STATE_UP
                                                  : w->conf->initial_state == CHECK_INITIAL_DOWN ? CHECK_STATE_DOWN
                                                                                                 : CHECK_STATE_UNKNOWN;
                                check_hysteresis_init(&p->hyst, w->conf->fall, w->conf->rise, init);
                                p->weight = w->conf->weight;
                                p->last_change = now_usec(CLOCK_REALTIME);
                                p->in_use = true;
                        }
                        probes[n_probes++] = p;
                }
                w->probe = p;
        }

        /* Checks: keep the bus object of a name that survives. */
        size_t n_checks = 0;
        for (size_t j = 0; j < c->n_checks; j++)
                c->checks[j]->kept = false;
        for (size_t i = 0; i < n_wants; i++) {
                Want *w = &wants[i];
                Check *ch = checker_find_check(c, w->conf->name);
                if (ch)
                        ch->kept = true;
                else {
                        ch = calloc(1, sizeof *ch);
                        if (!ch)
                                goto oom_partial;
                        ch->checker = c;
                        ch->last_error = no_error;
                        ch->name = strdup(w->conf->name);
                        r = sd_bus_path_encode("/org/vigil/Checker1/check", w->conf->name, &ch->path);
                        if (!ch->name || r < 0) {
                                check_free(ch);
                                goto oom_partial;
                        }
                        ch->state = w->probe->hyst.state;
                        ch->weight = w->probe->weight;
                        ch->last_change = w->probe->last_change;
                        error_set(&ch->last_error, w->probe->last_error);
                }
                ch->conf = w->conf;
                ch->probe = w->probe;
                checks[n_checks++] = ch;
        }

        /* Drop what the new config no longer has. */
        for (size_t j = 0; j < c->n_checks; j++)
                if (!c->checks[j]->kept) {
                        log_check(LOG_INFO, 0, c->checks[j]->name, "Check %s removed.", c->checks[j]->name);
                        check_free(c->checks[j]);
                }
        for (size_t j = 0; j < c->n_probes; j++)
                if (!c->probes[j]->in_use)
                        probe_free(c->probes[j]);
        free(c->checks);
        free(c->probes);

        qsort(probes, n_probes, sizeof *probes, cmp_probe);
        qsort(checks, n_checks, sizeof *checks, cmp_check);
        c->probes = probes;
        c->n_probes = n_probes;
        c->checks = checks;
        c->n_checks = n_checks;

        for (size_t i = 0; i < n_probes; i++)
                probes[i]->n_refs = 0;
        for (size_t i = 0; i < n_checks; i++)
                checks[i]->probe->n_refs++;
        for (size_t i = 0; i < n_probes; i++) {
                free(probes[i]->users);
                probes[i]->users = calloc(probes[i]->n_refs, sizeof(Check *));
                if (!probes[i]->users)
                        goto oom_partial;
                probes[i]->n_refs = 0;
        }
        for (size_t i = 0; i < n_checks; i++) {
                Probe *p = checks[i]->probe;
                p->users[p->n_refs++] = checks[i];
        }

        /* A kept check moved to a different probe (its options changed): say so. */
        for (size_t i = 0; i < n_checks; i++)
                check_publish(checks[i], "configuration changed");

        /* Start new probes: long-lived setup, then the first run at a random
         * point within warmup so the load spreads over the interval. */
        usec_t now = now_usec(CLOCK_MONOTONIC);
        for (size_t i = 0; i < n_probes; i++) {
                Probe *p = probes[i];
                if (probe_timer_armed(&p->run_timer) || p->running || p->setup_data)
                        continue; /* already running from before */
                if (p->ops->setup) {
                        r = p->ops->setup(p);
                        if (r < 0)
                                log_check(LOG_WARNING, r, p->conf->name, "Check %s: setup failed: %s", p->conf->name,
                                          strerror(-r));
                }
                if (p->conf->on_demand)
                        continue;
                usec_t warmup = p->conf->warmup ? p->conf->warmup : p->conf->interval;
                /* file checks read a local file: no load to spread, and the
                 * value should be known at once */
                p->due = p->conf->type == CHECK_FILE ? now : check_first_due(now, warmup, random_u64());
                probe_schedule(p, p->due);
        }

        wants_free(wants, n_wants);
        /* Loading the config peaks at about twice what the checks keep (the
         * YAML tree and model); give the freed pages in the middle of the heap
         * back: 1.9 MB of 21 MB RSS at 10,000 checks. */
        (void) malloc_trim(0);
        log_info("%zu checks, %zu probes on the wire (%zu shared).", n_checks, n_probes, n_checks - n_probes);
        return 0;

oom_partial:
        /* Out of memory half way: the daemon cannot keep a consistent model. */
        log_oom();
        abort();
oom:
        wants_free(wants, n_wants);
        return log_oom();
}

void checker_free_all(Checker *c) {
        for (size_t i = 0; i < c->n_checks; i++)
                check_free(c->checks[i]);
        for (size_t i = 0; i < c->n_probes; i++)
                probe_free(c->probes[i]);
        free(c->checks);
        free(c->probes);
        c->checks = NULL;
        c->probes = NULL;
        c->n_checks = c->n_probes = 0;
        c->loop = probe_loop_free(c->loop); /* after the probes: they use it */
}
