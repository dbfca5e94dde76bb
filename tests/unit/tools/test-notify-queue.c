/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigil-notify's pure logic: ordering, duplicates, bounded queue, superseding,
 * replay skipping, keepalived command lines, sync group state. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "macro.h"
#include "notify-queue.h"

typedef struct Drops {
        unsigned n[3];
        uint64_t last_seq;
} Drops;

static void count_drop(const NotifyEvent *e, NotifyDropReason why, void *userdata) {
        Drops *d = userdata;
        d->n[why]++;
        d->last_seq = e->seq;
}

static int push(NotifyQueue *q, uint64_t seq, const char *to, bool replay, Drops *d) {
        NotifyEvent e = { .seq = seq, .replay = replay, .reason = strdup("r") };
        snprintf(e.to, sizeof e.to, "%s", to);
        return notify_queue_push(q, &e, count_drop, d);
}

static void expect_pop(NotifyQueue *q, uint64_t seq, const char *to) {
        NotifyEvent e = {};
        assert_int_equal(notify_queue_pop(q, &e, NULL), 1);
        assert_int_equal(e.seq, seq);
        assert_string_equal(e.to, to);
        assert_string_equal(e.reason, "r");
        notify_event_done(&e);
}

static void test_order_and_duplicates(void **state) {
        NotifyQueue q;
        Drops d = {};
        notify_queue_init(&q, 8, false);

        assert_int_equal(push(&q, 5, "master", false, &d), 1);
        assert_int_equal(push(&q, 6, "backup", false, &d), 1);
        /* a repeat and an older number are not run again */
        assert_int_equal(push(&q, 6, "backup", false, &d), 0);
        assert_int_equal(push(&q, 3, "fault", false, &d), 0);
        assert_int_equal(d.n[NOTIFY_DROP_DUPLICATE], 2);
        assert_int_equal(push(&q, 7, "master", false, &d), 1);

        expect_pop(&q, 5, "master");
        expect_pop(&q, 6, "backup");
        expect_pop(&q, 7, "master");
        NotifyEvent e = {};
        assert_int_equal(notify_queue_pop(&q, &e, NULL), 0);
        assert_int_equal(q.n_dropped, 2);
        notify_queue_done(&q);
}

static void test_seq_zero_first(void **state) {
        /* a source may number from 0: the first event is not a "duplicate" */
        NotifyQueue q;
        Drops d = {};
        notify_queue_init(&q, 4, false);
        assert_int_equal(push(&q, 0, "backup", false, &d), 1);
        assert_int_equal(push(&q, 0, "backup", false, &d), 0);
        expect_pop(&q, 0, "backup");
        notify_queue_done(&q);
}

static void test_new_generation(void **state) {
        NotifyQueue q;
        Drops d = {};
        notify_queue_init(&q, 8, false);
        assert_int_equal(push(&q, 100, "master", false, &d), 1);
        /* the daemon restarted: its numbers start again */
        notify_queue_new_generation(&q);
        assert_int_equal(push(&q, 1, "backup", false, &d), 1);
        assert_int_equal(push(&q, 1, "backup", false, &d), 0);
        expect_pop(&q, 100, "master");
        expect_pop(&q, 1, "backup");
        notify_queue_done(&q);
}

static void test_bounded_keeps_newest(void **state) {
        NotifyQueue q;
        Drops d = {};
        notify_queue_init(&q, 4, false);
        for (uint64_t s = 1; s <= 100; s++)
                assert_int_equal(push(&q, s, s % 2 ? "master" : "backup", false, &d), 1);
        assert_int_equal(q.n, 4);
        assert_int_equal(d.n[NOTIFY_DROP_OVERFLOW], 96);
        assert_int_equal(d.last_seq, 96);
        /* the survivors are the newest, still in order: the last script run is the final state */
        expect_pop(&q, 97, "master");
        expect_pop(&q, 98, "backup");
        expect_pop(&q, 99, "master");
        expect_pop(&q, 100, "backup");
        notify_queue_done(&q);
}

