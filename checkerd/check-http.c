/* SPDX-License-Identifier: GPL-2.0-or-later */
/* http / https: one request per attempt over a nonblocking socket (OpenSSL
 * nonblocking handshake for https), the response through http-parser.c, then
 * status list, MD5 digest (EVP) and PCRE2 regex on the body. Memory per
 * attempt is bounded by max_body: the parser refuses more. When neither a
 * digest nor a regex is configured the body is not read at all. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "check-types.h"
#include "http-parser.h"
#include "tls-dlopen.h"

#define READ_CHUNK 16384u

/* Per probe, made once: TLS context and compiled regex. */
typedef struct HttpSetup {
        SSL_CTX *ctx;
        pcre2_code *re;
        char *req;            /* the request: the same for every attempt (its
                               * inputs are part of the probe's key) */
} HttpSetup;

typedef enum HttpPhase {
        PHASE_CONNECT,
        PHASE_HANDSHAKE,
        PHASE_SEND,
        PHASE_RECV,
} HttpPhase;

typedef struct HttpAttempt {
        int fd;
        ProbeIo *io;
        SSL *ssl;
        HttpPhase phase;
        const char *req;
        char *req_owned;      /* when the probe has no prebuilt request */
        size_t req_len, req_off;
        EVP_MD_CTX *md;
        uint8_t *body;        /* kept only for the regex, ≤ max_body */
        size_t body_len;
        HttpParser parser;
} HttpAttempt;

static bool need_body(const CheckConf *c) {
        return c->digest || c->regex;
}

static void http_cancel(Probe *p) {
        HttpAttempt *a = TAKE_PTR(p->data);
        if (!a)
                return;
        if (a->ssl)
                sym_SSL_free(a->ssl); /* no close_notify: the attempt is over either way */
        a->io = probe_io_close(a->io, &a->fd);
        if (a->md)
                sym_EVP_MD_CTX_free(a->md);
        http_parser_free(&a->parser);
        free(a->body);
        free(a->req_owned);
        free(a);
}

