/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigil-notify: runs keepalived-compatible notify scripts from the
 * StateChanged signals of vigil-vrrpd (org.vigil.Vrrp1) and vigil-checkerd
 * (org.vigil.Checker1). Per subject (instance, sync group, check) scripts run
 * one at a time in the sources' sequence order, with a timeout; the current
 * state is replayed when vigil-notify starts and whenever a source daemon
 * gets a new bus owner, so a subscriber never misses the state it is in.
 * The queueing rules are pure code in notify-queue.c; this file is the I/O. */

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "cleanup-libs.h"
#include "conf.h"
#include "log.h"
#include "macro.h"
#include "notify-exec.h"
#include "notify-queue.h"

#define NAME_MAX_LEN 255
#define MAX_TRACKED 4096 /* instances / check paths remembered: bounds memory against a misbehaving source */

typedef enum Source {
        SOURCE_VRRP,
        SOURCE_CHECKER,
        _SOURCE_MAX,
} Source;

static const struct {
        const char *bus_name;
        const char *manager_path;
        const char *manager_interface;
        const char *list_method;
        const char *object_interface;
        const char *path_prefix;
} sources[_SOURCE_MAX] = {
        [SOURCE_VRRP] = { "org.vigil.Vrrp1", "/org/vigil/Vrrp1", "org.vigil.Vrrp1.Manager", "ListInstances",
                          "org.vigil.Vrrp1.Instance", "/org/vigil/Vrrp1/instance" },
        [SOURCE_CHECKER] = { "org.vigil.Checker1", "/org/vigil/Checker1", "org.vigil.Checker1.Manager", "ListChecks",
                             "org.vigil.Checker1.Check", "/org/vigil/Checker1/check" },
};

typedef struct Manager Manager;

typedef struct Subject {
        Manager *m;
        NotifySubjectKind kind;
        char *name;
        const NotifyConf *conf;   /* into m->config */
        NotifyQueue queue;
        NotifyJob *job;           /* the command running now */
        NotifyEvent current;      /* the event it runs for */
        char ***cmds;
        size_t cmd_index;
        char *env[8];
        /* groups */
        char **members;
        char **member_states;     /* strdup'ed; NULL = unknown */
        size_t n_members;
        char group_state[NOTIFY_STATE_MAX];
        uint64_t group_seq;
} Subject;

typedef struct InstanceInfo {
        char *name;
        uint32_t priority;
        bool have_priority;
} InstanceInfo;

typedef struct PathName {
        char *path;
        char *name;
} PathName;

struct Manager {
        sd_event *event;
        sd_bus *bus;
        Config *config;
        const char *config_path;
        Subject **subjects;
        size_t n_subjects;
        char *owner[_SOURCE_MAX];
        uint64_t generation[_SOURCE_MAX]; /* bumped on each new owner: stale replies are ignored */
        InstanceInfo *instances;
        size_t n_instances;
        PathName *checks;
        size_t n_checks;
        size_t max_queue;
        bool drop_superseded;
        RateLimit bad_rl;
        sd_event_source *reconnect_timer;
        uint64_t reconnect_delay;
        bool bus_lost;
};

static inline bool streq_ptr_(const char *a, const char *b) {
        return a && b && streq(a, b);
}

static size_t arg_max_queue = NOTIFY_QUEUE_DEFAULT_MAX;
static bool arg_drop_superseded = false;

/* ---- subjects ---- */

static Subject *subject_find(Manager *m, NotifySubjectKind kind, const char *name) {
        for (size_t i = 0; i < m->n_subjects; i++)
                if (m->subjects[i]->kind == kind && streq(m->subjects[i]->name, name))
                        return m->subjects[i];
        return NULL;
}

static void subject_clear_run(Subject *s) {
        notify_commands_free(s->cmds);
        s->cmds = NULL;
        s->cmd_index = 0;
        notify_event_done(&s->current);
        for (size_t i = 0; i < ELEMENTSOF(s->env); i++) {
                free(s->env[i]);
                s->env[i] = NULL;
        }
}

static Subject *subject_free(Subject *s) {
        if (!s)
                return NULL;
        if (s->job) {
                log_field(LOG_WARNING, 0, "NOTIFY", s->name, "Killing the notify command of %s (pid %d): its entry is gone.",
                          s->name, (int) notify_job_pid(s->job));
                s->job = notify_job_free(s->job);
        }
        subject_clear_run(s);
        notify_queue_done(&s->queue);
        strv_free(s->members);
        for (size_t i = 0; i < s->n_members; i++)
                free(s->member_states[i]);
        free(s->member_states);
        free(s->name);
        free(s);
        return NULL;
}

static void subject_kick(Subject *s);

static void on_job_done(NotifyJob *j, int status, bool timed_out, usec_t runtime, void *userdata) {
        Subject *s = userdata;
        char buf[DURATION_MAX];
        const char *cmd = s->cmds[s->cmd_index][0];

        if (timed_out)
                log_field(LOG_WARNING, 0, "NOTIFY", s->name,
                          "%s for %s %s → %s (seq %" PRIu64 ") killed at its timeout after %s.", cmd, s->name,
                          s->current.from, s->current.to, s->current.seq, format_duration(buf, sizeof buf, runtime));
        else if (status != 0)
                log_field(LOG_WARNING, 0, "NOTIFY", s->name, "%s for %s → %s (seq %" PRIu64 ") %s %d after %s.", cmd,
                          s->name, s->current.to, s->current.seq, status > 0 ? "exited with status" : "killed by signal",
                          abs(status), format_duration(buf, sizeof buf, runtime));
        else
                log_field(LOG_INFO, 0, "NOTIFY", s->name, "%s for %s → %s (seq %" PRIu64 "%s) done in %s.", cmd, s->name,
                          s->current.to, s->current.seq, s->current.replay ? ", replay" : "",
                          format_duration(buf, sizeof buf, runtime));

        s->job = notify_job_free(j);
        s->cmd_index++;
        subject_kick(s);
}

