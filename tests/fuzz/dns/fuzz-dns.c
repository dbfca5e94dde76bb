/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The reply paths of checkerd's dns and udp checks against arbitrary bytes,
 * the way check-dns.c and check-udp.c take them:
 *   byte 0 even: a DNS reply as c-ares hands it to query_cb(): the RCODE is
 *     read from the header only when there are 12 bytes; the answer goes
 *     through ares_parse_a_reply()/ares_parse_aaaa_reply() into 16 slots
 *     (checkerd's expect_answer);
 *   byte 0 odd: a UDP reply matched against the kind of expect: regexes a
 *     config holds (pcre2, compiled as check-udp.c compiles them).
 * The parsing itself is c-ares' and pcre2's (Debian's builds, not
 * instrumented here: libFuzzer gets no coverage from inside them and ASan
 * does not check their reads; what is proved is that nothing checkerd feeds
 * them with hostile replies crashes or overruns its own buffers). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ares.h>
#include <assert.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_dns(const unsigned char *abuf, int alen) {
        if (alen < 12)
                return; /* query_cb(): "DNS query failed" */
        int rcode = abuf[3] & 0x0f;
        assert(rcode >= 0 && rcode <= 15);

        struct ares_addrttl a[16];
        int n = (int) (sizeof a / sizeof a[0]);
        if (ares_parse_a_reply(abuf, alen, NULL, a, &n) == ARES_SUCCESS)
                assert(n >= 0 && n <= 16);

        struct ares_addr6ttl a6[16];
        n = (int) (sizeof a6 / sizeof a6[0]);
        if (ares_parse_aaaa_reply(abuf, alen, NULL, a6, &n) == ARES_SUCCESS)
                assert(n >= 0 && n <= 16);

        /* with a hostent too (other callers of the same parser) */
        struct hostent *h = NULL;
        if (ares_parse_a_reply(abuf, alen, &h, NULL, NULL) == ARES_SUCCESS && h)
                ares_free_hostent(h);
}

static pcre2_code *patterns[4];

static void fuzz_udp(const uint8_t *reply, size_t len) {
        static const char *const src[] = { "^OK", "pong\\r?\\n$", "^[A-Z]{3} [0-9]+", "(ready|up).*\\x00" };
        for (size_t i = 0; i < sizeof src / sizeof src[0]; i++) {
                if (!patterns[i]) {
                        int code;
                        PCRE2_SIZE off;
                        patterns[i] = pcre2_compile((PCRE2_SPTR) src[i], PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
                        assert(patterns[i]);
                }
                pcre2_match_data *md = pcre2_match_data_create_from_pattern(patterns[i], NULL);
                assert(md);
                int r = pcre2_match(patterns[i], reply, len, 0, 0, md, NULL);
                if (r > 0) { /* a match lies inside the reply */
                        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                        assert(ov[0] <= ov[1] && ov[1] <= len);
                }
                pcre2_match_data_free(md);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1 || size > 65536 + 1)
                return 0;
        /* a copy of exactly the reply's size, so an overread is past the allocation */
        size_t n = size - 1;
        unsigned char *buf = malloc(n ? n : 1);
        if (!buf)
                return 0;
        memcpy(buf, data + 1, n);
        if (data[0] & 1)
                fuzz_udp(buf, n);
        else
                fuzz_dns(buf, (int) n);
        free(buf);
        return 0;
}
