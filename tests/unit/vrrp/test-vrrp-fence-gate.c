/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fencing before promotion (DESIGN §1): with gate_promotion the FSM never goes
 * BACKUP → MASTER by itself; it asks once, waits, and promotes only when told. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "vrrp-fsm.h"

#define S USEC_PER_SEC

static VrrpFsmParams params(uint8_t prio, bool initial_master) {
        VrrpFsmParams p = { .version = 3, .priority = prio, .advert_interval = 1 * S, .preempt = true,
                            .initial_master = initial_master, .family = AF_INET };
        inet_pton(AF_INET, "10.0.0.2", &p.self.in);
        return p;
}

static void test_master_down_waits_for_the_fence(void **state) {
        VrrpFsmParams p = params(100, false);
        VrrpFsm f;
        VrrpFsmOutput o;
        vrrp_fsm_init(&f, &p);
        f.gate_promotion = true;
        vrrp_fsm_startup(&f, 0, &o);
        assert_int_equal(f.state, VRRP_STATE_BACKUP);

        usec_t down = vrrp_fsm_next_deadline(&f);
        vrrp_fsm_timeout(&f, down, &o);
        assert_false(o.changed);
        assert_false(o.send_advert);
        assert_true(o.promotion_requested);
        assert_true(f.promotion_pending);
        assert_int_equal(f.state, VRRP_STATE_BACKUP);
        assert_string_equal(f.promotion_reason, "master-down");
        /* no timer while the fence runs, and no second request */
        assert_true(vrrp_fsm_next_deadline(&f) == USEC_INFINITY);
        vrrp_fsm_timeout(&f, down + 10 * S, &o);
        assert_false(o.promotion_requested);
        assert_false(o.changed);

        vrrp_fsm_promote(&f, down + 11 * S, " (fenced)", &o);
        assert_true(o.changed);
        assert_int_equal(o.to, VRRP_STATE_MASTER);
        assert_true(o.send_advert);
        assert_string_equal(o.reason, "master-down (fenced)");
        assert_false(f.promotion_pending);
        /* a second grant is a no-op */
        vrrp_fsm_promote(&f, down + 12 * S, "", &o);
        assert_false(o.changed);
}

static void test_live_master_cancels_the_request(void **state) {
        VrrpFsmParams p = params(100, false);
        VrrpFsm f;
        VrrpFsmOutput o;
        union in_addr_union peer;
        inet_pton(AF_INET, "10.0.0.9", &peer.in);
        vrrp_fsm_init(&f, &p);
        f.gate_promotion = true;
        vrrp_fsm_startup(&f, 0, &o);
        usec_t down = vrrp_fsm_next_deadline(&f);
        vrrp_fsm_timeout(&f, down, &o);
        assert_true(o.promotion_requested);
        /* the master was only late: its advert arrives while we fence */
        vrrp_fsm_advert(&f, down + 1, &peer, 200, 1 * S, &o);
        assert_false(f.promotion_pending);
        assert_true(vrrp_fsm_next_deadline(&f) != USEC_INFINITY);
        vrrp_fsm_promote(&f, down + 2, "", &o);
        assert_false(o.changed);
        assert_int_equal(f.state, VRRP_STATE_BACKUP);
}

static void test_initial_master_and_fault(void **state) {
        VrrpFsmParams p = params(100, true);
        VrrpFsm f;
        VrrpFsmOutput o;
        vrrp_fsm_init(&f, &p);
        f.gate_promotion = true;
        vrrp_fsm_startup(&f, 0, &o);
        assert_int_equal(f.state, VRRP_STATE_BACKUP);
        assert_true(o.promotion_requested);
        assert_false(o.send_advert);
        /* a fault while fencing drops the request */
        vrrp_fsm_set_fault(&f, 1, true, "fence-failed: test", &o);
        assert_int_equal(f.state, VRRP_STATE_FAULT);
        assert_false(f.promotion_pending);
        vrrp_fsm_promote(&f, 2, "", &o);
        assert_false(o.changed);
}

static void test_without_gate_nothing_changes(void **state) {
        VrrpFsmParams p = params(100, false);
        VrrpFsm f;
        VrrpFsmOutput o;
        vrrp_fsm_init(&f, &p);
        vrrp_fsm_startup(&f, 0, &o);
        vrrp_fsm_timeout(&f, vrrp_fsm_next_deadline(&f), &o);
        assert_true(o.changed);
        assert_int_equal(o.to, VRRP_STATE_MASTER);
        assert_false(o.promotion_requested);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_master_down_waits_for_the_fence),
                cmocka_unit_test(test_live_master_cancels_the_request),
                cmocka_unit_test(test_initial_master_and_fault),
                cmocka_unit_test(test_without_gate_nothing_changes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