static int subject_set_env(Subject *s) {
        const NotifyEvent *e = &s->current;
        char seq[32];
        snprintf(seq, sizeof seq, "%" PRIu64, e->seq);
        const char *kv[][2] = {
                { "VIGIL_NOTIFY_TYPE", notify_subject_kind_to_string(s->kind) },
                { "VIGIL_NOTIFY_NAME", s->name },
                { "VIGIL_NOTIFY_STATE", e->to },
                { "VIGIL_NOTIFY_FROM", e->from },
                { "VIGIL_NOTIFY_SEQ", seq },
                { "VIGIL_NOTIFY_REASON", strempty(e->reason) },
                { "VIGIL_NOTIFY_REPLAY", e->replay ? "1" : "0" },
        };
        for (size_t i = 0; i < ELEMENTSOF(kv); i++)
                if (asprintf(&s->env[i], "%s=%s", kv[i][0], kv[i][1]) < 0) {
                        s->env[i] = NULL;
                        return -ENOMEM;
                }
        return 0;
}

/* Starts the next command of the current event, or the next event. */
static void subject_kick(Subject *s) {
        Manager *m = s->m;
        int r;

        if (s->job)
                return; /* one at a time per subject */
        for (;;) {
                if (s->cmds && s->cmds[s->cmd_index]) {
                        r = notify_job_start(m->event, s->cmds[s->cmd_index], s->env, s->conf->timeout, on_job_done, s,
                                             &s->job);
                        if (r >= 0) {
                                log_field(LOG_DEBUG, 0, "NOTIFY", s->name, "Started %s for %s → %s (seq %" PRIu64 "), pid %d.",
                                          s->cmds[s->cmd_index][0], s->name, s->current.to, s->current.seq,
                                          (int) notify_job_pid(s->job));
                                return;
                        }
                        log_field(LOG_ERR, r, "NOTIFY", s->name, "Cannot start %s for %s: %s", s->cmds[s->cmd_index][0],
                                  s->name, strerror(-r));
                        s->cmd_index++;
                        continue;
                }
                subject_clear_run(s);

                unsigned skipped = 0;
                NotifyEvent e = {};
                r = notify_queue_pop(&s->queue, &e, &skipped);
                if (skipped > 0)
                        log_field(LOG_DEBUG, 0, "NOTIFY", s->name, "Replayed state of %s is the one last notified: nothing to run.",
                                  s->name);
                if (r == 0)
                        return;
                s->current = e;
                r = notify_commands(s->conf, s->kind, s->name, e.to, e.priority, &s->cmds);
                if (r >= 0)
                        r = subject_set_env(s);
                if (r < 0) {
                        log_oom();
                        subject_clear_run(s);
                        continue;
                }
                if (!s->cmds[0])
                        log_field(LOG_DEBUG, 0, "NOTIFY", s->name, "No notify command for %s in state %s.", s->name, e.to);
        }
}

static void on_drop(const NotifyEvent *e, NotifyDropReason why, void *userdata) {
        Subject *s = userdata;
        /* Said loudly except for plain duplicates: a dropped event is a
         * script that did not run. */
        log_field(why == NOTIFY_DROP_DUPLICATE ? LOG_DEBUG : LOG_NOTICE, 0, "NOTIFY", s->name,
                  "Dropped event %s → %s (seq %" PRIu64 "%s) of %s: %s%s.", e->from, e->to, e->seq,
                  e->replay ? ", replay" : "", s->name, notify_drop_reason_to_string(why),
                  why == NOTIFY_DROP_OVERFLOW ? " (a script is slower than the events; see --max-queue)" : "");
}

static void subject_push(Subject *s, const NotifyEvent *src) {
        NotifyEvent e = *src;
        if (src->reason && !(e.reason = strdup(src->reason))) {
                log_oom();
                return;
        }
        if (notify_queue_push(&s->queue, &e, on_drop, s) < 0) {
                log_oom();
                return;
        }
        subject_kick(s);
}

/* ---- instances, groups, checks ---- */

static InstanceInfo *instance_info(Manager *m, const char *name, bool create) {
        for (size_t i = 0; i < m->n_instances; i++)
                if (streq(m->instances[i].name, name))
                        return &m->instances[i];
        if (!create || m->n_instances >= MAX_TRACKED)
                return NULL;
        InstanceInfo *n = reallocarray(m->instances, m->n_instances + 1, sizeof *n);
        if (!n)
                return NULL;
        m->instances = n;
        n = &m->instances[m->n_instances];
        *n = (InstanceInfo) { .name = strdup(name) };
        if (!n->name)
                return NULL;
        m->n_instances++;
        return n;
}

static uint32_t instance_priority(Manager *m, const char *name) {
        InstanceInfo *ii = instance_info(m, name, false);
        if (ii && ii->have_priority)
                return ii->priority;
        const VrrpInstanceConf *vc = config_find_instance(m->config, name);
        return vc ? vc->priority : 0;
}

