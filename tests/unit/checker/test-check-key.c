/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check-key.h"

static CheckConf base(void) {
        static StatusRange ok[] = { { 200, 299 } };
        return (CheckConf) {
                .name = (char *) "a",
                .type = CHECK_HTTP,
                .interval = 3000000,
                .timeout = 5000000,
                .fall = 1,
                .rise = 1,
                .method = (char *) "GET",
                .path = (char *) "/",
                .http_version = 11,
                .status = ok,
                .n_status = 1,
                .max_body = 1 << 20,
        };
}

static char *key(const CheckConf *c, const char *addr, uint16_t port) {
        CheckTarget t = { .port = port };
        char *k = NULL;
        if (addr)
                assert_int_equal(parse_address_prefix(addr, &t.address), 0);
        assert_int_equal(check_key(c, &t, &k), 0);
        return k;
}

static void test_same_options_same_key(void **state) {
        CheckConf a = base(), b = base();
        b.name = (char *) "b";         /* names do not matter */
        b.loc.line = 42;
        b.inline_check = true;
        char *ka = key(&a, "10.0.0.1", 80), *kb = key(&b, "10.0.0.1", 80);
        assert_string_equal(ka, kb);
        free(ka);
        free(kb);
}

static void test_differences(void **state) {
        CheckConf a = base();
        char *ka = key(&a, "10.0.0.1", 80);

        char *k = key(&a, "10.0.0.2", 80);
        assert_string_not_equal(ka, k);
        free(k);
        k = key(&a, "10.0.0.1", 81);
        assert_string_not_equal(ka, k);
        free(k);

        CheckConf b = base();
        b.path = (char *) "/health";
        k = key(&b, "10.0.0.1", 80);
        assert_string_not_equal(ka, k);
        free(k);

        b = base();
        b.fall = 2;
        k = key(&b, "10.0.0.1", 80);
        assert_string_not_equal(ka, k);
        free(k);

        b = base();
        b.type = CHECK_HTTPS;
        k = key(&b, "10.0.0.1", 80);
        assert_string_not_equal(ka, k);
        free(k);

        /* a value cannot impersonate another field */
        CheckConf c1 = base(), c2 = base();
        c1.path = (char *) "/;vhost=3:abc";
        c2.path = (char *) "/";
        c2.virtualhost = (char *) "abc";
        char *k1 = key(&c1, "10.0.0.1", 80), *k2 = key(&c2, "10.0.0.1", 80);
        assert_string_not_equal(k1, k2);
        free(k1);
        free(k2);
        free(ka);
}

static void test_exec_command(void **state) {
        char *cmd1[] = { (char *) "/bin/true", (char *) "a b", NULL };
        char *cmd2[] = { (char *) "/bin/true", (char *) "a", (char *) "b", NULL };
        CheckConf a = { .type = CHECK_EXEC, .command = cmd1, .fall = 1, .rise = 1 };
        CheckConf b = { .type = CHECK_EXEC, .command = cmd2, .fall = 1, .rise = 1 };
        char *ka = key(&a, NULL, 0), *kb = key(&b, NULL, 0);
        assert_string_not_equal(ka, kb);
        free(ka);
        free(kb);
}

static void test_target_string(void **state) {
        CheckTarget t = { .port = 443 };
        char buf[64];
        assert_int_equal(parse_address_prefix("fe80::1", &t.address), 0);
        assert_string_equal(check_target_to_string(&t, buf, sizeof buf), "[fe80::1]:443");
        t.port = 0;
        assert_string_equal(check_target_to_string(&t, buf, sizeof buf), "fe80::1");
        t.address.family = AF_UNSPEC;
        assert_string_equal(check_target_to_string(&t, buf, sizeof buf), "");
        assert_string_equal(check_type_name(CHECK_SMTP), "smtp");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_options_same_key),
                cmocka_unit_test(test_differences),
                cmocka_unit_test(test_exec_command),
                cmocka_unit_test(test_target_string),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
