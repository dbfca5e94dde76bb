/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fencing before promotion (DESIGN §1, §6). With an instance's fencing
 * policy other than none, the state machine does not go BACKUP → MASTER by
 * itself: it asks (promotion_requested) and this file runs the fence, every
 * agent's org.vigil.FenceAgent1.Fence(instance, peer) and checkerd's
 * RunFence(command) in parallel, bounded by fencing.timeout.
 *   - all ok → promote;
 *   - policy required and any failure, error, garbage answer or timeout →
 *     FAULT "fence-failed: ...", retried with exponential backoff (1 s .. 30 s),
 *     each attempt visible as a StateChanged;
 *   - best-effort → log and promote.
 * Leaving MASTER calls Release(instance) on every agent. A Revoked(instance,
 * reason) signal from an agent, or the agent vanishing from the bus, makes a
 * master leave at once (FAULT "fence-revoked: ...", so its VIPs go) and fence
 * again before it may return. A permission is never assumed: no answer is a
 * failure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup-libs.h"
#include "vrrp-fence.h"
#include "vrrpd.h"

#define AGENT_PATH "/org/vigil/FenceAgent1"
#define AGENT_IFACE "org.vigil.FenceAgent1"
#define BACKOFF_MIN (1 * USEC_PER_SEC)
#define BACKOFF_MAX (30 * USEC_PER_SEC)

struct FenceState {
        Instance *instance;
        bool running;
        unsigned pending;
        bool failed;
        char detail[VRRP_REASON_MAX];
        sd_bus_slot **slots;
        size_t n_slots;
        sd_event_source *timeout;
        sd_event_source *retry;
        usec_t backoff;
        bool fault;
        char fault_reason[VRRP_REASON_MAX];
        uint64_t attempts;
};

typedef struct Call {
        FenceState *fs;
        char *what;               /* "agent org.vigil.FenceZk1" / "command fence_peer" */
} Call;

static sd_bus_slot *revoked_slot, *owner_slot;

static bool instance_fences(const Instance *i) {
        const FencingConf *f = &i->conf->fencing;
        return f->policy != FENCE_POLICY_NONE && (strv_length(f->agents) > 0 || strv_length(f->commands) > 0);
}

void vrrp_fence_configure(Instance *i) {
        i->fsm.gate_promotion = instance_fences(i);
}

static void round_cancel(FenceState *fs) {
        for (size_t k = 0; k < fs->n_slots; k++)
                sd_bus_slot_unref(fs->slots[k]); /* drops the pending callback; its Call is freed by the slot destroy */
        free(fs->slots);
        fs->slots = NULL;
        fs->n_slots = 0;
        fs->timeout = sd_event_source_disable_unref(fs->timeout);
        fs->running = false;
        fs->pending = 0;
}

static void call_free(void *p) {
        Call *c = p;
        if (!c)
                return;
        free(c->what);
        free(c);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        FenceState *fs = userdata;
        fs->retry = sd_event_source_disable_unref(fs->retry);
        fs->fault = false;
        log_instance(LOG_INFO, 0, fs->instance->name, "Fencing: retrying after %s.", fs->fault_reason);
        manager_evaluate(fs->instance->manager);
        return 0;
}

/* Enter FAULT with reason and schedule the next attempt. */
static void fence_fault(FenceState *fs, const char *reason) {
        Instance *i = fs->instance;
        snprintf(fs->fault_reason, sizeof fs->fault_reason, "%s", reason);
        fs->fault = true;
        fs->backoff = fs->backoff ? MIN(fs->backoff * 2, BACKOFF_MAX) : BACKOFF_MIN;
        fs->retry = sd_event_source_disable_unref(fs->retry);
        if (sd_event_add_time_relative(i->manager->event, &fs->retry, CLOCK_MONOTONIC, fs->backoff, 10 * USEC_PER_MSEC,
                                       on_retry, fs) < 0)
                log_instance(LOG_ERR, 0, i->name, "Fencing: cannot arm the retry timer; staying out of MASTER.");
        manager_evaluate(i->manager);
}