static void group_member_changed(Manager *m, Subject *g, const char *member, const NotifyEvent *e) {
        bool found = false;
        for (size_t i = 0; i < g->n_members; i++)
                if (streq(g->members[i], member)) {
                        char *st = strdup(e->to);
                        if (!st) {
                                log_oom();
                                return;
                        }
                        free(g->member_states[i]);
                        g->member_states[i] = st;
                        found = true;
                }
        if (!found)
                return;

        const char *state = notify_group_state((const char *const *) g->member_states, g->n_members);
        if (!state)
                return; /* members in transition */
        if (streq(state, g->group_state) && !e->replay)
                return;

        _cleanup_free_ char *reason = NULL;
        if (asprintf(&reason, "member %s: %s", member, strempty(e->reason)) < 0)
                reason = NULL;
        NotifyEvent ge = { .replay = e->replay, .reason = reason };
        /* Group events are numbered here: the group is derived, not a bus object. */
        ge.seq = e->replay ? 0 : ++g->group_seq;
        snprintf(ge.from, sizeof ge.from, "%s", g->group_state);
        snprintf(ge.to, sizeof ge.to, "%s", state);
        snprintf(g->group_state, sizeof g->group_state, "%s", state);
        subject_push(g, &ge);
}

static void dispatch(Manager *m, Source src, const char *name, NotifyEvent *e) {
        if (src == SOURCE_VRRP) {
                e->priority = instance_priority(m, name);
                Subject *s = subject_find(m, SUBJECT_INSTANCE, name);
                if (s)
                        subject_push(s, e);
                for (size_t i = 0; i < m->n_subjects; i++)
                        if (m->subjects[i]->kind == SUBJECT_GROUP)
                                group_member_changed(m, m->subjects[i], name, e);
        } else {
                Subject *s = subject_find(m, SUBJECT_CHECK, name);
                if (s)
                        subject_push(s, e);
        }
}

static const char *check_name_by_path(Manager *m, const char *path) {
        for (size_t i = 0; i < m->n_checks; i++)
                if (streq(m->checks[i].path, path))
                        return m->checks[i].name;
        return NULL;
}

static void check_remember(Manager *m, const char *path, const char *name) {
        for (size_t i = 0; i < m->n_checks; i++)
                if (streq(m->checks[i].path, path)) {
                        char *n = strdup(name);
                        if (n) {
                                free(m->checks[i].name);
                                m->checks[i].name = n;
                        }
                        return;
                }
        if (m->n_checks >= MAX_TRACKED)
                return;
        PathName *n = reallocarray(m->checks, m->n_checks + 1, sizeof *n);
        if (!n)
                return;
        m->checks = n;
        n[m->n_checks] = (PathName) { .path = strdup(path), .name = strdup(name) };
        if (!n[m->n_checks].path || !n[m->n_checks].name) {
                free(n[m->n_checks].path);
                free(n[m->n_checks].name);
                return;
        }
        m->n_checks++;
}

static void checks_forget(Manager *m) {
        for (size_t i = 0; i < m->n_checks; i++) {
                free(m->checks[i].path);
                free(m->checks[i].name);
        }
        free(m->checks);
        m->checks = NULL;
        m->n_checks = 0;
}

static bool name_ok(const char *name) {
        if (isempty(name) || strlen(name) > NAME_MAX_LEN)
                return false;
        for (const char *p = name; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* ---- replay of the current state ---- */

typedef struct ReplayCall {
        Manager *m;
        Source src;
        uint64_t generation;
        char *name;    /* NULL: ask the object for its Name (checks) */
        char *path;
        NotifyEvent pending; /* a signal waiting for the check's name (not a replay) */
        bool has_pending;
} ReplayCall;

static void replay_call_free(void *p) {
        ReplayCall *c = p;
        if (!c)
                return;
        free(c->name);
        free(c->path);
        notify_event_done(&c->pending);
        free(c);
}

static int read_uint_variant(sd_bus_message *reply, uint32_t *ret) {
        const char *contents;
        char type;
        int r = sd_bus_message_peek_type(reply, &type, &contents);
        if (r < 0)
                return r;
        if (streq(contents, "y")) {
                uint8_t y;
                r = sd_bus_message_read(reply, "v", "y", &y);
                *ret = y;
                return r;
        }
        if (streq(contents, "u"))
                return sd_bus_message_read(reply, "v", "u", ret);
        return sd_bus_message_skip(reply, "v") < 0 ? -EBADMSG : 0;
}

static int on_getall_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ReplayCall *c = userdata;
        Manager *m = c->m;
        _cleanup_free_ char *state = NULL, *name = NULL;
        uint32_t prio = 0, eprio = 0;
        bool have_prio = false, have_eprio = false;
        int r;

        if (c->generation != m->generation[c->src])
                return 0; /* the source restarted meanwhile; a newer replay is on its way */
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_warning("Reading the state of %s on %s failed: %s", c->path, sources[c->src].bus_name,
                            sd_bus_message_get_error(reply)->message);
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                goto bad;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key, *s;
                if ((r = sd_bus_message_read(reply, "s", &key)) < 0)
                        goto bad;
                if (streq(key, "State") || streq(key, "Name")) {
                        r = sd_bus_message_read(reply, "v", "s", &s);
                        if (r < 0)
                                goto bad;
                        char **t = streq(key, "State") ? &state : &name;
                        free(*t);
                        if (!(*t = strdup(s)))
                                return log_oom(), 0;
                } else if (streq(key, "Priority")) {
                        if ((r = read_uint_variant(reply, &prio)) < 0)
                                goto bad;
                        have_prio = true;
                } else if (streq(key, "EffectivePriority")) {
                        if ((r = read_uint_variant(reply, &eprio)) < 0)
                                goto bad;
                        have_eprio = true;
                } else if ((r = sd_bus_message_skip(reply, "v")) < 0)
                        goto bad;
                if ((r = sd_bus_message_exit_container(reply)) < 0)
                        goto bad;
        }
        if (r < 0)
                goto bad;

        const char *subject = c->name ?: name;
        NotifySubjectKind kind = c->src == SOURCE_VRRP ? SUBJECT_INSTANCE : SUBJECT_CHECK;
        if (!name_ok(subject) || !notify_state_valid(kind, state)) {
                if (ratelimit_below(&m->bad_rl))
                        log_warning("%s %s on %s: missing or invalid Name/State (name '%s', state '%s'); ignored.",
                                    sources[c->src].object_interface, c->path, sources[c->src].bus_name, strna(subject),
                                    strna(state));
                return 0;
        }
        if (c->src == SOURCE_VRRP && (have_eprio || have_prio)) {
                InstanceInfo *ii = instance_info(m, subject, true);
                if (ii) {
                        ii->priority = have_eprio ? eprio : prio;
                        ii->have_priority = true;
                }
        }
        if (c->src == SOURCE_CHECKER)
                check_remember(m, c->path, subject);

        if (c->has_pending) {
                /* A signal from a check we did not know yet: now we know its name. */
                dispatch(m, c->src, subject, &c->pending);
                return 0;
        }
        NotifyEvent e = { .replay = true, .reason = (char *) "replay" };
        snprintf(e.to, sizeof e.to, "%s", state);
        log_debug("Replaying %s %s: %s.", notify_subject_kind_to_string(kind), subject, state);
        dispatch(m, c->src, subject, &e);
        return 0;
bad:
        if (ratelimit_below(&m->bad_rl))
                log_warning("Malformed GetAll reply from %s for %s: %s", sources[c->src].bus_name, c->path, strerror(-r));
        return 0;
}

