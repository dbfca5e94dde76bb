/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "time-util.h"

static void test_parse_ok(void **state) {
        static const struct {
                const char *s;
                usec_t v;
        } cases[] = {
                { "500ms", 500 * USEC_PER_MSEC }, { "3s", 3 * USEC_PER_SEC }, { "1m", 60 * USEC_PER_SEC },
                { "3", 3 * USEC_PER_SEC },        { "0", 0 },                { "1.5s", 1500 * USEC_PER_MSEC },
                { "1m30s", 90 * USEC_PER_SEC },   { "250us", 250 },          { "2h", 7200 * USEC_PER_SEC },
                { " 10ms", 10 * USEC_PER_MSEC },  { "0.01s", 10 * USEC_PER_MSEC }, { "1 m 2 s", 62 * USEC_PER_SEC },
                { "40.95s", 40950 * USEC_PER_MSEC },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                usec_t u = 1;
                assert_int_equal(parse_duration(cases[i].s, &u), 0);
                assert_int_equal(u, cases[i].v);
        }
}

static void test_parse_bad(void **state) {
        static const char *bad[] = { "", "s", "ms", "-1", "3x", "1.2.3s", "1s2", "abc", ".", "1e3", "3 4",
                                     "99999999999999999999999s" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                usec_t u;
                assert_true(parse_duration(bad[i], &u) < 0);
        }
        usec_t u;
        assert_int_equal(parse_duration(NULL, &u), -EINVAL);
}

static void test_format(void **state) {
        char buf[DURATION_MAX];
        assert_string_equal(format_duration(buf, sizeof buf, 0), "0s");
        assert_string_equal(format_duration(buf, sizeof buf, 3 * USEC_PER_SEC), "3s");
        assert_string_equal(format_duration(buf, sizeof buf, 1500 * USEC_PER_MSEC), "1500ms");
        assert_string_equal(format_duration(buf, sizeof buf, 7), "7us");
        assert_string_equal(format_duration(buf, sizeof buf, USEC_INFINITY), "infinity");
        /* round trip */
        usec_t u;
        assert_int_equal(parse_duration(format_duration(buf, sizeof buf, 1234 * USEC_PER_MSEC), &u), 0);
        assert_int_equal(u, 1234 * USEC_PER_MSEC);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_ok),
                cmocka_unit_test(test_parse_bad),
                cmocka_unit_test(test_format),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
