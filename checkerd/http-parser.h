/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* An incremental HTTP/1.x response parser for health checks. Pure code, no
 * I/O: the caller feeds whatever bytes the socket gave it. Every limit is
 * fixed up front so a hostile backend (garbage, endless headers, an endless
 * body, a trickle) can never make it allocate more than the configured body
 * limit plus one header line. Fuzzed by tests/fuzz/http. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_LINE_MAX 8192u        /* status line, one header line, one chunk-size line */
#define HTTP_HEADERS_MAX 100u      /* header lines */

typedef enum HttpParseState {
        HTTP_STATE_STATUS,
        HTTP_STATE_HEADERS,
        HTTP_STATE_BODY_LENGTH,    /* Content-Length */
        HTTP_STATE_BODY_CLOSE,     /* read until the peer closes */
        HTTP_STATE_CHUNK_SIZE,
        HTTP_STATE_CHUNK_DATA,
        HTTP_STATE_CHUNK_DATA_END, /* CRLF after a chunk */
        HTTP_STATE_TRAILERS,
        HTTP_STATE_DONE,
        HTTP_STATE_ERROR,
} HttpParseState;

/* Called for each piece of body, in order. Return <0 to abort parsing (that
 * value is returned from http_parser_feed()). */
typedef int (*HttpBodyFn)(const uint8_t *data, size_t len, void *userdata);

typedef struct HttpParser {
        HttpParseState state;
        int version_minor;         /* 0 or 1 */
        int status;                /* 100..999 */
        bool head_request;         /* response to HEAD: no body */
        bool chunked;
        bool has_length;
        uint64_t content_length;
        uint64_t remaining;        /* of Content-Length or of the current chunk */
        uint64_t body_len;         /* body bytes delivered so far */
        uint64_t max_body;         /* 0 = unlimited; more is an error (-EFBIG) */
        unsigned n_headers;
        char *line;                /* grown on demand up to HTTP_LINE_MAX: an idle or
                                    * in-flight attempt costs a few hundred bytes, not 8 KiB */
        size_t line_len, line_cap;
        const char *error;         /* static text when state == ERROR */
        HttpBodyFn body_fn;
        void *userdata;
} HttpParser;

void http_parser_init(HttpParser *p, uint64_t max_body, bool head_request, HttpBodyFn body_fn, void *userdata);
/* Frees the line buffer; the parser may be initialized again afterwards. */
void http_parser_free(HttpParser *p);

/* Feed bytes. Returns the number of bytes consumed (less than len only when
 * the response ended early: trailing bytes are ignored), or a negative errno
 * with p->error set: -EBADMSG malformed, -EFBIG body over max_body, -E2BIG a
 * line or the header count over its limit, -ENOMEM, or the body callback's error. */
int http_parser_feed(HttpParser *p, const uint8_t *data, size_t len);

/* The peer closed the connection. Returns 0 when the response is complete
 * (body delimited by close, or already done), -EBADMSG when truncated. */
int http_parser_eof(HttpParser *p);

/* True once the status line and every header have been parsed. */
static inline bool http_parser_headers_done(const HttpParser *p) {
        return p->state > HTTP_STATE_HEADERS && p->state != HTTP_STATE_ERROR;
}
static inline bool http_parser_done(const HttpParser *p) {
        return p->state == HTTP_STATE_DONE;
}