static int object_getall(Manager *m, Source src, const char *path, const char *name, const NotifyEvent *pending) {
        ReplayCall *c = calloc(1, sizeof *c);
        sd_bus_slot *slot = NULL;
        int r;

        if (!c)
                return -ENOMEM;
        *c = (ReplayCall) { .m = m, .src = src, .generation = m->generation[src] };
        if (!(c->path = strdup(path)) || (name && !(c->name = strdup(name)))) {
                replay_call_free(c);
                return -ENOMEM;
        }
        if (pending) {
                c->pending = *pending;
                c->pending.reason = pending->reason ? strdup(pending->reason) : NULL;
                c->has_pending = true;
        }
        r = sd_bus_call_method_async(m->bus, &slot, sources[src].bus_name, path, "org.freedesktop.DBus.Properties",
                                     "GetAll", on_getall_reply, c, "s", sources[src].object_interface);
        if (r < 0) {
                replay_call_free(c);
                return r;
        }
        /* The slot owns c from here. */
        (void) sd_bus_slot_set_destroy_callback(slot, replay_call_free);
        (void) sd_bus_slot_set_floating(slot, true);
        sd_bus_slot_unref(slot);
        return 0;
}

static int on_list_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ReplayCall *c = userdata;
        Manager *m = c->m;
        const char *name, *path;
        size_t n = 0;
        int r;

        if (c->generation != m->generation[c->src])
                return 0;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_warning("%s.%s() failed, cannot replay the current state: %s", sources[c->src].manager_interface,
                            sources[c->src].list_method, sd_bus_message_get_error(reply)->message);
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(so)");
        if (r < 0)
                goto bad;
        while ((r = sd_bus_message_read(reply, "(so)", &name, &path)) > 0) {
                if (!name_ok(name)) {
                        if (ratelimit_below(&m->bad_rl))
                                log_warning("%s.%s() returned an invalid name; skipped.", sources[c->src].manager_interface,
                                            sources[c->src].list_method);
                        continue;
                }
                if (++n > MAX_TRACKED)
                        break;
                if (c->src == SOURCE_CHECKER)
                        check_remember(m, path, name);
                r = object_getall(m, c->src, path, name, NULL);
                if (r < 0)
                        log_error_errno(r, "Cannot ask %s for the state of %s: %s", sources[c->src].bus_name, name,
                                        strerror(-r));
        }
        if (r < 0)
                goto bad;
        log_info("Replaying the current state of %zu object(s) of %s.", n, sources[c->src].bus_name);
        return 0;
bad:
        if (ratelimit_below(&m->bad_rl))
                log_warning("Malformed %s() reply from %s: %s", sources[c->src].list_method, sources[c->src].bus_name,
                            strerror(-r));
        return 0;
}

static int replay_source(Manager *m, Source src) {
        ReplayCall *c = calloc(1, sizeof *c);
        sd_bus_slot *slot = NULL;
        int r;

        if (!c)
                return -ENOMEM;
        *c = (ReplayCall) { .m = m, .src = src, .generation = m->generation[src] };
        r = sd_bus_call_method_async(m->bus, &slot, sources[src].bus_name, sources[src].manager_path,
                                     sources[src].manager_interface, sources[src].list_method, on_list_reply, c, NULL);
        if (r < 0) {
                free(c);
                return log_error_errno(r, "Cannot call %s.%s(): %s", sources[src].manager_interface,
                                       sources[src].list_method, strerror(-r));
        }
        (void) sd_bus_slot_set_destroy_callback(slot, replay_call_free);
        (void) sd_bus_slot_set_floating(slot, true);
        sd_bus_slot_unref(slot);
        return 0;
}