static void http_finish(Probe *p, CheckResultKind r, const char *fmt, ...) _printf_(3, 4);
static void http_finish(Probe *p, CheckResultKind r, const char *fmt, ...) {
        char detail[CHECK_DETAIL_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        http_cancel(p);
        probe_attempt_done(p, r, p->conf->weight, detail);
}

static const char *ssl_error_string(char *buf, size_t len) {
        unsigned long e = sym_ERR_get_error();
        if (e == 0)
                return "unknown TLS error";
        sym_ERR_error_string_n(e, buf, len);
        sym_ERR_clear_error();
        return buf;
}

static int body_cb(const uint8_t *d, size_t n, void *userdata) {
        Probe *p = userdata;
        HttpAttempt *a = p->data;
        if (a->md && sym_EVP_DigestUpdate(a->md, d, n) != 1)
                return -EIO;
        if (p->conf->regex) {
                /* bounded by the parser's max_body check before we get here */
                uint8_t *nb = realloc(a->body, a->body_len + n);
                if (!nb)
                        return -ENOMEM;
                memcpy(nb + a->body_len, d, n);
                a->body = nb;
                a->body_len += n;
        }
        return 0;
}

static bool status_ok(const CheckConf *c, int status) {
        if (c->n_status == 0)
                return status >= 200 && status <= 299;
        for (size_t i = 0; i < c->n_status; i++)
                if (status >= c->status[i].lo && status <= c->status[i].hi)
                        return true;
        return false;
}

/* Headers are in; decide what we can. Returns true when the attempt ended. */
static bool evaluate_headers(Probe *p) {
        HttpAttempt *a = p->data;
        if (!status_ok(p->conf, a->parser.status)) {
                http_finish(p, CHECK_RESULT_DOWN, "HTTP status %d", a->parser.status);
                return true;
        }
        if (!need_body(p->conf)) {
                http_finish(p, CHECK_RESULT_UP, "HTTP status %d", a->parser.status);
                return true;
        }
        return false;
}

static void evaluate_body(Probe *p) {
        HttpAttempt *a = p->data;
        const CheckConf *c = p->conf;
        HttpSetup *s = p->setup_data;

        if (c->digest) {
                unsigned char md[EVP_MAX_MD_SIZE];
                unsigned mdlen = 0;
                char hex[2 * EVP_MAX_MD_SIZE + 1];
                if (sym_EVP_DigestFinal_ex(a->md, md, &mdlen) != 1)
                        return http_finish(p, CHECK_RESULT_ERROR, "MD5 digest failed");
                for (unsigned i = 0; i < mdlen; i++)
                        snprintf(hex + 2 * i, 3, "%02x", md[i]);
                if (strcasecmp(hex, c->digest) != 0)
                        return http_finish(p, CHECK_RESULT_DOWN, "body digest %s, expected %s", hex, c->digest);
        }
        if (c->regex && s && s->re) {
                pcre2_match_data *md = pcre2_match_data_create_from_pattern(s->re, NULL);
                if (!md)
                        return http_finish(p, CHECK_RESULT_ERROR, "out of memory for the regex match");
                int r = pcre2_match(s->re, a->body ? a->body : (const uint8_t *) "", a->body_len, 0, 0, md, NULL);
                pcre2_match_data_free(md);
                if (r < 0)
                        return http_finish(p, CHECK_RESULT_DOWN, "body does not match the regex");
        }
        http_finish(p, CHECK_RESULT_UP, "HTTP status %d, body ok", a->parser.status);
}

/* Feeds received bytes (or EOF when n == 0). Returns true when the attempt ended. */
static bool consume(Probe *p, const uint8_t *d, size_t n) {
        HttpAttempt *a = p->data;
        bool had_headers = http_parser_headers_done(&a->parser);
        int r = n > 0 ? http_parser_feed(&a->parser, d, n) : http_parser_eof(&a->parser);

        if (r < 0) {
                http_finish(p, CHECK_RESULT_DOWN, "bad HTTP response: %s", strna(a->parser.error));
                return true;
        }
        if (!had_headers && http_parser_headers_done(&a->parser) && evaluate_headers(p))
                return true;
        if (http_parser_done(&a->parser)) {
                evaluate_body(p);
                return true;
        }
        return false;
}

static int update_events(HttpAttempt *a, uint32_t events) {
        return probe_io_set_events(a->io, events);
}

static void step(Probe *p, uint32_t revents);

static void on_io(ProbeIo *s, int fd, uint32_t revents, void *userdata) {
        step(userdata, revents);
}

static void step(Probe *p, uint32_t revents) {
        HttpAttempt *a = p->data;
        char ebuf[256];
        int r;

        if (a->phase == PHASE_CONNECT) {
                /* writable and no error: connected, no SO_ERROR to ask for */
                r = probe_connect_result(a->fd, revents);
                if (r < 0)
                        return http_finish(p, CHECK_RESULT_DOWN, "connect: %s", strerror(-r));
                a->phase = a->ssl ? PHASE_HANDSHAKE : PHASE_SEND;
        }

        if (a->phase == PHASE_HANDSHAKE) {
                sym_ERR_clear_error();
                r = sym_SSL_connect(a->ssl);
                if (r != 1) {
                        int e = sym_SSL_get_error(a->ssl, r);
                        if (e == SSL_ERROR_WANT_READ) {
                                (void) update_events(a, EPOLLIN);
                                return;
                        }
                        if (e == SSL_ERROR_WANT_WRITE) {
                                (void) update_events(a, EPOLLOUT);
                                return;
                        }
                        long v = sym_SSL_get_verify_result(a->ssl);
                        if (v != X509_V_OK)
                                return http_finish(p, CHECK_RESULT_DOWN, "TLS handshake: certificate verify failed: %s",
                                                   sym_X509_verify_cert_error_string(v));
                        return http_finish(p, CHECK_RESULT_DOWN, "TLS handshake: %s",
                                           e == SSL_ERROR_SYSCALL && sym_ERR_peek_error() == 0 ? "connection closed"
                                                                                           : ssl_error_string(ebuf, sizeof ebuf));
                }
                a->phase = PHASE_SEND;
        }

        if (a->phase == PHASE_SEND) {
                while (a->req_off < a->req_len) {
                        ssize_t n;
                        if (a->ssl) {
                                sym_ERR_clear_error();
                                int w = sym_SSL_write(a->ssl, a->req + a->req_off, (int) (a->req_len - a->req_off));
                                if (w <= 0) {
                                        int e = sym_SSL_get_error(a->ssl, w);
                                        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                                                (void) update_events(a, e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
                                                return;
                                        }
                                        return http_finish(p, CHECK_RESULT_DOWN, "TLS write: %s", ssl_error_string(ebuf, sizeof ebuf));
                                }
                                n = w;
                        } else {
                                n = send(a->fd, a->req + a->req_off, a->req_len - a->req_off, MSG_NOSIGNAL);
                                if (n < 0) {
                                        if (errno == EAGAIN || errno == EINTR) {
                                                (void) update_events(a, EPOLLIN | EPOLLOUT);
                                                return;
                                        }
                                        return http_finish(p, CHECK_RESULT_DOWN, "send: %s", strerror(errno));
                                }
                        }
                        a->req_off += (size_t) n;
                }
                a->phase = PHASE_RECV;
                if (a->ssl)
                        (void) update_events(a, EPOLLIN);
                /* plain: registered for EPOLLIN|EPOLLOUT from the start (one
                 * epoll_ctl less per run). Nothing to read in this wakeup:
                 * the response is later and brings its own EPOLLIN edge, so
                 * no recv() that would only say EAGAIN. */
                else if (!(revents & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
                        return;
        }

        /* PHASE_RECV: read at most a few chunks per wakeup so one fast,
         * endless sender cannot starve the other checks. */
        uint8_t buf[READ_CHUNK];
        for (int i = 0; i < 4; i++) {
                ssize_t n;
                if (a->ssl) {
                        sym_ERR_clear_error();
                        int rd = sym_SSL_read(a->ssl, buf, sizeof buf);
                        if (rd <= 0) {
                                int e = sym_SSL_get_error(a->ssl, rd);
                                if (e == SSL_ERROR_WANT_READ)
                                        return (void) update_events(a, EPOLLIN);
                                if (e == SSL_ERROR_WANT_WRITE)
                                        return (void) update_events(a, EPOLLOUT);
                                if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && sym_ERR_peek_error() == 0)) {
                                        (void) consume(p, NULL, 0); /* EOF (with or without close_notify) */
                                        return;
                                }
                                return http_finish(p, CHECK_RESULT_DOWN, "TLS read: %s", ssl_error_string(ebuf, sizeof ebuf));
                        }
                        n = rd;
                } else {
                        n = recv(a->fd, buf, sizeof buf, 0);
                        if (n < 0) {
                                if (errno == EAGAIN || errno == EINTR)
                                        return;
                                return http_finish(p, CHECK_RESULT_DOWN, "recv: %s", strerror(errno));
                        }
                }
                if (consume(p, buf, (size_t) n) || n == 0)
                        return;
        }
        /* Not drained yet: re-arm (edge-triggered) and let other probes run. */
        (void) update_events(a, EPOLLIN);
}

static char *build_request(Probe *p) {
        const CheckConf *c = p->conf;
        char *buf = NULL;
        size_t size = 0;
        char host[ADDR_STR_MAX + 8];
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return NULL;

        if (c->virtualhost)
                snprintf(host, sizeof host, "%s", c->virtualhost);
        else
                check_target_to_string(&p->target, host, sizeof host);

        fprintf(f, "%s %s HTTP/1.%d\r\nHost: %s\r\nUser-Agent: vigil-checkerd/" VIGIL_VERSION "\r\n"
                   "Accept: */*\r\nConnection: close\r\n",
                c->method ?: "GET", c->path ?: "/", c->http_version == 10 ? 0 : 1, host);
        STRV_FOREACH(h, c->headers)
                fprintf(f, "%s\r\n", *h);
        fputs("\r\n", f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static int http_start(Probe *p) {
        const CheckConf *c = p->conf;
        HttpSetup *s = p->setup_data;
        HttpAttempt *a;
        int fd = -EBADF, r;

        if (c->type == CHECK_HTTPS && (!s || !s->ctx))
                return -ENOMEM; /* setup failed (logged): cannot run */

        a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        a->fd = -EBADF;
        p->data = a;
        http_parser_init(&a->parser, c->max_body ?: (uint64_t) 1 << 20, c->method && streq(c->method, "HEAD"), body_cb, p);
        if (s && s->req)
                a->req = s->req;
        else {
                a->req = a->req_owned = build_request(p);
                if (!a->req) {
                        http_cancel(p);
                        return -ENOMEM;
                }
        }
        a->req_len = strlen(a->req);
        if (c->digest) {
                a->md = sym_EVP_MD_CTX_new();
                if (!a->md || sym_EVP_DigestInit_ex(a->md, sym_EVP_md5(), NULL) != 1) {
                        http_cancel(p);
                        return -ENOMEM;
                }
        }

        r = probe_socket_connect(p, SOCK_STREAM, 0, &fd);
        if (r < 0) {
                http_cancel(p);
                return probe_connect_failed(p, r);
        }
        a->fd = fd;
        a->phase = PHASE_CONNECT;

        if (c->type == CHECK_HTTPS) {
                a->ssl = sym_SSL_new(s->ctx);
                if (!a->ssl || sym_SSL_set_fd(a->ssl, fd) != 1) {
                        http_cancel(p);
                        return -ENOMEM;
                }
                const char *sni = c->sni ?: c->virtualhost;
                if (sni && sym_SSL_ctrl(a->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, (void *) sni) != 1) {
                        http_cancel(p);
                        return -EINVAL;
                }
                if (c->tls_verify) {
                        /* the name to verify: SNI/virtualhost, else the address */
                        char ip[ADDR_STR_MAX];
                        if (sni)
                                r = sym_SSL_set1_host(a->ssl, sni);
                        else
                                r = sym_X509_VERIFY_PARAM_set1_ip_asc(sym_SSL_get0_param(a->ssl),
                                                                  format_address(ip, sizeof ip, p->target.address.family,
                                                                                 &p->target.address.addr));
                        if (r != 1) {
                                http_cancel(p);
                                return -ENOMEM;
                        }
                }
        }

        r = probe_io_add(p->checker->loop, &a->io, fd, a->ssl ? EPOLLOUT : EPOLLIN | EPOLLOUT, on_io, p);
        if (r < 0) {
                http_cancel(p);
                return r;
        }
        return 0;
}

static int compile_regex(const char *pattern, pcre2_code **ret, char *err, size_t errlen) {
        int code;
        PCRE2_SIZE off;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
        if (!re) {
                PCRE2_UCHAR msg[256];
                pcre2_get_error_message(code, msg, sizeof msg);
                snprintf(err, errlen, "invalid regex at offset %zu: %s", (size_t) off, (const char *) msg);
                return -EINVAL;
        }
        if (ret)
                *ret = re;
        else
                pcre2_code_free(re);
        return 0;
}

static int make_ctx(const CheckConf *c, SSL_CTX **ret, char *err, size_t errlen) {
        char ebuf[256];
        SSL_CTX *ctx = sym_SSL_CTX_new(sym_TLS_client_method());
        if (!ctx) {
                snprintf(err, errlen, "cannot create a TLS context");
                return -ENOMEM;
        }
        /* No downgrade below TLS 1.2, whatever the backend offers. */
        sym_SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
        sym_SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, NULL);
        if (c->tls_verify) {
                sym_SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
                if (c->ca_file ? sym_SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL) != 1
                               : sym_SSL_CTX_set_default_verify_paths(ctx) != 1) {
                        snprintf(err, errlen, "cannot load CA file %s: %s", strna(c->ca_file), ssl_error_string(ebuf, sizeof ebuf));
                        sym_SSL_CTX_free(ctx);
                        return -EINVAL;
                }
        } else
                sym_SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        if (c->cert_file) {
                if (sym_SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) != 1 ||
                    sym_SSL_CTX_use_PrivateKey_file(ctx, c->key_file ?: c->cert_file, SSL_FILETYPE_PEM) != 1 ||
                    sym_SSL_CTX_check_private_key(ctx) != 1) {
                        snprintf(err, errlen, "cannot load client certificate %s / key %s: %s", c->cert_file,
                                 c->key_file ?: c->cert_file, ssl_error_string(ebuf, sizeof ebuf));
                        sym_SSL_CTX_free(ctx);
                        return -EINVAL;
                }
        }
        *ret = ctx;
        return 0;
}

