/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The checker's small reply/value parsers against arbitrary bytes: SMTP
 * replies (fed as a growing stream, as the socket would), the udp payload
 * unescaper and the file-check weight parser. First byte selects the target. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check-parse.h"
#include "smtp-reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_smtp(const char *d, size_t n) {
        /* byte by byte, like a trickling server: the verdict on a prefix
         * must never be "complete" with a length past that prefix */
        for (size_t k = 1; k <= n; k++) {
                size_t used = 0;
                int r = smtp_reply_parse(d, k, &used);
                if (r > 0) {
                        assert(r >= 200 && r <= 599);
                        assert(used > 0 && used <= k && used <= SMTP_REPLY_MAX);
                        assert(d[used - 1] == '\n');
                        return;
                }
                if (r < 0) {
                        assert(r == -EBADMSG || r == -E2BIG);
                        return;
                }
        }
}

static void fuzz_payload(const char *d, size_t n) {
        char *s = strndup(d, n);
        uint8_t out[64];
        size_t len = 0;
        if (!s)
                return;
        int r = udp_payload_decode(s, out, sizeof out, &len);
        if (r == 0)
                assert(len <= sizeof out && len <= strlen(s));
        else
                assert(r == -EINVAL || r == -E2BIG);
        free(s);
}

static void fuzz_weight(const char *d, size_t n) {
        int w = 12345;
        int r = file_weight_parse(d, n, &w);
        if (r == 0)
                assert(w >= -65535 && w <= 65535);
        else
                assert(r == -EINVAL || r == -ERANGE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        const char *d = (const char *) data + 1;
        size_t n = size - 1;
        switch (data[0] % 3) {
        case 0:
                fuzz_smtp(d, n);
                break;
        case 1:
                fuzz_payload(d, n);
                break;
        default:
                fuzz_weight(d, n);
        }
        return 0;
}