/* ---- signals ---- */

static bool from_owner(Manager *m, Source src, sd_bus_message *msg) {
        const char *sender = sd_bus_message_get_sender(msg);
        if (m->owner[src] && sender && streq(sender, m->owner[src]))
                return true;
        /* The bus only routes the source's signals to us by the match's
         * sender=, but check again: anyone can emit a signal with that
         * interface, and scripts here may be privileged. */
        if (ratelimit_below(&m->bad_rl))
                log_warning("Ignoring %s.%s from %s: not the owner of %s.", strna(sd_bus_message_get_interface(msg)),
                            strna(sd_bus_message_get_member(msg)), strna(sender), sources[src].bus_name);
        return false;
}

static int on_state_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        Source src = streq_ptr_(sd_bus_message_get_interface(msg), sources[SOURCE_VRRP].object_interface) ? SOURCE_VRRP :
                                                                                                              SOURCE_CHECKER;
        NotifySubjectKind kind = src == SOURCE_VRRP ? SUBJECT_INSTANCE : SUBJECT_CHECK;
        const char *path = sd_bus_message_get_path(msg);
        const char *from, *to, *reason;
        uint64_t seq;
        int r;

        if (!from_owner(m, src, msg))
                return 0;
        if (!sd_bus_message_has_signature(msg, "tsss")) {
                if (ratelimit_below(&m->bad_rl))
                        log_warning("Ignoring malformed StateChanged from %s on %s: signature '%s', expected 'tsss'.",
                                    strna(sd_bus_message_get_sender(msg)), strna(path),
                                    strna(sd_bus_message_get_signature(msg, true)));
                return 0;
        }
        r = sd_bus_message_read(msg, "tsss", &seq, &from, &to, &reason);
        if (r < 0 || !notify_state_valid(kind, to) || strlen(from) >= NOTIFY_STATE_MAX) {
                if (ratelimit_below(&m->bad_rl))
                        log_warning("Ignoring StateChanged on %s: invalid arguments (to '%s').", strna(path),
                                    r < 0 ? "?" : to);
                return 0;
        }

        NotifyEvent e = { .seq = seq, .reason = (char *) reason };
        snprintf(e.from, sizeof e.from, "%s", from);
        snprintf(e.to, sizeof e.to, "%s", to);

        if (src == SOURCE_VRRP) {
                _cleanup_free_ char *name = NULL;
                r = sd_bus_path_decode(path, sources[src].path_prefix, &name);
                if (r <= 0 || !name_ok(name)) {
                        if (ratelimit_below(&m->bad_rl))
                                log_warning("Ignoring StateChanged on unexpected path %s.", strna(path));
                        return 0;
                }
                log_debug("StateChanged %s seq %" PRIu64 ": %s → %s (%s)", name, seq, from, to, reason);
                dispatch(m, src, name, &e);
                return 0;
        }

        const char *name = check_name_by_path(m, path);
        if (name) {
                log_debug("StateChanged check %s seq %" PRIu64 ": %s → %s (%s)", name, seq, from, to, reason);
                dispatch(m, src, name, &e);
                return 0;
        }
        /* A check we have not seen yet (added by a reload): learn its name, then dispatch. */
        if (!path || !strneq(path, sources[src].path_prefix, strlen(sources[src].path_prefix)))
                return 0;
        r = object_getall(m, src, path, NULL, &e);
        if (r < 0)
                log_error_errno(r, "Cannot look up the check at %s: %s", path, strerror(-r));
        return 0;
}

static int on_properties_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        _cleanup_free_ char *name = NULL;
        const char *iface;
        int r;

        if (!from_owner(m, SOURCE_VRRP, msg))
                return 0;
        if (!sd_bus_message_has_signature(msg, "sa{sv}as"))
                return 0;
        if (sd_bus_path_decode(sd_bus_message_get_path(msg), sources[SOURCE_VRRP].path_prefix, &name) <= 0 || !name_ok(name))
                return 0;
        if (sd_bus_message_read(msg, "s", &iface) < 0 || !streq(iface, sources[SOURCE_VRRP].object_interface))
                return 0;
        if (sd_bus_message_enter_container(msg, 'a', "{sv}") < 0)
                return 0;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key;
                uint32_t v;
                if (sd_bus_message_read(msg, "s", &key) < 0)
                        return 0;
                if (streq(key, "EffectivePriority")) {
                        if (read_uint_variant(msg, &v) < 0)
                                return 0;
                        InstanceInfo *ii = instance_info(m, name, true);
                        if (ii) {
                                ii->priority = v;
                                ii->have_priority = true;
                        }
                } else if (sd_bus_message_skip(msg, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(msg) < 0)
                        return 0;
        }
        return 0;
}

