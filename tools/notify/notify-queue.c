/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>

#include "macro.h"
#include "notify-queue.h"

const char *notify_subject_kind_to_string(NotifySubjectKind k) {
        switch (k) {
        case SUBJECT_INSTANCE:
                return "INSTANCE";
        case SUBJECT_GROUP:
                return "GROUP";
        case SUBJECT_CHECK:
                return "CHECK";
        }
        return "UNKNOWN";
}

const char *notify_drop_reason_to_string(NotifyDropReason r) {
        switch (r) {
        case NOTIFY_DROP_DUPLICATE:
                return "duplicate";
        case NOTIFY_DROP_SUPERSEDED:
                return "superseded";
        case NOTIFY_DROP_OVERFLOW:
                return "queue-full";
        }
        return "unknown";
}

void notify_event_done(NotifyEvent *e) {
        if (!e)
                return;
        free(e->reason);
        e->reason = NULL;
}

static const char *const instance_states[] = { "init", "backup", "master", "fault", "stopped", NULL };
static const char *const check_states[] = { "unknown", "up", "down", NULL };

bool notify_state_valid(NotifySubjectKind k, const char *state) {
        const char *const *l = k == SUBJECT_CHECK ? check_states : instance_states;
        if (!state)
                return false;
        for (size_t i = 0; l[i]; i++)
                if (streq(l[i], state))
                        return true;
        return false;
}

void notify_queue_init(NotifyQueue *q, size_t max, bool drop_superseded) {
        *q = (NotifyQueue) { .max = MAX(max, (size_t) 1), .drop_superseded = drop_superseded };
}

void notify_queue_done(NotifyQueue *q) {
        for (size_t i = 0; i < q->n; i++)
                notify_event_done(&q->items[i]);
        free(q->items);
        q->items = NULL;
        q->n = 0;
}

void notify_queue_new_generation(NotifyQueue *q) {
        q->have_seq = false;
        q->last_seq = 0;
}

static void drop_front(NotifyQueue *q, NotifyDropReason why, notify_drop_cb_t cb, void *userdata) {
        q->n_dropped++;
        if (cb)
                cb(&q->items[0], why, userdata);
        notify_event_done(&q->items[0]);
        memmove(q->items, q->items + 1, (q->n - 1) * sizeof q->items[0]);
        q->n--;
}

int notify_queue_push(NotifyQueue *q, NotifyEvent *e, notify_drop_cb_t cb, void *userdata) {
        /* Signals from one sender arrive in order on D-Bus, so a seq that is
         * not newer than the last accepted one is a repeat (or a replay of
         * history we already have): running it would run scripts out of
         * order. Replays carry no seq and always go to the tail: they describe
         * the state now, after everything already queued. */
        if (!e->replay) {
                if (q->have_seq && e->seq <= q->last_seq) {
                        q->n_dropped++;
                        if (cb)
                                cb(e, NOTIFY_DROP_DUPLICATE, userdata);
                        notify_event_done(e);
                        return 0;
                }
                q->have_seq = true;
                q->last_seq = e->seq;
        }

        if (q->drop_superseded)
                while (q->n > 0)
                        drop_front(q, NOTIFY_DROP_SUPERSEDED, cb, userdata);
        while (q->n >= q->max)
                drop_front(q, NOTIFY_DROP_OVERFLOW, cb, userdata);

        if (!q->items) {
                q->items = calloc(q->max, sizeof q->items[0]);
                if (!q->items) {
                        notify_event_done(e);
                        return -ENOMEM;
                }
        }
        q->items[q->n++] = *e;
        e->reason = NULL; /* moved */
        return 1;
}

int notify_queue_pop(NotifyQueue *q, NotifyEvent *ret, unsigned *ret_skipped) {
        unsigned skipped = 0;

        while (q->n > 0) {
                NotifyEvent e = q->items[0];
                memmove(q->items, q->items + 1, (q->n - 1) * sizeof q->items[0]);
                q->n--;
                if (e.replay && streq(e.to, q->last_state)) {
                        notify_event_done(&e);
                        skipped++;
                        continue;
                }
                snprintf(q->last_state, sizeof q->last_state, "%s", e.to);
                *ret = e;
                if (ret_skipped)
                        *ret_skipped = skipped;
                return 1;
        }
        if (ret_skipped)
                *ret_skipped = skipped;
        return 0;
}

void notify_commands_free(char ***cmds) {
        if (!cmds)
                return;
        for (size_t i = 0; cmds[i]; i++)
                strv_free(cmds[i]);
        free(cmds);
}

static char **strv_copy_append(char *const *l, char *const *extra) {
        size_t n = strv_length(l), m = strv_length(extra);
        _cleanup_strv_free_ char **r = calloc(n + m + 1, sizeof(char *));
        if (!r)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!(r[i] = strdup(l[i])))
                        return NULL;
        for (size_t i = 0; i < m; i++)
                if (!(r[n + i] = strdup(extra[i])))
                        return NULL;
        return TAKE_PTR(r);
}

/* keepalived's words for the generic notify script's STATE argument. */
static const char *keepalived_state(NotifySubjectKind kind, const char *state) {
        if (kind == SUBJECT_CHECK)
                return streq(state, "up") ? "UP" : streq(state, "down") ? "DOWN" : NULL;
        if (streq(state, "master"))
                return "MASTER";
        if (streq(state, "backup"))
                return "BACKUP";
        if (streq(state, "fault"))
                return "FAULT";
        if (streq(state, "stopped"))
                return "STOP";
        return NULL; /* init: keepalived runs nothing either */
}

int notify_commands(const NotifyConf *nc, NotifySubjectKind kind, const char *name, const char *state,
                    uint32_t priority, char ****ret) {
        char ***cmds = calloc(3, sizeof(char **));
        char **specific = NULL;
        size_t n = 0;

        if (!cmds)
                return -ENOMEM;

        const char *word = keepalived_state(kind, state);
        if (!word) {
                *ret = cmds;
                return 0;
        }
        if (kind == SUBJECT_CHECK)
                specific = streq(state, "up") ? nc->notify_up : nc->notify_down;
        else
                specific = streq(state, "master") ? nc->notify_master :
                           streq(state, "backup") ? nc->notify_backup :
                           streq(state, "fault")  ? nc->notify_fault :
                                                    nc->notify_stop;

        if (!isempty(specific ? specific[0] : NULL)) {
                cmds[n] = strv_copy_append(specific, NULL);
                if (!cmds[n])
                        goto oom;
                n++;
        }
        if (!isempty(nc->notify ? nc->notify[0] : NULL)) {
                char prio[16];
                snprintf(prio, sizeof prio, "%" PRIu32, kind == SUBJECT_CHECK ? 0 : priority);
                char *extra[] = { (char *) notify_subject_kind_to_string(kind), (char *) name, (char *) word, prio, NULL };
                cmds[n] = strv_copy_append(nc->notify, extra);
                if (!cmds[n])
                        goto oom;
                n++;
        }
        *ret = cmds;
        return 0;
oom:
        notify_commands_free(cmds);
        return -ENOMEM;
}

const char *notify_group_state(const char *const *member_states, size_t n) {
        const char *common = NULL;

        if (n == 0)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (member_states[i] && streq(member_states[i], "fault"))
                        return "fault";
        for (size_t i = 0; i < n; i++) {
                if (!member_states[i])
                        return NULL;
                if (!common)
                        common = member_states[i];
                else if (!streq(common, member_states[i]))
                        return NULL;
        }
        return common;
}
