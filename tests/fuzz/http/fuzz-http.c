/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HTTP response parser against arbitrary bytes. The first byte picks the
 * split pattern (the parser must give the same verdict however the socket
 * slices the stream), byte 2 whether it answers a HEAD. Invariants checked:
 * the body never exceeds max_body, and one-shot and byte-by-byte agree. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "http-parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Sink {
        uint64_t n;
        uint32_t sum;
} Sink;

static int body(const uint8_t *d, size_t n, void *userdata) {
        Sink *s = userdata;
        s->n += n;
        for (size_t i = 0; i < n; i++)
                s->sum = s->sum * 31 + d[i];
        return 0;
}

static int run(const uint8_t *data, size_t size, size_t step, bool head, Sink *s, int *ret_status) {
        HttpParser p;
        const uint64_t max_body = 4096;
        int r = 0;

        http_parser_init(&p, max_body, head, body, s);
        for (size_t off = 0; off < size;) {
                size_t n = step == 0 ? size - off : (size - off < step ? size - off : step);
                r = http_parser_feed(&p, data + off, n);
                if (r < 0)
                        break;
                assert((size_t) r <= n);
                off += n;
                if (http_parser_done(&p))
                        break;
                r = 0;
        }
        if (r >= 0)
                r = http_parser_eof(&p);
        assert(p.body_len <= max_body);
        assert(s->n == p.body_len);
        assert(p.line_cap <= HTTP_LINE_MAX);
        *ret_status = p.status;
        http_parser_free(&p);
        return r < 0 ? r : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 2)
                return 0;
        size_t step = data[0] % 7; /* 0 = all at once */
        bool head = data[1] & 1;
        data += 2;
        size -= 2;

        Sink a = {}, b = {};
        int sa, sb;
        int ra = run(data, size, 0, head, &a, &sa);
        int rb = run(data, size, step == 0 ? 1 : step, head, &b, &sb);
        assert(ra == rb);
        assert(sa == sb);
        if (ra == 0)
                assert(a.n == b.n && a.sum == b.sum);
        return 0;
}