static void source_new_owner(Manager *m, Source src, const char *owner) {
        free(m->owner[src]);
        m->owner[src] = NULL;
        m->generation[src]++;
        if (isempty(owner)) {
                log_notice("%s left the bus; keeping the last known states.", sources[src].bus_name);
                return;
        }
        m->owner[src] = strdup(owner);
        if (!m->owner[src]) {
                log_oom();
                return;
        }
        log_info("%s is owned by %s: replaying its current state.", sources[src].bus_name, owner);
        /* A restarted daemon numbers its events from the start again. */
        for (size_t i = 0; i < m->n_subjects; i++) {
                Subject *s = m->subjects[i];
                if ((src == SOURCE_VRRP) == (s->kind != SUBJECT_CHECK))
                        notify_queue_new_generation(&s->queue);
        }
        if (src == SOURCE_CHECKER)
                checks_forget(m);
        (void) replay_source(m, src);
}

static int on_name_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const char *name, *old, *new;

        if (!streq_ptr_(sd_bus_message_get_sender(msg), "org.freedesktop.DBus"))
                return 0;
        if (sd_bus_message_read(msg, "sss", &name, &old, &new) < 0)
                return 0;
        for (Source s = 0; s < _SOURCE_MAX; s++)
                if (streq(name, sources[s].bus_name))
                        source_new_owner(m, s, new);
        return 0;
}

static int manager_subscribe(Manager *m) {
        int r;

        for (Source s = 0; s < _SOURCE_MAX; s++) {
                _cleanup_free_ char *rule = NULL, *owner_rule = NULL;
                if (asprintf(&rule, "type='signal',sender='%s',interface='%s',member='StateChanged',path_namespace='%s'",
                             sources[s].bus_name, sources[s].object_interface, sources[s].path_prefix) < 0 ||
                    asprintf(&owner_rule,
                             "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                             "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                             sources[s].bus_name) < 0)
                        return log_oom();
                /* Synchronous on purpose: signals must be subscribed before the
                 * state is read, or a change in between would be lost. */
                r = sd_bus_add_match(m->bus, NULL, rule, on_state_changed, m);
                if (r < 0)
                        return log_error_errno(r, "Cannot subscribe to %s: %s", rule, strerror(-r));
                r = sd_bus_add_match(m->bus, NULL, owner_rule, on_name_owner_changed, m);
                if (r < 0)
                        return log_error_errno(r, "Cannot subscribe to NameOwnerChanged: %s", strerror(-r));
        }
        r = sd_bus_add_match(m->bus, NULL,
                             "type='signal',sender='org.vigil.Vrrp1',interface='org.freedesktop.DBus.Properties',"
                             "member='PropertiesChanged',arg0='org.vigil.Vrrp1.Instance'",
                             on_properties_changed, m);
        if (r < 0)
                return log_error_errno(r, "Cannot subscribe to PropertiesChanged: %s", strerror(-r));

        for (Source s = 0; s < _SOURCE_MAX; s++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                const char *owner;
                r = sd_bus_call_method(m->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "GetNameOwner", &error, &reply, "s", sources[s].bus_name);
                if (r < 0) {
                        log_info("%s is not on the bus yet; waiting for it.", sources[s].bus_name);
                        continue;
                }
                if (sd_bus_message_read(reply, "s", &owner) >= 0)
                        source_new_owner(m, s, owner);
        }
        return 0;
}

/* ---- bus connection ---- */

/* A lost bus (dbus-daemon restarted) is reconnected in place with bounded
 * backoff; the queues and the last known states stay, and the new
 * connection replays every source's current state (source_new_owner). */
#define RECONNECT_MIN (100 * USEC_PER_MSEC)
#define RECONNECT_MAX (5 * USEC_PER_SEC)

static int bus_connect(Manager *m);

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        if (m->bus) {
                (void) sd_bus_detach_event(m->bus);
                m->bus = sd_bus_close_unref(m->bus);
        }
        if (bus_connect(m) < 0) {
                m->bus = sd_bus_close_unref(m->bus);
                m->reconnect_delay = MIN(m->reconnect_delay * 2, RECONNECT_MAX);
                (void) sd_event_source_set_time_relative(s, m->reconnect_delay);
                return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        log_notice("Back on the bus: subscribed again, replaying the current state.");
        m->bus_lost = false;
        m->reconnect_delay = 0;
        (void) sd_notify(false, "STATUS=Running");
        return 0;
}

static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        int r;

        if (!m->bus_lost) {
                log_warning("Lost the connection to the bus: keeping the queues, reconnecting.");
                /* replies still in flight belong to the old connection: ignore them */
                for (Source src = 0; src < _SOURCE_MAX; src++)
                        source_new_owner(m, src, NULL);
        }
        m->bus_lost = true;
        (void) sd_notify(false, "STATUS=Bus disconnected, retrying");
        m->reconnect_delay = m->reconnect_delay ? MIN(m->reconnect_delay * 2, RECONNECT_MAX) : RECONNECT_MIN;
        if (!m->reconnect_timer)
                r = sd_event_add_time_relative(m->event, &m->reconnect_timer, CLOCK_MONOTONIC, m->reconnect_delay,
                                               10 * USEC_PER_MSEC, on_reconnect, m);
        else {
                r = sd_event_source_set_time_relative(m->reconnect_timer, m->reconnect_delay);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->reconnect_timer, SD_EVENT_ONESHOT);
        }
        if (r < 0) {
                log_error_errno(r, "Cannot arm the reconnection timer: %s", strerror(-r));
                return sd_event_exit(m->event, EXIT_FAILURE);
        }
        return 0;
}

