/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* vigil-notify's pure logic (no I/O): the per-subject event queue that keeps
 * notify scripts in sequence order, one at a time, bounded; the mapping from
 * a state change to keepalived-compatible command lines; and the derived
 * state of a sync group. Unit tested in tests/unit/tools/test-notify-queue.c. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* What a subject is: a VRRP instance, a sync group, or a check / real server. */
typedef enum NotifySubjectKind {
        SUBJECT_INSTANCE,
        SUBJECT_GROUP,
        SUBJECT_CHECK,
} NotifySubjectKind;

const char *notify_subject_kind_to_string(NotifySubjectKind k); /* "INSTANCE", "GROUP", "CHECK" */

#define NOTIFY_STATE_MAX 16
#define NOTIFY_QUEUE_DEFAULT_MAX 64

typedef struct NotifyEvent {
        uint64_t seq;             /* the source's sequence number; 0 with replay */
        bool replay;              /* read from the current state, not a StateChanged signal */
        char from[NOTIFY_STATE_MAX];
        char to[NOTIFY_STATE_MAX];
        char *reason;             /* owned */
        uint32_t priority;        /* instances: effective priority when known; checks: 0 */
} NotifyEvent;

void notify_event_done(NotifyEvent *e);

/* Checks a state string from the bus against the states of that kind of
 * subject (instances: init backup master fault stopped; checks: unknown up
 * down; groups: like instances). Bounded: anything else is rejected. */
bool notify_state_valid(NotifySubjectKind k, const char *state);

typedef enum NotifyDropReason {
        NOTIFY_DROP_DUPLICATE,    /* seq not newer than one already accepted */
        NOTIFY_DROP_SUPERSEDED,   /* a newer event arrived and drop_superseded is set */
        NOTIFY_DROP_OVERFLOW,     /* the queue was full: the oldest pending one goes */
} NotifyDropReason;

const char *notify_drop_reason_to_string(NotifyDropReason r);

typedef void (*notify_drop_cb_t)(const NotifyEvent *e, NotifyDropReason why, void *userdata);

/* Pending events of one subject. Scripts for a subject run one at a time, in
 * the order the source numbered the events. The queue holds at most max
 * pending events (the one running is not in it); when full, the oldest
 * pending event is dropped (the newest is always kept, so the last script run
 * is for the state the subject is in) and the drop is reported. */
typedef struct NotifyQueue {
        NotifyEvent *items;       /* FIFO, items[0] is next */
        size_t n;
        size_t max;               /* ≥ 1 */
        bool drop_superseded;     /* keep only the newest pending event */
        bool have_seq;
        uint64_t last_seq;        /* highest seq accepted in this generation */
        char last_state[NOTIFY_STATE_MAX]; /* state of the last event handed out ("" = none yet) */
        uint64_t n_dropped;
} NotifyQueue;

void notify_queue_init(NotifyQueue *q, size_t max, bool drop_superseded);
void notify_queue_done(NotifyQueue *q);

/* A new generation of sequence numbers: the source restarted (new bus owner)
 * and numbers from the start again. Pending events stay queued. */
void notify_queue_new_generation(NotifyQueue *q);

/* Takes ownership of e->reason (also when dropped). Returns 1 when queued,
 * 0 when dropped as a duplicate, -ENOMEM. Events dropped to make room or
 * superseded are reported through cb. */
int notify_queue_push(NotifyQueue *q, NotifyEvent *e, notify_drop_cb_t cb, void *userdata);

/* Takes the next event to run into *ret (caller owns it). Replayed events
 * for the state the last handed-out event already was for are skipped (they
 * exist so that nothing is missed, not to repeat a script): they are counted
 * in *ret_skipped. Returns 1 with an event, 0 when the queue is empty. */
int notify_queue_pop(NotifyQueue *q, NotifyEvent *ret, unsigned *ret_skipped);

/* The command lines to run, in order, for a subject entering a state:
 * the specific script (notify_master, notify_backup, notify_fault,
 * notify_stop; notify_up/notify_down for checks) then the generic `notify`
 * with "TYPE NAME STATE PRIORITY" appended (keepalived: INSTANCE|GROUP name
 * MASTER|BACKUP|FAULT|STOP priority; checks: CHECK name UP|DOWN 0).
 * *ret is a NULL-terminated array of argv strvs (each freed with strv_free);
 * an empty array when nothing is configured for that state (e.g. init). */
int notify_commands(const NotifyConf *nc, NotifySubjectKind kind, const char *name, const char *state,
                    uint32_t priority, char ****ret);
void notify_commands_free(char ***cmds);

/* The state of a sync group from its members' states (keepalived semantics:
 * one member in fault puts the group in fault; otherwise the group is in a
 * state when every member is). NULL member states are unknown. Returns NULL
 * when the group's state is not determined by the members (in transition). */
const char *notify_group_state(const char *const *member_states, size_t n);
