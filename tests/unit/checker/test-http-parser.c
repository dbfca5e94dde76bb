/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http-parser.h"

typedef struct Body {
        char buf[8192];
        size_t n;
} Body;

static int body_cb(const uint8_t *d, size_t n, void *userdata) {
        Body *b = userdata;
        assert_true(b->n + n <= sizeof b->buf);
        memcpy(b->buf + b->n, d, n);
        b->n += n;
        return 0;
}

static HttpParser P;
static Body B;

/* Feeds s in pieces of `step` bytes (0 = at once); returns the last result. */
static int feed(const char *s, size_t step, uint64_t max_body, bool head) {
        size_t len = strlen(s);
        int r = 0;
        memset(&B, 0, sizeof B);
        http_parser_free(&P);
        http_parser_init(&P, max_body, head, body_cb, &B);
        for (size_t off = 0; off < len && !http_parser_done(&P);) {
                size_t n = step == 0 || len - off < step ? len - off : step;
                r = http_parser_feed(&P, (const uint8_t *) s + off, n);
                if (r < 0)
                        return r;
                off += n;
        }
        return 0;
}

static void test_content_length(void **state) {
        const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\nhelloTRAILING";
        for (size_t step = 0; step < 8; step++) {
                assert_int_equal(feed(resp, step, 0, false), 0);
                assert_true(http_parser_done(&P));
                assert_int_equal(P.status, 200);
                assert_int_equal(P.version_minor, 1);
                assert_int_equal(B.n, 5);
                assert_memory_equal(B.buf, "hello", 5);
        }
}

static void test_chunked(void **state) {
        const char *resp = "HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 1\r\n\r\n"
                           "5\r\nhello\r\n6;name=v\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
        for (size_t step = 0; step < 5; step++) {
                assert_int_equal(feed(resp, step, 0, false), 0);
                assert_true(http_parser_done(&P));
                assert_int_equal(P.status, 201);
                assert_int_equal(B.n, 11);
                assert_memory_equal(B.buf, "hello world", 11);
        }
}

static void test_close_delimited(void **state) {
        assert_int_equal(feed("HTTP/1.0 503 Busy\nX: y\n\nsome body", 3, 0, false), 0);
        assert_false(http_parser_done(&P));
        assert_int_equal(http_parser_eof(&P), 0);
        assert_true(http_parser_done(&P));
        assert_int_equal(P.status, 503);
        assert_int_equal(P.version_minor, 0);
        assert_int_equal(B.n, 9);
}

static void test_no_body(void **state) {
        assert_int_equal(feed("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 0, 0, true), 0);
        assert_true(http_parser_done(&P));
        assert_int_equal(feed("HTTP/1.1 204 No Content\r\n\r\n", 1, 0, false), 0);
        assert_true(http_parser_done(&P));
        assert_int_equal(P.status, 204);
        /* interim 100 Continue is skipped */
        assert_int_equal(feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n", 2, 0, false), 0);
        assert_true(http_parser_done(&P));
        assert_int_equal(P.status, 302);
}

static void test_max_body(void **state) {
        /* Content-Length over the limit fails as soon as the excess arrives. */
        assert_int_equal(feed("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij", 0, 10, false), -EFBIG);
        assert_true(B.n <= 10);
        /* An endless close-delimited body fails at the limit, whatever the slicing. */
        assert_int_equal(feed("HTTP/1.1 200 OK\r\n\r\n0123456789abcdefghij", 3, 10, false), -EFBIG);
        assert_true(B.n <= 10);
        /* Exactly at the limit is fine. */
        assert_int_equal(feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 0, 10, false), 0);
        assert_true(http_parser_done(&P));
}

static void test_malformed(void **state) {
        const char *bad[] = {
                "garbage\r\n\r\n",
                "HTTP/2 200 OK\r\n\r\n",
                "HTTP/1.1 20 OK\r\n\r\n",
                "HTTP/1.1 2000 OK\r\n\r\n",
                "HTTP/1.1 abc OK\r\n\r\n",
                "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
                "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                int r = feed(bad[i], 0, 0, false);
                if (r != -EBADMSG)
                        fail_msg("input %zu: expected -EBADMSG, got %d", i, r);
                assert_non_null(P.error);
                /* once failed, stays failed */
                assert_int_equal(http_parser_feed(&P, (const uint8_t *) "x", 1), -EINVAL);
        }
}

static void test_limits(void **state) {
        static char big[HTTP_LINE_MAX + 64];
        memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
        memset(big + 20, 'a', sizeof big - 21);
        big[sizeof big - 1] = 0;
        assert_int_equal(feed(big, 1000, 0, false), -E2BIG);

        static char many[16 * (HTTP_HEADERS_MAX + 10)];
        size_t n = (size_t) snprintf(many, sizeof many, "HTTP/1.1 200 OK\r\n");
        for (unsigned i = 0; i < HTTP_HEADERS_MAX + 1; i++)
                n += (size_t) snprintf(many + n, sizeof many - n, "H%u: v\r\n", i);
        assert_int_equal(feed(many, 0, 0, false), -E2BIG);
}

static void test_truncated(void **state) {
        assert_int_equal(feed("", 0, 0, false), 0);
        assert_int_equal(http_parser_eof(&P), -EBADMSG);
        assert_string_equal(P.error, "connection closed without a response");
        assert_int_equal(feed("HTTP/1.1 200 OK\r\nContent-Le", 0, 0, false), 0);
        assert_int_equal(http_parser_eof(&P), -EBADMSG);
        assert_int_equal(feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, 0, false), 0);
        assert_true(http_parser_headers_done(&P));
        assert_int_equal(http_parser_eof(&P), -EBADMSG);
}

static int teardown(void **state) {
        http_parser_free(&P);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_content_length),
                cmocka_unit_test(test_chunked),
                cmocka_unit_test(test_close_delimited),
                cmocka_unit_test(test_no_body),
                cmocka_unit_test(test_max_body),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_truncated),
        };
        return cmocka_run_group_tests(tests, NULL, teardown);
}