/* Opens the bus, watches for its loss and subscribes (which replays). */
static int bus_connect(Manager *m) {
        int r;

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_full_errno(m->bus_lost ? LOG_DEBUG : LOG_ERR, r, "Cannot connect to the system bus: %s",
                                      strerror(-r));
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        (void) sd_bus_set_exit_on_disconnect(m->bus, false);
        r = sd_bus_match_signal(m->bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, m);
        if (r < 0)
                return r;
        return manager_subscribe(m);
}

/* ---- configuration ---- */

/* Validation resolved what each entry follows (instance:, group:, check:
 * keys, or by name in the map form). */
static NotifySubjectKind conf_kind(const Config *c, const NotifyConf *nc) {
        switch (nc->kind) {
        case NOTIFY_GROUP:
                return SUBJECT_GROUP;
        case NOTIFY_CHECK:
                return SUBJECT_CHECK;
        case NOTIFY_INSTANCE:
        default:
                return SUBJECT_INSTANCE;
        }
}

static int subject_set_group(Subject *s, const Config *c) {
        const SyncGroupConf *g = config_find_sync_group(c, s->name);
        size_t n = g ? strv_length(g->members) : 0;
        char **members = calloc(n + 1, sizeof(char *));
        char **states = calloc(n + 1, sizeof(char *));

        if (!members || !states) {
                free(members);
                free(states);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                if (!(members[i] = strdup(g->members[i]))) {
                        strv_free(members);
                        for (size_t j = 0; j < i; j++)
                                free(states[j]);
                        free(states);
                        return -ENOMEM;
                }
                /* keep what we already knew of a member across a reload */
                for (size_t j = 0; j < s->n_members; j++)
                        if (streq(s->members[j], members[i]) && s->member_states[j])
                                states[i] = strdup(s->member_states[j]);
        }
        strv_free(s->members);
        for (size_t j = 0; j < s->n_members; j++)
                free(s->member_states[j]);
        free(s->member_states);
        s->members = members;
        s->member_states = states;
        s->n_members = n;
        if (!g)
                log_warning("%s:%u: notify entry for sync group %s, which is not defined.", strna(s->conf->loc.file),
                            s->conf->loc.line, s->name);
        return 0;
}

/* Builds the subject list of config c, reusing subjects (with their queue and
 * running command) that keep their name and kind. Everything that can fail
 * happens before anything running is touched: on failure nothing changed. */
static int manager_apply_config(Manager *m, Config *c) {
        Subject **list = calloc(c->n_notify + 1, sizeof(Subject *));
        size_t *reuse = calloc(c->n_notify + 1, sizeof(size_t));
        bool *taken = calloc(m->n_subjects + 1, sizeof(bool));

        if (!list || !reuse || !taken)
                goto oom;
        /* 1: match or allocate */
        for (size_t i = 0; i < c->n_notify; i++) {
                const NotifyConf *nc = &c->notify[i];
                NotifySubjectKind kind = conf_kind(c, nc);
                reuse[i] = SIZE_MAX;
                for (size_t j = 0; j < m->n_subjects; j++)
                        if (!taken[j] && m->subjects[j]->kind == kind && streq(m->subjects[j]->name, nc->name)) {
                                reuse[i] = j;
                                taken[j] = true;
                                break;
                        }
                if (reuse[i] != SIZE_MAX)
                        continue;
                Subject *s = calloc(1, sizeof *s);
                if (!s || !(s->name = strdup(nc->name))) {
                        free(s);
                        goto oom;
                }
                s->m = m;
                s->kind = kind;
                notify_queue_init(&s->queue, m->max_queue, m->drop_superseded);
                list[i] = s;
        }
        /* 2: commit (nothing fails here) */
        for (size_t i = 0; i < c->n_notify; i++) {
                const NotifyConf *nc = &c->notify[i];
                Subject *s = list[i] ?: m->subjects[reuse[i]];
                list[i] = s;
                s->conf = nc;
                if (s->kind == SUBJECT_GROUP && subject_set_group(s, c) < 0)
                        log_oom(); /* keeps the members it had */
                log_debug("Notify entry: %s %s.", notify_subject_kind_to_string(s->kind), nc->name);
        }
        for (size_t j = 0; j < m->n_subjects; j++)
                if (!taken[j])
                        subject_free(m->subjects[j]);
        free(m->subjects);
        m->subjects = list;
        m->n_subjects = c->n_notify;
        free(reuse);
        free(taken);
        return 0;
oom:
        for (size_t i = 0; list && i < c->n_notify; i++)
                subject_free(list[i]); /* only new ones are in list here */
        free(list);
        free(reuse);
        free(taken);
        return log_oom();
}

static int load_config(const char *path, Config **ret, bool to_stderr) {
        ConfDiags diags = {};
        int r = config_load_file(path, ret, &diags);
        if (to_stderr)
                conf_diags_print(&diags, stderr);
        else
                for (size_t i = 0; i < diags.n; i++)
                        log_full(diags.items[i].warning ? LOG_WARNING : LOG_ERR, "%s:%u:%u: %s", strna(diags.items[i].loc.file),
                                 diags.items[i].loc.line, diags.items[i].loc.col, diags.items[i].message);
        if (r < 0 && diags.n_errors == 0)
                log_error_errno(r, "%s: %s", path, strerror(-r));
        conf_diags_free(&diags);
        return r;
}