static void round_done(FenceState *fs) {
        Instance *i = fs->instance;
        bool failed = fs->failed;
        char detail[VRRP_REASON_MAX];
        snprintf(detail, sizeof detail, "%s", fs->detail);
        round_cancel(fs);

        if (!failed) {
                VrrpFsmOutput o;
                fs->backoff = 0;
                log_instance(LOG_NOTICE, 0, i->name, "Fencing granted (attempt %llu): promoting.", (unsigned long long) fs->attempts);
                vrrp_fsm_promote(&i->fsm, now_usec(CLOCK_MONOTONIC), " (fenced)", &o);
                instance_apply(i, &o);
                return;
        }
        if (i->conf->fencing.policy == FENCE_POLICY_BEST_EFFORT) {
                VrrpFsmOutput o;
                log_instance(LOG_WARNING, 0, i->name, "Fencing failed (%s); policy best-effort: promoting anyway.", detail);
                vrrp_fsm_promote(&i->fsm, now_usec(CLOCK_MONOTONIC), " (fence failed, best-effort)", &o);
                instance_apply(i, &o);
                return;
        }
        char reason[VRRP_REASON_MAX + 16];
        snprintf(reason, sizeof reason, "fence-failed: %s", detail);
        log_instance(LOG_WARNING, 0, i->name, "Fencing failed (%s); policy required: staying out of MASTER, next attempt in %llus.",
                     detail, (unsigned long long) ((fs->backoff ? MIN(fs->backoff * 2, BACKOFF_MAX) : BACKOFF_MIN) / USEC_PER_SEC));
        fence_fault(fs, reason);
}

static void call_result(FenceState *fs, const char *what, bool ok, const char *detail) {
        if (!ok) {
                if (!fs->failed)
                        snprintf(fs->detail, sizeof fs->detail, "%s: %s", what, isempty(detail) ? "refused" : detail);
                fs->failed = true;
        }
        log_instance(ok ? LOG_INFO : LOG_WARNING, 0, fs->instance->name, "Fencing: %s answered %s%s%s.", what,
                     ok ? "ok" : "no", isempty(detail) ? "" : ": ", strempty(detail));
        if (fs->pending > 0 && --fs->pending == 0)
                round_done(fs);
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        FenceState *fs = c->fs;
        int ok = 0;
        const char *detail = NULL;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                call_result(fs, c->what, false, e && e->message ? e->message : e && e->name ? e->name : "error");
        } else if (sd_bus_message_read(reply, "bs", &ok, &detail) < 0)
                /* garbage is a failed fence, never a success */
                call_result(fs, c->what, false, "malformed answer (expected (bs))");
        else
                call_result(fs, c->what, ok, detail);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        FenceState *fs = userdata;
        if (!fs->failed)
                snprintf(fs->detail, sizeof fs->detail, "no answer within %llums",
                         (unsigned long long) (fs->instance->conf->fencing.timeout / USEC_PER_MSEC));
        fs->failed = true;
        round_done(fs);
        return 0;
}

