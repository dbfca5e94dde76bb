/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "check-state.h"

static void test_fall_rise(void **state) {
        CheckHysteresis h;
        check_hysteresis_init(&h, 3, 2, CHECK_STATE_UP);
        assert_int_equal(h.state, CHECK_STATE_UP);
        assert_false(check_hysteresis_feed(&h, CHECK_RESULT_DOWN));
        assert_false(check_hysteresis_feed(&h, CHECK_RESULT_DOWN));
        /* a success in between resets the failure run */
        assert_false(check_hysteresis_feed(&h, CHECK_RESULT_UP));
        assert_false(check_hysteresis_feed(&h, CHECK_RESULT_DOWN));
        assert_false(check_hysteresis_feed(&h, CHECK_RESULT_DOWN));
        assert_true(check_hysteresis_feed(&h, CHECK_RESULT_DOWN));
        assert_int_equal(h.state, CHECK_STATE_DOWN);
        assert_false(check_hysteresis_feed(&h, CHECK_RESULT_DOWN));
        assert_false(check_hysteresis_feed(&h, CHECK_RESULT_UP));
        assert_true(check_hysteresis_feed(&h, CHECK_RESULT_UP));
        assert_int_equal(h.state, CHECK_STATE_UP);
}

static void test_initial_unknown(void **state) {
        CheckHysteresis h;
        check_hysteresis_init(&h, 2, 2, CHECK_STATE_UNKNOWN);
        assert_false(check_hysteresis_feed(&h, CHECK_RESULT_UP));
        assert_int_equal(h.state, CHECK_STATE_UNKNOWN);
        assert_true(check_hysteresis_feed(&h, CHECK_RESULT_UP));
        assert_int_equal(h.state, CHECK_STATE_UP);

        check_hysteresis_init(&h, 1, 5, CHECK_STATE_UNKNOWN);
        assert_true(check_hysteresis_feed(&h, CHECK_RESULT_DOWN));
        assert_int_equal(h.state, CHECK_STATE_DOWN);

        /* fall/rise 0 behave as 1 */
        check_hysteresis_init(&h, 0, 0, CHECK_STATE_DOWN);
        assert_true(check_hysteresis_feed(&h, CHECK_RESULT_UP));
}

static void test_error_does_not_flap(void **state) {
        CheckHysteresis h;
        check_hysteresis_init(&h, 2, 2, CHECK_STATE_UP);
        assert_true(check_hysteresis_feed(&h, CHECK_RESULT_ERROR));
        assert_int_equal(h.state, CHECK_STATE_UNKNOWN);
        assert_false(check_hysteresis_feed(&h, CHECK_RESULT_ERROR));
        /* the backend answers again: straight back to up, no rise needed */
        assert_true(check_hysteresis_feed(&h, CHECK_RESULT_UP));
        assert_int_equal(h.state, CHECK_STATE_UP);

        /* a failure run interrupted by errors still needs `fall` failures, and
         * until then the last known state comes back */
        assert_false(check_hysteresis_feed(&h, CHECK_RESULT_DOWN));
        assert_true(check_hysteresis_feed(&h, CHECK_RESULT_ERROR));
        assert_true(check_hysteresis_feed(&h, CHECK_RESULT_DOWN));
        assert_int_equal(h.state, CHECK_STATE_DOWN);

        check_hysteresis_init(&h, 3, 1, CHECK_STATE_UP);
        check_hysteresis_feed(&h, CHECK_RESULT_ERROR);
        assert_true(check_hysteresis_feed(&h, CHECK_RESULT_DOWN));
        assert_int_equal(h.state, CHECK_STATE_UP); /* 1 of 3 failures: still up */
}

static void test_retry(void **state) {
        assert_false(check_should_retry(1, 0));
        assert_true(check_should_retry(1, 2));
        assert_true(check_should_retry(2, 2));
        assert_false(check_should_retry(3, 2));
}

static void test_schedule(void **state) {
        const usec_t s = USEC_PER_SEC;
        assert_int_equal(check_next_due(10 * s, s, 10 * s + 500), 11 * s);
        assert_int_equal(check_next_due(10 * s, s, 12 * s), 12 * s); /* late: now, no burst */
        assert_int_equal(check_next_due(UINT64_MAX - 5, s, 7), 7);

        assert_int_equal(check_first_due(100, 0, 12345), 100);
        for (uint64_t r = 0; r < 5000; r += 37) {
                usec_t d = check_first_due(100, 3 * s, r * 7919 * 104729);
                assert_true(d >= 100 && d < 100 + 3 * s);
        }
}

static void test_exec_status(void **state) {
        int w;
        assert_int_equal(check_exec_status_to_result(0, false, 7, &w), CHECK_RESULT_UP);
        assert_int_equal(w, 7);
        assert_int_equal(check_exec_status_to_result(1, true, 7, &w), CHECK_RESULT_DOWN);
        assert_int_equal(check_exec_status_to_result(5, false, 7, &w), CHECK_RESULT_DOWN);
        assert_int_equal(check_exec_status_to_result(5, true, 7, &w), CHECK_RESULT_UP);
        assert_int_equal(w, 3);
        assert_int_equal(check_exec_status_to_result(255, true, 7, &w), CHECK_RESULT_UP);
        assert_int_equal(w, 253);
        assert_int_equal(check_exec_status_to_result(2, true, 7, &w), CHECK_RESULT_UP);
        assert_int_equal(w, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fall_rise),
                cmocka_unit_test(test_initial_unknown),
                cmocka_unit_test(test_error_does_not_flap),
                cmocka_unit_test(test_retry),
                cmocka_unit_test(test_schedule),
                cmocka_unit_test(test_exec_status),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