static int on_sighup(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        Config *c = NULL;

        (void) sd_notify(false, "RELOADING=1");
        log_info("Reloading %s.", m->config_path);
        if (load_config(m->config_path, &c, false) < 0) {
                log_error("Reload refused: %s is invalid; keeping the running configuration.", m->config_path);
        } else if (manager_apply_config(m, c) < 0) {
                config_free(c);
        } else {
                config_free(m->config);
                m->config = c;
                log_info("Reloaded: %zu notify entr%s.", m->n_subjects, m->n_subjects == 1 ? "y" : "ies");
        }
        (void) sd_notify(false, "READY=1");
        return 0;
}

static int on_terminate(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        log_info("Received %s, stopping.", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(m->event, 0);
}

static void manager_free(Manager *m) {
        for (size_t i = 0; i < m->n_subjects; i++)
                subject_free(m->subjects[i]);
        free(m->subjects);
        for (size_t i = 0; i < m->n_instances; i++)
                free(m->instances[i].name);
        free(m->instances);
        checks_forget(m);
        for (Source s = 0; s < _SOURCE_MAX; s++)
                free(m->owner[s]);
        m->reconnect_timer = sd_event_source_disable_unref(m->reconnect_timer);
        m->bus = sd_bus_flush_close_unref(m->bus);
        m->event = sd_event_unref(m->event);
        config_free(m->config);
}

static void help(void) {
        printf("vigil-notify [OPTIONS...]\n\n"
               "Run keepalived-compatible notify scripts from vigil's StateChanged signals, in order.\n\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "  -c --config FILE        Configuration file (default %s); its notify: section is used\n"
               "     --check-config       Validate the configuration and exit\n"
               "     --max-queue N        Pending events kept per subject (default %d); beyond, the oldest is dropped\n"
               "     --drop-superseded    Run only the newest pending event of a subject, drop older pending ones\n"
               "     --log-level LEVEL    err, warning, notice, info or debug (default info)\n"
               "     --log-target TARGET  auto, journal or console (default auto)\n",
               VIGIL_DEFAULT_CONFIG, NOTIFY_QUEUE_DEFAULT_MAX);
}

int main(int argc, char **argv) {
        enum { ARG_VERSION = 0x100, ARG_CHECK, ARG_MAX_QUEUE, ARG_DROP, ARG_LOG_LEVEL, ARG_LOG_TARGET };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config", required_argument, NULL, 'c' },
                { "check-config", no_argument, NULL, ARG_CHECK },
                { "max-queue", required_argument, NULL, ARG_MAX_QUEUE },
                { "drop-superseded", no_argument, NULL, ARG_DROP },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                {}
        };
        Manager m = { .bad_rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 10) };
        const char *config_path = VIGIL_DEFAULT_CONFIG;
        bool check = false;
        int c, r;

        log_setup("vigil-notify");
        while ((c = getopt_long(argc, argv, "hc:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("vigil-notify %s\n", VIGIL_VERSION);
                        return 0;
                case 'c':
                        config_path = optarg;
                        break;
                case ARG_CHECK:
                        check = true;
                        break;
                case ARG_MAX_QUEUE: {
                        char *end;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (*end || end == optarg || v < 1 || v > 100000) {
                                log_error("--max-queue '%s': expected a number between 1 and 100000.", optarg);
                                return 2;
                        }
                        arg_max_queue = v;
                        break;
                }
                case ARG_DROP:
                        arg_drop_superseded = true;
                        break;
                case ARG_LOG_LEVEL:
                        if (log_set_max_level_from_string(optarg) < 0) {
                                log_error("Invalid --log-level '%s'.", optarg);
                                return 2;
                        }
                        break;
                case ARG_LOG_TARGET:
                        if (log_set_target_from_string(optarg) < 0) {
                                log_error("Invalid --log-target '%s'.", optarg);
                                return 2;
                        }
                        break;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'. See --help.", argv[optind]);
                return 2;
        }
        m.config_path = config_path;
        m.max_queue = arg_max_queue;
        m.drop_superseded = arg_drop_superseded;

        r = load_config(config_path, &m.config, check);
        if (check) {
                config_free(m.config);
                printf("%s: configuration is %s.\n", config_path, r < 0 ? "invalid" : "valid");
                return r < 0 ? 1 : 0;
        }
        if (r < 0) {
                log_error("Not starting: %s is invalid.", config_path);
                return 1;
        }
        if (m.config->n_notify == 0)
                log_warning("%s has no notify: entries; nothing will be run.", config_path);

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD); /* sd_event_add_child */
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) signal(SIGPIPE, SIG_IGN);

        r = sd_event_default(&m.event);
        if (r < 0) {
                log_error_errno(r, "Cannot allocate the event loop: %s", strerror(-r));
                goto finish;
        }
        (void) sd_event_add_signal(m.event, NULL, SIGTERM, on_terminate, &m);
        (void) sd_event_add_signal(m.event, NULL, SIGINT, on_terminate, &m);
        (void) sd_event_add_signal(m.event, NULL, SIGHUP, on_sighup, &m);

        r = manager_apply_config(&m, m.config);
        if (r < 0)
                goto finish;

        r = bus_connect(&m);
        if (r < 0)
                goto finish;

        log_info("vigil-notify %s started (config %s, %zu notify entr%s, queue %zu%s).", VIGIL_VERSION, config_path,
                 m.n_subjects, m.n_subjects == 1 ? "y" : "ies", m.max_queue,
                 m.drop_superseded ? ", dropping superseded events" : "");
        (void) sd_notify(false, "READY=1");
        r = sd_event_loop(m.event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %s", strerror(-r));
finish:
        manager_free(&m);
        return r < 0 ? 1 : 0;
}