static int start_call(FenceState *fs, const char *dest, const char *path, const char *iface, const char *member,
                      const char *what, const char *a1, const char *a2) {
        Manager *m = fs->instance->manager;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        Call *c = calloc(1, sizeof *c);
        sd_bus_slot *slot = NULL;
        int r;

        if (!c || !(c->what = strdup(what))) {
                call_free(c);
                return -ENOMEM;
        }
        c->fs = fs;
        /* off the bus (reconnecting): the call fails, which never grants */
        r = m->bus ? sd_bus_message_new_method_call(m->bus, &msg, dest, path, iface, member) : -ENOTCONN;
        if (r >= 0)
                r = a2 ? sd_bus_message_append(msg, "ss", a1, a2) : sd_bus_message_append(msg, "s", a1);
        if (r >= 0)
                /* the round's own timer decides; the call's timeout only cleans up */
                r = sd_bus_call_async(m->bus, &slot, msg, on_reply, c, fs->instance->conf->fencing.timeout + USEC_PER_SEC);
        if (r < 0) {
                call_free(c);
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(slot, call_free);
        sd_bus_slot **n = realloc(fs->slots, (fs->n_slots + 1) * sizeof *n);
        if (!n) {
                sd_bus_slot_unref(slot);
                return -ENOMEM;
        }
        fs->slots = n;
        fs->slots[fs->n_slots++] = slot;
        fs->pending++;
        return 0;
}

/* The instance's fence state, created on first use; NULL (logged) on OOM. */
static FenceState *fence_state(Instance *i) {
        if (!i->fence) {
                i->fence = calloc(1, sizeof *i->fence);
                if (!i->fence) {
                        log_oom();
                        return NULL;
                }
                i->fence->instance = i;
        }
        return i->fence;
}

void vrrp_fence_request(Instance *i) {
        const FencingConf *f = &i->conf->fencing;
        FenceState *fs = i->fence;
        char peer[ADDR_STR_MAX] = "", what[80];
        int r;

        if (!fs && !(fs = fence_state(i)))
                return;
        if (fs->running)
                return;
        fs->running = true;
        fs->failed = false;
        fs->detail[0] = 0;
        fs->attempts++;
        if (i->fsm.has_master)
                format_address(peer, sizeof peer, i->conf->family, &i->fsm.master_addr);
        log_instance(LOG_NOTICE, 0, i->name, "Fencing before promotion (%s; attempt %llu, peer %s, %zu agent(s), %zu command(s)).",
                     i->fsm.promotion_reason, (unsigned long long) fs->attempts, peer[0] ? peer : "unknown",
                     strv_length(f->agents), strv_length(f->commands));

        STRV_FOREACH(a, f->agents) {
                snprintf(what, sizeof what, "agent %s", *a);
                r = start_call(fs, *a, AGENT_PATH, AGENT_IFACE, "Fence", what, i->name, peer);
                if (r < 0) {
                        fs->failed = true;
                        snprintf(fs->detail, sizeof fs->detail, "%s: %s", what, strerror(-r));
                }
        }
        STRV_FOREACH(cmd, f->commands) {
                snprintf(what, sizeof what, "command %s", *cmd);
                r = start_call(fs, i->manager->checker_name ?: "org.vigil.Checker1", "/org/vigil/Checker1",
                               "org.vigil.Checker1.Manager", "RunFence", what, *cmd, NULL);
                if (r < 0) {
                        fs->failed = true;
                        snprintf(fs->detail, sizeof fs->detail, "%s: %s", what, strerror(-r));
                }
        }
        if (fs->pending == 0) {
                round_done(fs);
                return;
        }
        r = sd_event_add_time_relative(i->manager->event, &fs->timeout, CLOCK_MONOTONIC, f->timeout, 10 * USEC_PER_MSEC,
                                       on_timeout, fs);
        if (r < 0) {
                fs->failed = true;
                snprintf(fs->detail, sizeof fs->detail, "cannot arm the fence timeout: %s", strerror(-r));
                round_done(fs);
        }
}

void vrrp_fence_left_master(Instance *i) {
        if (!i->manager->bus) {
                if (strv_length(i->conf->fencing.agents) > 0)
                        log_instance(LOG_WARNING, 0, i->name, "Off the bus (reconnecting): cannot call Release() on the fence agents.");
                return;
        }
        STRV_FOREACH(a, i->conf->fencing.agents)
                (void) sd_bus_call_method_async(i->manager->bus, NULL, *a, AGENT_PATH, AGENT_IFACE, "Release", NULL, NULL, "s",
                                                i->name);
}

const char *vrrp_fence_fault(const Instance *i) {
        return i->fence && i->fence->fault ? i->fence->fault_reason : NULL;
}

void vrrp_fence_free(Instance *i) {
        FenceState *fs = i->fence;
        if (!fs)
                return;
        round_cancel(fs);
        fs->retry = sd_event_source_disable_unref(fs->retry);
        free(fs);
        i->fence = NULL;
}

/* A permission is gone: a master leaves at once and fences again before returning. */
static void fence_revoke(Instance *i, const char *why) {
        FenceState *fs = i->fence;
        bool master = i->fsm.state == VRRP_STATE_MASTER;
        if (!master && !(fs && fs->running))
                return;
        if (!fs && !(fs = fence_state(i)))
                return;
        round_cancel(fs);
        char reason[VRRP_REASON_MAX + 16];
        snprintf(reason, sizeof reason, "fence-revoked: %s", why);
        log_instance(LOG_WARNING, 0, i->name, "Permission revoked (%s): leaving MASTER now.", why);
        fence_fault(fs, reason);
}

static bool sender_owns(Manager *m, const char *sender, const char *name) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *owner;
        if (streq(sender, name))
                return true;
        if (sd_bus_call_method(m->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
                               &e, &reply, "s", name) < 0)
                return false;
        return sd_bus_message_read(reply, "s", &owner) >= 0 && streq(owner, sender);
}

