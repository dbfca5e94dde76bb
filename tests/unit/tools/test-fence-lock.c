/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigil-fence-zk's pure logic: lock node names, who holds the lock, node data
 * for messages, the lease inequality, and the thread → loop mailbox. */

#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fence-lock.h"
#include "macro.h"
#include "mailbox.h"

static void test_instance_names(void **state) {
        assert_true(fence_instance_name_valid("VI_1"));
        assert_true(fence_instance_name_valid("web.prod:eth0-1"));
        assert_false(fence_instance_name_valid(""));
        assert_false(fence_instance_name_valid(NULL));
        assert_false(fence_instance_name_valid("."));
        assert_false(fence_instance_name_valid(".."));
        assert_false(fence_instance_name_valid("a/b"));
        assert_false(fence_instance_name_valid("../x"));
        assert_false(fence_instance_name_valid("a b"));
        assert_false(fence_instance_name_valid("ä"));
        char long_name[FENCE_INSTANCE_NAME_MAX + 2];
        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = 0;
        assert_false(fence_instance_name_valid(long_name));
        long_name[FENCE_INSTANCE_NAME_MAX] = 0;
        assert_true(fence_instance_name_valid(long_name));
}

static void test_parse(void **state) {
        char prefix[FENCE_LOCK_NODE_PREFIX_MAX];
        uint64_t sess, seq;

        fence_lock_node_prefix(0x100001f1e430000ULL, prefix);
        assert_string_equal(prefix, "lock-0100001f1e430000-");

        assert_int_equal(fence_lock_parse("lock-0100001f1e430000-0000000042", &sess, &seq), 0);
        assert_true(sess == 0x100001f1e430000ULL);
        assert_true(seq == 42);
        assert_int_equal(fence_lock_parse("lock-ffffffffffffffff-2147483647", &sess, &seq), 0);
        assert_true(sess == UINT64_MAX);
        assert_true(seq == 2147483647);

        const char *bad[] = {
                "lock-0100001f1e430000-000000004",    /* 9 digits */
                "lock-0100001f1e430000-00000000421",  /* 11 digits */
                "lock-0100001f1e430000--2147483648",  /* wrapped counter */
                "lock-0100001F1E430000-0000000042",   /* uppercase hex */
                "lock-0100001f1e43000-00000000042",   /* 15 hex digits */
                "lock-0100001f1e430000_0000000042",
                "lock-0000000042",                    /* plain recipe, not ours */
                "leader-0100001f1e430000-0000000042",
                "",
                NULL,
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(fence_lock_parse(bad[i], &sess, &seq), -EINVAL);
}

static void test_evaluate(void **state) {
        const uint64_t me = 0xa, peer = 0xb;
        char *children[] = {
                "lock-000000000000000b-0000000007",
                "junk",
                "lock-000000000000000a-0000000009",
                "lock-000000000000000b-0000000003",
        };
        FenceLockView v;

        fence_lock_evaluate(children, ELEMENTSOF(children), me, &v);
        assert_false(v.held);
        assert_string_equal(v.ours, "lock-000000000000000a-0000000009");
        assert_int_equal(v.n_ours, 1);
        assert_string_equal(v.holder, "lock-000000000000000b-0000000003");
        assert_true(v.holder_session == peer);
        assert_int_equal(v.n_locks, 3);
        assert_int_equal(v.n_ignored, 1);

        /* the peer's view of the same children: it holds */
        fence_lock_evaluate(children, ELEMENTSOF(children), peer, &v);
        assert_true(v.held);
        assert_string_equal(v.ours, "lock-000000000000000b-0000000003");
        assert_int_equal(v.n_ours, 2);

        /* we have no node */
        fence_lock_evaluate(children, ELEMENTSOF(children), 0xc, &v);
        assert_false(v.held);
        assert_null(v.ours);
        assert_int_equal(v.n_ours, 0);

        /* empty, and only junk: nobody holds, junk is never a holder */
        fence_lock_evaluate(NULL, 0, me, &v);
        assert_false(v.held);
        assert_null(v.holder);
        char *junk[] = { "lock-0000000001", "x" };
        fence_lock_evaluate(junk, 2, me, &v);
        assert_null(v.holder);
        assert_int_equal(v.n_ignored, 2);

        /* two nodes of ours (a lost create answer): the lowest is ours */
        char *dup[] = { "lock-000000000000000a-0000000005", "lock-000000000000000a-0000000004" };
        fence_lock_evaluate(dup, 2, me, &v);
        assert_true(v.held);
        assert_string_equal(v.ours, "lock-000000000000000a-0000000004");
        assert_int_equal(v.n_ours, 2);
}

static void test_node_data(void **state) {
        _cleanup_free_ char *s = NULL, *d1 = NULL, *d2 = NULL, *d3 = NULL;

        assert_int_equal(fence_node_data_format("LVS_1", "host-a", 42, &s), 0);
        assert_string_equal(s, "router_id=LVS_1 host=host-a pid=42");

        d1 = fence_node_data_describe("a\nb\x01\xff", 5);
        assert_string_equal(d1, "a?b??");
        d2 = fence_node_data_describe(NULL, 0);
        assert_string_equal(d2, "(no data)");
        char big[1000];
        memset(big, 'x', sizeof big);
        d3 = fence_node_data_describe(big, sizeof big);
        assert_int_equal(strlen(d3), FENCE_NODE_DATA_MAX);
}

static void test_lease(void **state) {
        const usec_t t = 6 * USEC_PER_SEC;

        assert_true(fence_lease_revoke_after(t) == 3 * USEC_PER_SEC);
        assert_true(fence_lease_heartbeat_interval(t) == USEC_PER_SEC);
        assert_true(fence_lease_heartbeat_interval(100 * USEC_PER_MSEC) == 50 * USEC_PER_MSEC);
        /* a heartbeat lag never revokes by itself: interval well below revoke_after */
        assert_true(2 * fence_lease_heartbeat_interval(t) < fence_lease_revoke_after(t));

        /* revoke_after + vip_lease < t */
        assert_true(fence_lease_safe(t, fence_lease_revoke_after(t), USEC_PER_SEC));
        assert_true(fence_lease_safe(t, fence_lease_revoke_after(t), 2999 * USEC_PER_MSEC));
        assert_false(fence_lease_safe(t, fence_lease_revoke_after(t), 3 * USEC_PER_SEC));
        assert_false(fence_lease_safe(t, t, 0));
        /* the brief's "connection loss + t/3" measured from the last answer
         * would be 2t/3 + t/3 = t: unsafe with any VIP lease */
        assert_false(fence_lease_safe(t, 2 * t / 3 + t / 3, 0));

        /* VIP lease bounds: off never ends, a fixed lease is itself, auto ~ one advert */
        assert_true(fence_vip_lease_bound(true, 0, USEC_PER_SEC) == USEC_INFINITY);
        assert_false(fence_lease_safe(t, fence_lease_revoke_after(t), fence_vip_lease_bound(true, 0, USEC_PER_SEC)));
        assert_true(fence_vip_lease_bound(false, 5 * USEC_PER_SEC, USEC_PER_SEC) == 5 * USEC_PER_SEC);
        assert_false(fence_lease_safe(t, fence_lease_revoke_after(t), fence_vip_lease_bound(false, 5 * USEC_PER_SEC, USEC_PER_SEC)));
        assert_true(fence_vip_lease_bound(false, 0, USEC_PER_SEC) == USEC_PER_SEC);
        assert_true(fence_lease_safe(t, fence_lease_revoke_after(t), fence_vip_lease_bound(false, 0, USEC_PER_SEC)));

        /* the Fence wait leaves the reply time to arrive */
        assert_true(fence_wait_budget(5 * USEC_PER_SEC) == 4500 * USEC_PER_MSEC);
        assert_true(fence_wait_budget(30 * USEC_PER_SEC) == 29 * USEC_PER_SEC);
        assert_true(fence_wait_budget(500 * USEC_PER_MSEC) == 400 * USEC_PER_MSEC);
        assert_true(fence_wait_budget(50 * USEC_PER_MSEC) == 25 * USEC_PER_MSEC);
}

typedef struct Item {
        MailboxItem item;
        unsigned n;
        unsigned thread;
} Item;

#define PER_THREAD 20000
#define THREADS 4

typedef struct ThreadArg {
        Mailbox *mb;
        unsigned id;
} ThreadArg;

static void *poster(void *p) {
        ThreadArg *a = p;
        for (unsigned i = 0; i < PER_THREAD; i++) {
                Item *it = calloc(1, sizeof *it);
                assert_non_null(it);
                it->n = i;
                it->thread = a->id;
                mailbox_post(a->mb, &it->item);
        }
        return NULL;
}

static void free_item(MailboxItem *it) {
        free(it);
}

static void test_mailbox(void **state) {
        Mailbox mb;
        pthread_t th[THREADS];
        ThreadArg args[THREADS];
        unsigned next[THREADS] = {}, total = 0;

        assert_int_equal(mailbox_init(&mb), 0);
        for (unsigned i = 0; i < THREADS; i++) {
                args[i] = (ThreadArg) { &mb, i };
                assert_int_equal(pthread_create(&th[i], NULL, poster, &args[i]), 0);
        }
        /* the loop side: wait on the eventfd like sd-event does, drain */
        while (total < THREADS * PER_THREAD) {
                struct pollfd pfd = { .fd = mb.efd, .events = POLLIN };
                assert_true(poll(&pfd, 1, 5000) == 1);
                MailboxItem *it = mailbox_take_all(&mb);
                while (it) {
                        Item *x = (Item *) it;
                        it = it->next;
                        /* per posting thread, FIFO order */
                        assert_int_equal(x->n, next[x->thread]);
                        next[x->thread]++;
                        total++;
                        free(x);
                }
        }
        for (unsigned i = 0; i < THREADS; i++)
                pthread_join(th[i], NULL);
        assert_null(mailbox_take_all(&mb));
        /* what is still queued at the end is freed */
        Item *left = calloc(1, sizeof *left);
        mailbox_post(&mb, &left->item);
        mailbox_done(&mb, free_item);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_instance_names),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_evaluate),
                cmocka_unit_test(test_node_data),
                cmocka_unit_test(test_lease),
                cmocka_unit_test(test_mailbox),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