static void test_drop_superseded(void **state) {
        NotifyQueue q;
        Drops d = {};
        notify_queue_init(&q, 16, true);
        for (uint64_t s = 1; s <= 10; s++)
                assert_int_equal(push(&q, s, s % 2 ? "master" : "backup", false, &d), 1);
        assert_int_equal(q.n, 1);
        assert_int_equal(d.n[NOTIFY_DROP_SUPERSEDED], 9);
        expect_pop(&q, 10, "backup");
        notify_queue_done(&q);

        /* without the option nothing is superseded */
        Drops d2 = {};
        notify_queue_init(&q, 16, false);
        for (uint64_t s = 1; s <= 10; s++)
                push(&q, s, "master", false, &d2);
        assert_int_equal(q.n, 10);
        assert_int_equal(d2.n[NOTIFY_DROP_SUPERSEDED], 0);
        notify_queue_done(&q);
}

static void test_replay_skip(void **state) {
        NotifyQueue q;
        Drops d = {};
        unsigned skipped;
        NotifyEvent e = {};
        notify_queue_init(&q, 8, false);

        /* at start nothing was notified: the replay runs */
        push(&q, 0, "master", true, &d);
        assert_int_equal(notify_queue_pop(&q, &e, &skipped), 1);
        assert_true(e.replay);
        assert_int_equal(skipped, 0);
        notify_event_done(&e);

        /* a replay of the state already notified is skipped, a different one runs */
        push(&q, 0, "master", true, &d);
        push(&q, 0, "backup", true, &d);
        assert_int_equal(notify_queue_pop(&q, &e, &skipped), 1);
        assert_string_equal(e.to, "backup");
        assert_int_equal(skipped, 1);
        notify_event_done(&e);

        /* signals are never skipped, even to the same state */
        push(&q, 4, "backup", false, &d);
        assert_int_equal(notify_queue_pop(&q, &e, &skipped), 1);
        assert_int_equal(e.seq, 4);
        notify_event_done(&e);

        /* replays do not consume sequence numbers */
        push(&q, 0, "fault", true, &d);
        assert_int_equal(push(&q, 5, "master", false, &d), 1);
        expect_pop(&q, 0, "fault");
        expect_pop(&q, 5, "master");
        notify_queue_done(&q);
}

static void test_state_valid(void **state) {
        assert_true(notify_state_valid(SUBJECT_INSTANCE, "master"));
        assert_true(notify_state_valid(SUBJECT_INSTANCE, "stopped"));
        assert_false(notify_state_valid(SUBJECT_INSTANCE, "up"));
        assert_false(notify_state_valid(SUBJECT_INSTANCE, "MASTER"));
        assert_false(notify_state_valid(SUBJECT_INSTANCE, ""));
        assert_false(notify_state_valid(SUBJECT_INSTANCE, NULL));
        assert_true(notify_state_valid(SUBJECT_CHECK, "down"));
        assert_false(notify_state_valid(SUBJECT_CHECK, "master"));
        assert_true(notify_state_valid(SUBJECT_GROUP, "fault"));
}

