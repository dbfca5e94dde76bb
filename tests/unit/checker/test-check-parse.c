/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check-parse.h"
#include "smtp-reply.h"

static int smtp(const char *s, size_t *used) {
        *used = 0;
        return smtp_reply_parse(s, strlen(s), used);
}

static void test_smtp(void **state) {
        size_t u;
        assert_int_equal(smtp("220 mail.example ESMTP\r\n", &u), 220);
        assert_int_equal(u, 24);
        assert_int_equal(smtp("250-a\r\n250-b\r\n250 c\r\nEXTRA", &u), 250);
        assert_int_equal(u, 21);
        assert_int_equal(smtp("250\n", &u), 250);
        assert_int_equal(smtp("250-a\r\n250-b\r\n", &u), 0); /* more to come */
        assert_int_equal(smtp("22", &u), 0);
        assert_int_equal(smtp("250-a\r\n251 b\r\n", &u), -EBADMSG);
        assert_int_equal(smtp("hello\r\n", &u), -EBADMSG);
        assert_int_equal(smtp("199 x\r\n", &u), -EBADMSG);
        assert_int_equal(smtp("250x\r\n", &u), -EBADMSG);

        static char big[SMTP_REPLY_MAX + 100];
        memset(big, 'a', sizeof big - 1);
        memcpy(big, "250-", 4);
        assert_int_equal(smtp(big, &u), -E2BIG);
}

static void test_payload(void **state) {
        uint8_t out[16];
        size_t n;
        assert_int_equal(udp_payload_decode("a\\n\\r\\t\\\\\\x41\\0", out, sizeof out, &n), 0);
        assert_int_equal(n, 7);
        assert_memory_equal(out, "a\n\r\t\\A\0", 7);
        assert_int_equal(udp_payload_decode("", out, sizeof out, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(udp_payload_decode("\\q", out, sizeof out, &n), -EINVAL);
        assert_int_equal(udp_payload_decode("\\x4", out, sizeof out, &n), -EINVAL);
        assert_int_equal(udp_payload_decode("end\\", out, sizeof out, &n), -EINVAL);
        assert_int_equal(udp_payload_decode("0123456789abcdefX", out, sizeof out, &n), -E2BIG);
}

static void test_weight(void **state) {
        int w;
        assert_int_equal(file_weight_parse("42\n", 3, &w), 0);
        assert_int_equal(w, 42);
        assert_int_equal(file_weight_parse("  -7  \r\nignored", 15, &w), 0);
        assert_int_equal(w, -7);
        assert_int_equal(file_weight_parse("+0", 2, &w), 0);
        assert_int_equal(w, 0);
        assert_int_equal(file_weight_parse("65536", 5, &w), -ERANGE);
        assert_int_equal(file_weight_parse("99999999999", 11, &w), -ERANGE);
        assert_int_equal(file_weight_parse("", 0, &w), -EINVAL);
        assert_int_equal(file_weight_parse("12abc", 5, &w), -EINVAL);
        assert_int_equal(file_weight_parse("-", 1, &w), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_smtp),
                cmocka_unit_test(test_payload),
                cmocka_unit_test(test_weight),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