static bool need_openssl(const CheckConf *c) {
        return c->type == CHECK_HTTPS || c->digest;
}

static int http_verify(const CheckConf *c, const CheckTarget *t, char *err, size_t errlen) {
        int r;
        if (need_openssl(c) && (r = dlopen_openssl(err, errlen)) < 0)
                return r;
        if (c->regex && (r = compile_regex(c->regex, NULL, err, errlen)) < 0)
                return r;
        if (c->digest) {
                size_t n = strlen(c->digest);
                if (n != 32 || strspn(c->digest, "0123456789abcdefABCDEF") != n) {
                        snprintf(err, errlen, "digest must be 32 hex digits (MD5)");
                        return -EINVAL;
                }
        }
        if (c->type == CHECK_HTTPS) {
                SSL_CTX *ctx = NULL;
                r = make_ctx(c, &ctx, err, errlen);
                if (r < 0)
                        return r;
                sym_SSL_CTX_free(ctx);
        }
        return 0;
}

static int http_setup(Probe *p) {
        char err[512] = "";
        HttpSetup *s = calloc(1, sizeof *s);
        int r;
        if (!s)
                return -ENOMEM;
        p->setup_data = s;
        s->req = build_request(p); /* NULL (OOM): each attempt builds its own */
        if (need_openssl(p->conf) && (r = dlopen_openssl(err, sizeof err)) < 0)
                goto fail; /* verify loaded it already: cannot happen */
        if (p->conf->regex && (r = compile_regex(p->conf->regex, &s->re, err, sizeof err)) < 0)
                goto fail;
        if (p->conf->type == CHECK_HTTPS && (r = make_ctx(p->conf, &s->ctx, err, sizeof err)) < 0)
                goto fail;
        return 0;
fail:
        probe_set_error(p, err);
        return r;
}

static void http_teardown(Probe *p) {
        HttpSetup *s = TAKE_PTR(p->setup_data);
        if (!s)
                return;
        if (s->ctx)
                sym_SSL_CTX_free(s->ctx);
        pcre2_code_free(s->re);
        free(s->req);
        free(s);
}

const ProbeOps probe_ops_http = {
        .start = http_start,
        .cancel = http_cancel,
        .setup = http_setup,
        .teardown = http_teardown,
        .verify = http_verify,
};