static void test_commands_instance(void **state) {
        char *master[] = { "/bin/m", "x", NULL };
        char *generic[] = { "/bin/n", NULL };
        char *stop[] = { "/bin/s", NULL };
        NotifyConf nc = { .name = "VI_1", .notify_master = master, .notify = generic, .notify_stop = stop };
        char ***cmds = NULL;

        assert_int_equal(notify_commands(&nc, SUBJECT_INSTANCE, "VI_1", "master", 150, &cmds), 0);
        assert_non_null(cmds[0]);
        assert_string_equal(cmds[0][0], "/bin/m");
        assert_string_equal(cmds[0][1], "x");
        assert_null(cmds[0][2]);
        assert_non_null(cmds[1]);
        assert_string_equal(cmds[1][0], "/bin/n");
        assert_string_equal(cmds[1][1], "INSTANCE");
        assert_string_equal(cmds[1][2], "VI_1");
        assert_string_equal(cmds[1][3], "MASTER");
        assert_string_equal(cmds[1][4], "150");
        assert_null(cmds[1][5]);
        assert_null(cmds[2]);
        notify_commands_free(cmds);

        /* backup: no notify_backup, only the generic one */
        assert_int_equal(notify_commands(&nc, SUBJECT_INSTANCE, "VI_1", "backup", 100, &cmds), 0);
        assert_string_equal(cmds[0][0], "/bin/n");
        assert_string_equal(cmds[0][3], "BACKUP");
        assert_null(cmds[1]);
        notify_commands_free(cmds);

        /* stopped → keepalived's STOP and notify_stop */
        assert_int_equal(notify_commands(&nc, SUBJECT_INSTANCE, "VI_1", "stopped", 100, &cmds), 0);
        assert_string_equal(cmds[0][0], "/bin/s");
        assert_string_equal(cmds[1][3], "STOP");
        notify_commands_free(cmds);

        /* init: nothing (keepalived has no script for it) */
        assert_int_equal(notify_commands(&nc, SUBJECT_INSTANCE, "VI_1", "init", 100, &cmds), 0);
        assert_null(cmds[0]);
        notify_commands_free(cmds);
}

static void test_commands_group_check(void **state) {
        char *generic[] = { "/bin/n", NULL };
        char *up[] = { "/bin/up", NULL };
        char *fault[] = { "/bin/f", NULL };
        NotifyConf g = { .name = "G1", .group = true, .notify = generic, .notify_fault = fault };
        NotifyConf ck = { .name = "chk", .notify_up = up, .notify = generic };
        char ***cmds = NULL;

        assert_int_equal(notify_commands(&g, SUBJECT_GROUP, "G1", "fault", 0, &cmds), 0);
        assert_string_equal(cmds[0][0], "/bin/f");
        assert_string_equal(cmds[1][1], "GROUP");
        assert_string_equal(cmds[1][3], "FAULT");
        assert_string_equal(cmds[1][4], "0");
        notify_commands_free(cmds);

        assert_int_equal(notify_commands(&ck, SUBJECT_CHECK, "chk", "up", 77, &cmds), 0);
        assert_string_equal(cmds[0][0], "/bin/up");
        assert_string_equal(cmds[1][1], "CHECK");
        assert_string_equal(cmds[1][3], "UP");
        assert_string_equal(cmds[1][4], "0");
        notify_commands_free(cmds);

        /* down without notify_down: generic only; unknown: nothing */
        assert_int_equal(notify_commands(&ck, SUBJECT_CHECK, "chk", "down", 0, &cmds), 0);
        assert_string_equal(cmds[0][3], "DOWN");
        assert_null(cmds[1]);
        notify_commands_free(cmds);
        assert_int_equal(notify_commands(&ck, SUBJECT_CHECK, "chk", "unknown", 0, &cmds), 0);
        assert_null(cmds[0]);
        notify_commands_free(cmds);
}

static void test_group_state(void **state) {
        const char *all_master[] = { "master", "master" };
        const char *mixed[] = { "master", "backup" };
        const char *one_fault[] = { "backup", "fault" };
        const char *unknown[] = { "master", NULL };
        const char *unknown_fault[] = { NULL, "fault" };

        assert_string_equal(notify_group_state(all_master, 2), "master");
        assert_null(notify_group_state(mixed, 2));
        assert_string_equal(notify_group_state(one_fault, 2), "fault");
        assert_null(notify_group_state(unknown, 2));
        assert_string_equal(notify_group_state(unknown_fault, 2), "fault");
        assert_null(notify_group_state(NULL, 0));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order_and_duplicates),
                cmocka_unit_test(test_seq_zero_first),
                cmocka_unit_test(test_new_generation),
                cmocka_unit_test(test_bounded_keeps_newest),
                cmocka_unit_test(test_drop_superseded),
                cmocka_unit_test(test_replay_skip),
                cmocka_unit_test(test_state_valid),
                cmocka_unit_test(test_commands_instance),
                cmocka_unit_test(test_commands_group_check),
                cmocka_unit_test(test_group_state),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