static RateLimit revoked_rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 5);

static int on_revoked(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const char *instance, *reason, *sender = sd_bus_message_get_sender(msg);

        if (sd_bus_message_read(msg, "ss", &instance, &reason) < 0) {
                if (ratelimit_below(&revoked_rl))
                        log_warning("Ignoring a malformed Revoked signal from %s.", strna(sender));
                return 0;
        }
        Instance *i = manager_find_instance(m, instance);
        if (!i || !sender)
                return 0;
        STRV_FOREACH(a, i->conf->fencing.agents)
                if (sender_owns(m, sender, *a)) {
                        char why[VRRP_REASON_MAX];
                        snprintf(why, sizeof why, "%s: %s", *a, reason);
                        fence_revoke(i, why);
                        return 0;
                }
        if (ratelimit_below(&revoked_rl))
                log_instance(LOG_NOTICE, 0, i->name, "Ignoring Revoked from %s: not one of the instance's fence agents.", sender);
        return 0;
}

/* An agent is really gone (the bus confirmed it): its permissions with it. */
static void on_agent_vanished(const char *name, void *userdata) {
        Manager *m = userdata;
        for (size_t k = 0; k < m->n_instances; k++) {
                Instance *i = m->instances[k];
                if (i->stopped || i->conf->fencing.policy != FENCE_POLICY_REQUIRED)
                        continue;
                STRV_FOREACH(a, i->conf->fencing.agents)
                        if (streq(*a, name)) {
                                char why[VRRP_REASON_MAX];
                                snprintf(why, sizeof why, "agent %s left the bus", name);
                                fence_revoke(i, why);
                                break;
                        }
        }
}

static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const char *name, *old, *new;
        if (sd_bus_message_read(msg, "sss", &name, &old, &new) < 0 || !isempty(new) || isempty(old))
                return 0;
        bool ours = false;
        for (size_t k = 0; k < m->n_instances && !ours; k++)
                STRV_FOREACH(a, m->instances[k]->conf->fencing.agents)
                        ours = ours || streq(*a, name);
        if (!ours)
                return 0;
        /* dbus-daemon shutting down announces every name as gone: ask the bus
         * first (one round trip); a bus that is going away never answers */
        if (daemon_confirm_vanished(m->bus, name, on_agent_vanished, m) < 0)
                on_agent_vanished(name, m);
        return 0;
}

/* After our bus connection came back, a master cannot know what its agents
 * said meanwhile: a Revoked sent during the outage is lost, and an agent may
 * have died or lost its lock. Once the agents had time to reconnect too,
 * each MASTER instance with policy required asks every agent Fence() again:
 * anything but ok (a refusal, an error, no agent, no answer) makes it leave
 * MASTER as if revoked. (fence-zk answers ok while it holds the lock.) */
#define RECHECK_DELAY (5 * USEC_PER_SEC)
static sd_event_source *recheck_timer;
static bool attached_before;

typedef struct Recheck {
        Manager *m;
        char *instance;
        char *agent;
} Recheck;

static void recheck_free(void *p) {
        Recheck *c = p;
        if (!c)
                return;
        free(c->instance);
        free(c->agent);
        free(c);
}

