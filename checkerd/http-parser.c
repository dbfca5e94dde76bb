/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http-parser.h"

void http_parser_init(HttpParser *p, uint64_t max_body, bool head_request, HttpBodyFn body_fn, void *userdata) {
        *p = (HttpParser) {
                .state = HTTP_STATE_STATUS,
                .status = -1,
                .max_body = max_body,
                .head_request = head_request,
                .body_fn = body_fn,
                .userdata = userdata,
        };
}

void http_parser_free(HttpParser *p) {
        free(p->line);
        p->line = NULL;
        p->line_len = p->line_cap = 0;
}

static int fail(HttpParser *p, int err, const char *msg) {
        p->state = HTTP_STATE_ERROR;
        p->error = msg;
        return -err;
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static bool token_eq(const char *a, size_t n, const char *lit) {
        return strlen(lit) == n && strncasecmp(a, lit, n) == 0;
}

static void trim(const char **s, size_t *n) {
        while (*n > 0 && (**s == ' ' || **s == '\t')) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
                (*n)--;
}

/* "HTTP/1.1 200 OK" (the reason phrase may be empty or absent). */
static int parse_status_line(HttpParser *p, const char *l, size_t n) {
        if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ')
                return fail(p, EBADMSG, "malformed status line (expected \"HTTP/1.x NNN ...\")");
        if (!is_digit(l[9]) || !is_digit(l[10]) || !is_digit(l[11]) || l[9] == '0')
                return fail(p, EBADMSG, "malformed status code");
        if (n > 12 && l[12] != ' ')
                return fail(p, EBADMSG, "malformed status line (no space after the status code)");
        p->version_minor = l[7] - '0';
        p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
        return 0;
}

static int parse_header_line(HttpParser *p, const char *l, size_t n) {
        if (l[0] == ' ' || l[0] == '\t')
                return fail(p, EBADMSG, "obsolete header line folding");
        const char *colon = memchr(l, ':', n);
        if (!colon || colon == l)
                return fail(p, EBADMSG, "malformed header line (no name or colon)");
        size_t nlen = (size_t) (colon - l);
        for (size_t i = 0; i < nlen; i++)
                if (l[i] <= ' ' || l[i] >= 0x7f)
                        return fail(p, EBADMSG, "invalid character in header name");
        const char *v = colon + 1;
        size_t vlen = n - nlen - 1;
        trim(&v, &vlen);

        if (token_eq(l, nlen, "Content-Length")) {
                uint64_t cl = 0;
                if (vlen == 0 || vlen > 18)
                        return fail(p, EBADMSG, "invalid Content-Length");
                for (size_t i = 0; i < vlen; i++) {
                        if (!is_digit(v[i]))
                                return fail(p, EBADMSG, "invalid Content-Length");
                        cl = cl * 10 + (uint64_t) (v[i] - '0');
                }
                /* Two different lengths are a request-smuggling classic: refuse. */
                if (p->has_length && cl != p->content_length)
                        return fail(p, EBADMSG, "conflicting Content-Length headers");
                p->has_length = true;
                p->content_length = cl;
        } else if (token_eq(l, nlen, "Transfer-Encoding")) {
                /* Only the last coding matters for framing (RFC 9112 §6.3). */
                const char *last = v;
                size_t lastlen = vlen;
                for (const char *c = v; c < v + vlen; c++)
                        if (*c == ',') {
                                last = c + 1;
                                lastlen = (size_t) (v + vlen - last);
                        }
                trim(&last, &lastlen);
                p->chunked = token_eq(last, lastlen, "chunked");
                if (!p->chunked)
                        p->has_length = false; /* framed by close */
        }
        return 0;
}

static void headers_end(HttpParser *p) {
        bool no_body = p->head_request || p->status == 204 || p->status == 304;
        if (no_body)
                p->state = HTTP_STATE_DONE;
        else if (p->chunked) {
                p->has_length = false; /* Transfer-Encoding overrides Content-Length */
                p->state = HTTP_STATE_CHUNK_SIZE;
        } else if (p->has_length) {
                p->remaining = p->content_length;
                p->state = p->remaining == 0 ? HTTP_STATE_DONE : HTTP_STATE_BODY_LENGTH;
        } else
                p->state = HTTP_STATE_BODY_CLOSE;
}

static int parse_chunk_size(HttpParser *p, const char *l, size_t n) {
        uint64_t size = 0;
        size_t i = 0, digits = 0;
        for (; i < n; i++) {
                int h = hex_value(l[i]);
                if (h < 0)
                        break;
                if (++digits > 15)
                        return fail(p, EBADMSG, "chunk size too large");
                size = size * 16 + (uint64_t) h;
        }
        if (digits == 0)
                return fail(p, EBADMSG, "malformed chunk size");
        while (i < n && (l[i] == ' ' || l[i] == '\t'))
                i++;
        if (i < n && l[i] != ';')
                return fail(p, EBADMSG, "malformed chunk size");
        p->remaining = size;
        p->state = size == 0 ? HTTP_STATE_TRAILERS : HTTP_STATE_CHUNK_DATA;
        return 0;
}

/* A complete line (without its CR LF) for the current state. */
static int handle_line(HttpParser *p, const char *l, size_t n) {
        int r;

        switch (p->state) {
        case HTTP_STATE_STATUS:
                r = parse_status_line(p, l, n);
                if (r < 0)
                        return r;
                p->state = HTTP_STATE_HEADERS;
                return 0;
        case HTTP_STATE_HEADERS:
                if (n == 0) {
                        /* An interim 1xx response (100 Continue, 103 Early Hints): the real one follows. */
                        if (p->status >= 100 && p->status < 200 && p->status != 101) {
                                p->state = HTTP_STATE_STATUS;
                                p->has_length = p->chunked = false;
                                p->content_length = 0;
                                p->n_headers = 0;
                                return 0;
                        }
                        headers_end(p);
                        return 0;
                }
                if (++p->n_headers > HTTP_HEADERS_MAX)
                        return fail(p, E2BIG, "too many header lines");
                return parse_header_line(p, l, n);
        case HTTP_STATE_CHUNK_SIZE:
                return parse_chunk_size(p, l, n);
        case HTTP_STATE_CHUNK_DATA_END:
                if (n != 0)
                        return fail(p, EBADMSG, "chunk data longer than its size");
                p->state = HTTP_STATE_CHUNK_SIZE;
                return 0;
        case HTTP_STATE_TRAILERS:
                if (n == 0)
                        p->state = HTTP_STATE_DONE;
                else if (++p->n_headers > HTTP_HEADERS_MAX)
                        return fail(p, E2BIG, "too many trailer lines");
                return 0;
        default:
                return fail(p, EINVAL, "internal: line in a body state");
        }
}

static bool line_state(HttpParseState s) {
        return s == HTTP_STATE_STATUS || s == HTTP_STATE_HEADERS || s == HTTP_STATE_CHUNK_SIZE ||
               s == HTTP_STATE_CHUNK_DATA_END || s == HTTP_STATE_TRAILERS;
}

static int deliver_body(HttpParser *p, const uint8_t *data, size_t n) {
        if (p->max_body > 0 && (p->body_len + n > p->max_body || p->body_len + n < p->body_len))
                return fail(p, EFBIG, "body larger than max_body");
        p->body_len += n;
        if (p->body_fn && n > 0) {
                int r = p->body_fn(data, n, p->userdata);
                if (r < 0)
                        return fail(p, -r, "body rejected");
        }
        return 0;
}

int http_parser_feed(HttpParser *p, const uint8_t *data, size_t len) {
        size_t i = 0;
        int r;

        if (p->state == HTTP_STATE_ERROR)
                return -EINVAL;

        while (i < len && p->state != HTTP_STATE_DONE) {
                if (line_state(p->state)) {
                        const uint8_t *nl = memchr(data + i, '\n', len - i);
                        size_t take = nl ? (size_t) (nl - (data + i)) : len - i;
                        if (p->line_len + take > HTTP_LINE_MAX - 1)
                                return fail(p, E2BIG, "line too long");
                        if (p->line_len + take + 1 > p->line_cap) {
                                size_t cap = p->line_cap ? p->line_cap : 256;
                                while (cap < p->line_len + take + 1)
                                        cap *= 2;
                                cap = cap > HTTP_LINE_MAX ? HTTP_LINE_MAX : cap;
                                char *nl2 = realloc(p->line, cap);
                                if (!nl2)
                                        return fail(p, ENOMEM, "out of memory");
                                p->line = nl2;
                                p->line_cap = cap;
                        }
                        memcpy(p->line + p->line_len, data + i, take);
                        p->line_len += take;
                        i += take;
                        if (!nl)
                                break;
                        i++; /* the '\n' */
                        size_t n = p->line_len;
                        if (n > 0 && p->line[n - 1] == '\r')
                                n--;
                        p->line[n] = 0;
                        if (memchr(p->line, 0, n))
                                return fail(p, EBADMSG, p->state == HTTP_STATE_STATUS ? "malformed status line (NUL byte)"
                                                                                      : "NUL byte in a header line");
                        p->line_len = 0;
                        r = handle_line(p, p->line, n);
                        if (r < 0)
                                return r;
                        continue;
                }

                size_t avail = len - i;
                switch (p->state) {
                case HTTP_STATE_BODY_LENGTH:
                case HTTP_STATE_CHUNK_DATA: {
                        size_t n = avail < p->remaining ? avail : (size_t) p->remaining;
                        r = deliver_body(p, data + i, n);
                        if (r < 0)
                                return r;
                        i += n;
                        p->remaining -= n;
                        if (p->remaining == 0)
                                p->state = p->state == HTTP_STATE_BODY_LENGTH ? HTTP_STATE_DONE
                                                                              : HTTP_STATE_CHUNK_DATA_END;
                        break;
                }
                case HTTP_STATE_BODY_CLOSE:
                        r = deliver_body(p, data + i, avail);
                        if (r < 0)
                                return r;
                        i = len;
                        break;
                default:
                        return fail(p, EINVAL, "internal: unexpected state");
                }
        }
        return (int) (i > (size_t) INT32_MAX ? INT32_MAX : i);
}

int http_parser_eof(HttpParser *p) {
        switch (p->state) {
        case HTTP_STATE_DONE:
                return 0;
        case HTTP_STATE_BODY_CLOSE:
                p->state = HTTP_STATE_DONE;
                return 0;
        case HTTP_STATE_ERROR:
                return -EBADMSG;
        case HTTP_STATE_STATUS:
                if (p->status < 0 && p->line_len == 0)
                        return fail(p, EBADMSG, "connection closed without a response");
                return fail(p, EBADMSG, "connection closed in the status line");
        case HTTP_STATE_HEADERS:
                return fail(p, EBADMSG, "connection closed in the headers");
        default:
                return fail(p, EBADMSG, "connection closed before the end of the body");
        }
}