static int on_recheck_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Recheck *c = userdata;
        Instance *i = manager_find_instance(c->m, c->instance);
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int ok = 0;
        const char *detail = NULL;
        char why[VRRP_REASON_MAX];

        if (!i || i->fsm.state != VRRP_STATE_MASTER)
                return 0;
        if (e)
                snprintf(why, sizeof why, "%s after the bus reconnect: %s", c->agent, e->message ?: e->name);
        else if (sd_bus_message_read(reply, "bs", &ok, &detail) < 0)
                snprintf(why, sizeof why, "%s after the bus reconnect: malformed answer", c->agent);
        else if (!ok)
                snprintf(why, sizeof why, "%s after the bus reconnect: %s", c->agent, isempty(detail) ? "refused" : detail);
        else {
                log_instance(LOG_INFO, 0, i->name, "Fencing re-checked after the bus reconnect: %s still grants.", c->agent);
                return 0;
        }
        fence_revoke(i, why);
        return 0;
}

static int on_recheck(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        recheck_timer = sd_event_source_disable_unref(recheck_timer);
        if (!m->bus)
                return 0; /* lost again: the next attach schedules another */
        for (size_t k = 0; k < m->n_instances; k++) {
                Instance *i = m->instances[k];
                char peer[ADDR_STR_MAX] = "";
                if (i->stopped || i->fsm.state != VRRP_STATE_MASTER || i->conf->fencing.policy != FENCE_POLICY_REQUIRED)
                        continue;
                if (i->fsm.has_master)
                        format_address(peer, sizeof peer, i->conf->family, &i->fsm.master_addr);
                STRV_FOREACH(a, i->conf->fencing.agents) {
                        sd_bus_slot *slot = NULL;
                        Recheck *c = calloc(1, sizeof *c);
                        int r = -ENOMEM;
                        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
                        if (c && (c->instance = strdup(i->name)) && (c->agent = strdup(*a))) {
                                c->m = m;
                                r = sd_bus_message_new_method_call(m->bus, &msg, *a, AGENT_PATH, AGENT_IFACE, "Fence");
                                if (r >= 0)
                                        r = sd_bus_message_append(msg, "ss", i->name, peer);
                                if (r >= 0) /* no answer within the fencing timeout is a failure */
                                        r = sd_bus_call_async(m->bus, &slot, msg, on_recheck_reply, c, i->conf->fencing.timeout);
                        }
                        if (r < 0) {
                                char why[VRRP_REASON_MAX];
                                recheck_free(c);
                                snprintf(why, sizeof why, "%s after the bus reconnect: cannot ask: %s", *a, strerror(-r));
                                fence_revoke(i, why);
                                break;
                        }
                        (void) sd_bus_slot_set_destroy_callback(slot, recheck_free);
                        (void) sd_bus_slot_set_floating(slot, 1);
                        sd_bus_slot_unref(slot);
                }
        }
        return 0;
}

/* On every bus connection (vrrpd's attach): the previous connection's matches go first. */
int vrrp_fence_start(Manager *m) {
        bool reconnect = attached_before;

        attached_before = true;
        vrrp_fence_stop(m);
        if (reconnect) {
                int k = sd_event_add_time_relative(m->event, &recheck_timer, CLOCK_MONOTONIC, RECHECK_DELAY, USEC_PER_SEC / 10,
                                                   on_recheck, m);
                if (k < 0)
                        log_warning_errno(k, "Cannot schedule the fencing re-check after the bus reconnect: %m");
        }
        int r = sd_bus_match_signal_async(m->bus, &revoked_slot, NULL, AGENT_PATH, AGENT_IFACE, "Revoked", on_revoked, NULL, m);
        if (r >= 0)
                r = sd_bus_match_signal_async(m->bus, &owner_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                              "org.freedesktop.DBus", "NameOwnerChanged", on_owner_changed, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to fence agents' signals: %m");
        return 0;
}

void vrrp_fence_stop(Manager *m) {
        recheck_timer = sd_event_source_disable_unref(recheck_timer);
        revoked_slot = sd_bus_slot_unref(revoked_slot);
        owner_slot = sd_bus_slot_unref(owner_slot);
}
