/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keepalived LVS blocks → vigil: virtual_server (and virtual_server_group,
 * expanded), real_server, and the health checkers as inline checks. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr-util.h"
#include "kconf-map-internal.h"
#include "kconf-yaml.h"

#define MAX_GROUP_EXPANSION 256 /* addresses from one virtual_server_group range */

static const char *const check_order[] = {
        "type", "address", "port", "bind_address", "bind_interface", "fwmark", "interval", "connect_timeout",
        "timeout", "retry", "delay_before_retry", "warmup", "initial_state", "method", "path", "virtualhost",
        "http_version", "status", "digest", "regex", "headers", "tls_verify", "sni", "ca_file", "cert_file", "key_file",
        "helo_name", "query_name", "query_type", "payload", "require_reply", "expect", "command", "shell", "dynamic",
        "default_weight", NULL
};

typedef struct RsNotify {
        char *rs;      /* "addr:port" */
        uint16_t port; /* 0 = the service's */
        Fields f;
} RsNotify;

typedef struct Vs {
        Fields f;
        Fields chk;               /* checker defaults given at virtual server level */
        bool alpha;
        usec_t delay_loop;
        char *sched;
        char *tunnel;             /* "{type: gue, port: 6080}" from lvs_method TUN type ... */
        FILE *rs_f;               /* rendered real_servers list (a stream: 10^5 of them must stay linear) */
        char *rs;
        size_t rs_len;
        size_t n_rs;
        RsNotify *notify;
        size_t n_notify;
} Vs;

static void vs_done(Vs *vs) {
        fields_done(&vs->f);
        fields_done(&vs->chk);
        free(vs->sched);
        free(vs->tunnel);
        if (vs->rs_f)
                fclose(vs->rs_f);
        free(vs->rs);
        for (size_t i = 0; i < vs->n_notify; i++) {
                free(vs->notify[i].rs);
                fields_done(&vs->notify[i].f);
        }
        free(vs->notify);
}

static int appendf(char **s, const char *fmt, ...) _printf_(2, 3);
static int appendf(char **s, const char *fmt, ...) {
        _cleanup_free_ char *add = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&add, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        char *n = NULL;
        if (asprintf(&n, "%s%s", strempty(*s), add) < 0)
                return -ENOMEM;
        free(*s);
        *s = n;
        return 0;
}

/* lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum] */
static bool parse_method(KcMap *m, KcNode *n, const char **ret_fwd, char **ret_tunnel) {
        const char *w = n->args[0];
        *ret_tunnel = NULL;
        if (strcasecmp(w, "NAT") == 0)
                *ret_fwd = "nat";
        else if (strcasecmp(w, "DR") == 0)
                *ret_fwd = "dr";
        else if (strcasecmp(w, "TUN") == 0)
                *ret_fwd = "tun";
        else {
                map_error(m, n, "%s: expected NAT, DR or TUN, got '%s'", n->keyword, w);
                return false;
        }
        for (size_t a = 1; a < n->n_args; a++) {
                const char *o = n->args[a];
                if (streq(o, "type") && a + 1 < n->n_args) {
                        const char *t = n->args[++a];
                        if (!streq(t, "ipip") && !streq(t, "gue") && !streq(t, "gre")) {
                                map_error(m, n, "%s: unknown tunnel type '%s' (ipip, gue, gre)", n->keyword, t);
                                return false;
                        }
                        free(*ret_tunnel);
                        if (asprintf(ret_tunnel, "type: %s", t) < 0)
                                return false;
                } else if (streq(o, "port") && a + 1 < n->n_args) {
                        uint16_t p;
                        if (!map_port(m, n, n->args[++a], &p))
                                return false;
                        if (appendf(ret_tunnel, ", port: %u", p) < 0)
                                return false;
                } else if (streq(o, "nocsum") || streq(o, "csum") || streq(o, "remcsum"))
                        map_warn(m, n, "%s: tunnel checksum option '%s' not supported, the kernel default is used",
                                 n->keyword, o);
                else {
                        map_error(m, n, "%s: unknown option '%s'", n->keyword, o);
                        return false;
                }
        }
        if (*ret_tunnel) {
                char *t = NULL;
                if (asprintf(&t, "{%s}", *ret_tunnel) < 0)
                        return false;
                free(*ret_tunnel);
                *ret_tunnel = t;
        }
        return true;
}

/* Options valid in every checker and at real/virtual server level. Returns
 * true when the keyword was one of them. */
static bool common_check_option(KcMap *m, KcNode *b, size_t i, Fields *chk, bool *alpha) {
        KcNode *n = b->children[i];
        const char *k = n->keyword;
        usec_t u;
        int64_t v;

        if (streq(k, "connect_timeout") || streq(k, "delay_before_retry") || streq(k, "warmup") ||
            streq(k, "delay_loop")) {
                if (map_args(m, b, i, 1, 1) && map_timer(m, n, n->args[0], &u)) {
                        if (u == 0 && !streq(k, "warmup") && !streq(k, "delay_before_retry")) {
                                map_error(m, n, "'%s' must be more than 0", k);
                                return true;
                        }
                        if (fset_usec(chk, streq(k, "delay_loop") ? "interval" : k, u) < 0)
                                map_oom(m);
                }
        } else if (streq(k, "retry") || streq(k, "nb_get_retry")) {
                if (map_args(m, b, i, 1, 1) && map_int(m, n, n->args[0], 0, 255, &v) &&
                    fset(chk, "retry", "%lld", (long long) v) < 0)
                        map_oom(m);
        } else if (streq(k, "alpha")) {
                bool on;
                if (map_args(m, b, i, 0, 1) && map_bool(m, n, n->n_args ? n->args[0] : NULL, &on))
                        *alpha = on;
        } else if (streq(k, "virtualhost")) {
                if (map_args(m, b, i, 1, 1) && fset_str(chk, "virtualhost", n->args[0]) < 0)
                        map_oom(m);
        } else if (streq(k, "log_all_failures")) {
                map_noop(m, n, "vigil-checkerd logs every state change with its reason");
        } else
                return false;
        return true;
}

static char *hex_escape(KcMap *m, KcNode *n, char *const *words, size_t nw, bool allow_x, bool *has_x) {
        _cleanup_free_ char *digits = NULL, *out = NULL;
        /* keepalived's HEX_STR is free format: "Ab12f 3 456" = AB 12 0F 03 45 06; each word pads to bytes */
        for (size_t w = 0; w < nw; w++) {
                const char *s = words[w];
                size_t len = strlen(s);
                for (size_t c = 0; c < len; c++)
                        if (!isxdigit((unsigned char) s[c]) && !(allow_x && (s[c] == 'x' || s[c] == 'X'))) {
                                map_error(m, n, "%s: invalid hex string '%s'", n->keyword, s);
                                return NULL;
                        }
                /* an odd digit count: the last digit is a byte of its own ("f" = 0F) */
                if (len % 2 ? appendf(&digits, "%.*s0%c", (int) len - 1, s, s[len - 1]) < 0 :
                              appendf(&digits, "%s", s) < 0)
                        return NULL;
        }
        for (size_t c = 0; digits && digits[c]; c += 2) {
                if (digits[c] == 'x' || digits[c] == 'X' || digits[c + 1] == 'x' || digits[c + 1] == 'X') {
                        *has_x = true;
                        if (appendf(&out, ".") < 0)
                                return NULL;
                } else if (appendf(&out, "\\x%c%c", tolower((unsigned char) digits[c]), tolower((unsigned char) digits[c + 1])) < 0)
                        return NULL;
        }
        return out ? TAKE_PTR(out) : strdup("");
}

static const struct {
        const char *kw;
        const char *type;
} checker_types[] = {
        { "HTTP_GET", "http" }, { "SSL_GET", "https" }, { "TCP_CHECK", "tcp" },  { "SMTP_CHECK", "smtp" },
        { "DNS_CHECK", "dns" }, { "UDP_CHECK", "udp" }, { "PING_CHECK", "ping" }, { "MISC_CHECK", "exec" },
        { "FILE_CHECK", "file" },
};

static const char *checker_type(const char *kw) {
        for (size_t i = 0; i < ELEMENTSOF(checker_types); i++)
                if (streq(checker_types[i].kw, kw))
                        return checker_types[i].type;
        return NULL;
}

static void map_url(KcMap *m, KcNode *u, Fields *chk) {
        for (size_t i = 0; i < u->n_children; i++) {
                KcNode *n = u->children[i];
                const char *k = n->keyword;
                if (streq(k, "path")) {
                        if (map_args(m, u, i, 1, 1) && fset_str(chk, "path", n->args[0]) < 0)
                                map_oom(m);
                } else if (streq(k, "digest")) {
                        if (map_args(m, u, i, 1, 1) && fset_str(chk, "digest", n->args[0]) < 0)
                                map_oom(m);
                } else if (streq(k, "status_code")) {
                        if (!map_args(m, u, i, 1, SIZE_MAX))
                                continue;
                        for (size_t a = 0; a < n->n_args; a++) {
                                unsigned lo, hi;
                                int e = 0;
                                if (!(sscanf(n->args[a], "%3u-%3u%n", &lo, &hi, &e) == 2 && (size_t) e == strlen(n->args[a])) &&
                                    !(sscanf(n->args[a], "%3u%n", &lo, &e) == 1 && (size_t) e == strlen(n->args[a]))) {
                                        map_error(m, n, "status_code: invalid status '%s'", n->args[a]);
                                        goto next;
                                }
                        }
                        if (fset_strv(chk, "status", n->args) < 0)
                                map_oom(m);
                } else if (streq(k, "virtualhost")) {
                        if (map_args(m, u, i, 1, 1) && fset_str(chk, "virtualhost", n->args[0]) < 0)
                                map_oom(m);
                } else if (streq(k, "regex")) {
                        if (map_args(m, u, i, 1, 1) && fset_str(chk, "regex", n->args[0]) < 0)
                                map_oom(m);
                } else if (streq(k, "regex_no_match") || streq(k, "regex_options") || streq(k, "regex_stack") ||
                           streq(k, "regex_min_offset") || streq(k, "regex_max_offset")) {
                        map_unsupported(m, n, "only a plain regex that must match is supported");
                } else
                        map_unknown(m, n);
        next:;
        }
}

static void host_block(KcMap *m, KcNode *h, Fields *chk) {
        for (size_t i = 0; i < h->n_children; i++) {
                KcNode *n = h->children[i];
                const char *k = n->keyword;
                uint16_t p;
                if (streq(k, "connect_ip") || streq(k, "bindto")) {
                        if (map_args(m, h, i, 1, 1) && map_address(m, n, n->args[0], false, NULL) &&
                            fset_str(chk, streq(k, "bindto") ? "bind_address" : "address", n->args[0]) < 0)
                                map_oom(m);
                } else if (streq(k, "connect_port")) {
                        if (map_args(m, h, i, 1, 1) && map_port(m, n, n->args[0], &p) && fset(chk, "port", "%u", p) < 0)
                                map_oom(m);
                } else if (streq(k, "bind_if")) {
                        if (map_args(m, h, i, 1, 1) && fset_str(chk, "bind_interface", n->args[0]) < 0)
                                map_oom(m);
                } else if (streq(k, "bind_port")) {
                        map_unsupported(m, n, "probes use an ephemeral source port");
                } else if (streq(k, "fwmark")) {
                        int64_t v;
                        if (map_args(m, h, i, 1, 1) && map_int(m, n, n->args[0], 0, UINT32_MAX, &v) &&
                            fset(chk, "fwmark", "%lld", (long long) v) < 0)
                                map_oom(m);
                } else
                        map_unknown(m, n);
        }
}

/* One checker block → the fields of an inline check. */
static void map_checker(KcMap *m, KcNode *c, const char *type, Fields *chk, bool *alpha) {
        bool first_url = true, first_host = true, https = streq(type, "https"), exec = streq(type, "exec");
        usec_t u;

        for (size_t i = 0; i < c->n_children; i++) {
                KcNode *n = c->children[i];
                const char *k = n->keyword;

                if (exec && streq(k, "connect_timeout")) {
                        map_noop(m, n, "MISC_CHECK scripts are bounded by misc_timeout");
                        continue;
                }
                if (streq(k, "virtualhost") && !streq(type, "http") && !streq(type, "https")) {
                        /* keepalived takes it in HTTP_GET/SSL_GET only; written into another
                         * check type it made YAML the config model refuses (found by fuzzing) */
                        map_unknown(m, n);
                        continue;
                }
                if (common_check_option(m, c, i, chk, alpha))
                        continue;
                if (streq(k, "connect_ip") || streq(k, "bindto") || streq(k, "connect_port") || streq(k, "bind_if") ||
                    streq(k, "bind_port") || streq(k, "fwmark")) {
                        if (exec || streq(type, "file")) {
                                map_unknown(m, n);
                                continue;
                        }
                        if (streq(type, "ping") && streq(k, "connect_port")) {
                                map_noop(m, n, "ping has no port");
                                continue;
                        }
                        /* the same keywords as in a host { } block; split extra words off first
                         * (that may move c->children) */
                        if (!map_args(m, c, i, 1, 1))
                                continue;
                        KcNode *one[1] = { c->children[i] };
                        KcNode tmp = { .children = one, .n_children = 1 };
                        host_block(m, &tmp, chk);
                } else if (streq(k, "url") && (streq(type, "http") || https)) {
                        if (!n->block) {
                                map_error(m, n, "'url' needs a { } block");
                                continue;
                        }
                        if (!first_url) {
                                map_unsupported(m, n, "a vigil check tests one URL: only the first url { } is checked");
                                continue;
                        }
                        first_url = false;
                        map_url(m, n, chk);
                } else if (streq(k, "http_protocol") && (streq(type, "http") || https)) {
                        if (!map_args(m, c, i, 1, 1))
                                continue;
                        if (streq(n->args[0], "1.0") || streq(n->args[0], "1.1")) {
                                if (fset_str(chk, "http_version", n->args[0]) < 0)
                                        map_oom(m);
                        } else if (streq(n->args[0], "1.0C")) {
                                char *hdr[] = { (char *) "Connection: close", NULL };
                                if (fset_str(chk, "http_version", "1.0") < 0 || fset_strv(chk, "headers", hdr) < 0)
                                        map_oom(m);
                        } else
                                map_error(m, n, "http_protocol: expected 1.0, 1.0C or 1.1, got '%s'", n->args[0]);
                } else if (streq(k, "enable_sni") && https) {
                        if (map_args(m, c, i, 0, 0) && fset(chk, "sni", "%s", "\"\"") < 0) /* resolved below */
                                map_oom(m);
                } else if (streq(k, "fast_recovery") && (streq(type, "http") || https)) {
                        map_noop(m, n, "a vigil check has one URL, so there is nothing to hurry");
                } else if (streq(k, "helo_name") && streq(type, "smtp")) {
                        if (map_args(m, c, i, 1, 1) && fset_str(chk, "helo_name", n->args[0]) < 0)
                                map_oom(m);
                } else if (streq(k, "host") && streq(type, "smtp")) {
                        if (!n->block) {
                                map_error(m, n, "'host' needs a { } block");
                                continue;
                        }
                        if (!first_host) {
                                map_unsupported(m, n, "a vigil check probes one host: only the first host { } is "
                                                      "checked (define more real servers or checks for the others)");
                                continue;
                        }
                        first_host = false;
                        host_block(m, n, chk);
                } else if (streq(k, "type") && streq(type, "dns")) {
                        if (!map_args(m, c, i, 1, 1))
                                continue;
                        _cleanup_free_ char *up = strdup(n->args[0]);
                        if (!up)
                                return map_oom(m);
                        for (char *q = up; *q; q++)
                                *q = (char) toupper((unsigned char) *q);
                        if (fset_str(chk, "query_type", up) < 0)
                                map_oom(m);
                } else if (streq(k, "name") && streq(type, "dns")) {
                        if (map_args(m, c, i, 1, 1) && fset_str(chk, "query_name", n->args[0]) < 0)
                                map_oom(m);
                } else if (streq(k, "payload") && streq(type, "udp")) {
                        bool has_x = false;
                        _cleanup_free_ char *s = n->n_args ? hex_escape(m, n, n->args, n->n_args, false, &has_x) : NULL;
                        if (s && fset_str(chk, "payload", s) < 0)
                                map_oom(m);
                } else if (streq(k, "require_reply") && streq(type, "udp")) {
                        if (fset(chk, "require_reply", "true") < 0)
                                return map_oom(m);
                        if (n->n_args > 0) {
                                bool has_x = false;
                                _cleanup_free_ char *s = hex_escape(m, n, n->args, n->n_args, true, &has_x), *re = NULL;
                                if (!s)
                                        continue;
                                /* keepalived compares a prefix; X nibbles are wildcards (whole bytes here) */
                                if (asprintf(&re, "^%s", s) < 0 || fset_str(chk, "expect", re) < 0)
                                        return map_oom(m);
                                if (has_x)
                                        map_warn(m, n, "require_reply: an X nibble matches the whole byte in vigil");
                        }
                } else if ((streq(k, "min_reply_length") || streq(k, "max_reply_length")) && streq(type, "udp")) {
                        map_unsupported(m, n, "reply lengths are not checked (use require_reply with a pattern)");
                } else if (streq(k, "misc_path") && exec) {
                        bool shell;
                        if (!map_args(m, c, i, 1, 1))
                                continue;
                        _cleanup_strv_free_ char **argv = map_command(m, n, n->args[0], &shell);
                        if (!argv)
                                continue;
                        if (fset_strv(chk, "command", argv) < 0)
                                return map_oom(m);
                        if (shell ? fset(chk, "shell", "true") < 0 : (fdel(chk, "shell"), false))
                                return map_oom(m);
                } else if (streq(k, "misc_timeout") && exec) {
                        if (map_args(m, c, i, 1, 1) && map_timer(m, n, n->args[0], &u) && fset_usec(chk, "timeout", u) < 0)
                                map_oom(m);
                } else if (streq(k, "misc_dynamic") && exec) {
                        if (map_args(m, c, i, 0, 0) && fset(chk, "dynamic", "true") < 0)
                                map_oom(m);
                } else if (streq(k, "user") && exec) {
                        map_unsupported(m, n, "scripts run as vigil-checkerd's own unprivileged user (vigil-check)");
                } else if (streq(k, "track_file") && streq(type, "file")) {
                        if (!map_args(m, c, i, 1, 1))
                                continue;
                        KcNode *tf = map_find_block(m->track_files, m->n_track_files, n->args[0]);
                        if (!tf) {
                                map_error(m, n, "FILE_CHECK: no track_file '%s' is defined", n->args[0]);
                                continue;
                        }
                        for (size_t j = 0; j < tf->n_children; j++) {
                                KcNode *t = tf->children[j];
                                if (streq(t->keyword, "file")) {
                                        if (map_args(m, tf, j, 1, 1) && fset_str(chk, "path", t->args[0]) < 0)
                                                map_oom(m);
                                } else if (streq(t->keyword, "init_file")) {
                                        map_unsupported(m, t, "the file is not created: the check's default_weight "
                                                              "applies while it is missing");
                                } else if (streq(t->keyword, "weight")) {
                                        if (t->n_args != 1 || !streq(t->args[0], "1"))
                                                map_unsupported(m, t, "the value in the file is used as the weight "
                                                                      "as it is (no multiplier, no reverse)");
                                } else
                                        map_unknown(m, t);
                        }
                } else if ((streq(k, "dynamic") || streq(k, "weight")) && streq(type, "file")) {
                        if (streq(k, "weight") && !(n->n_args == 1 && streq(n->args[0], "1")))
                                map_unsupported(m, n, "the value in the file is used as the weight as it is");
                } else
                        map_unknown(m, n);
        }
        if (https) {
                if (fset(chk, "tls_verify", "false") < 0) /* keepalived does not verify certificates */
                        map_oom(m);
                if (fhas(chk, "sni")) {
                        const char *vh = fget(chk, "virtualhost");
                        if (vh) {
                                if (fset(chk, "sni", "%s", vh) < 0)
                                        map_oom(m);
                        } else {
                                map_warn(m, c, "enable_sni without a virtualhost: no SNI is sent");
                                fdel(chk, "sni");
                        }
                }
                if ((m->ssl_ca && fset_str(chk, "ca_file", m->ssl_ca) < 0) ||
                    (m->ssl_cert && fset_str(chk, "cert_file", m->ssl_cert) < 0) ||
                    (m->ssl_key && fset_str(chk, "key_file", m->ssl_key) < 0))
                        map_oom(m);
        }
        if (exec && !fhas(chk, "command"))
                map_error(m, c, "MISC_CHECK without misc_path");
        if (streq(type, "file") && !fhas(chk, "path"))
                map_error(m, c, "FILE_CHECK without track_file");
}

/* keepalived's per-type defaults that differ from vigil's. */
static void checker_defaults(KcMap *m, const char *type, usec_t delay_loop, Fields *chk) {
        bool exec = streq(type, "exec"), file = streq(type, "file");
        if (fset(chk, "type", "%s", type) < 0)
                return map_oom(m);
        if (file)
                return;
        /* retry: 1 for most checkers, 3 for DNS_CHECK, 0 for MISC_CHECK */
        if (fset(chk, "retry", "%d", streq(type, "dns") ? 3 : exec ? 0 : 1) < 0)
                return map_oom(m);
        /* delay_before_retry: 3 s for HTTP/SSL, delay_loop for DNS, 1 s otherwise */
        usec_t dbr = streq(type, "http") || streq(type, "https") ? 3 * USEC_PER_SEC :
                     streq(type, "dns") ? delay_loop : USEC_PER_SEC;
        if (fset_usec(chk, "delay_before_retry", dbr) < 0)
                return map_oom(m);
        if (exec) {
                /* misc_timeout defaults to delay_loop */
                if (fset_usec(chk, "timeout", delay_loop) < 0)
                        map_oom(m);
        } else if (fset_usec(chk, "connect_timeout", 5 * USEC_PER_SEC) < 0)
                map_oom(m);
}

static void copy_fields(KcMap *m, Fields *dst, const Fields *src, const char *type) {
        bool exec = streq(type, "exec"), file = streq(type, "file"), web = streq(type, "http") || streq(type, "https");
        for (size_t i = 0; i < src->n; i++) {
                const char *k = src->items[i].key;
                if (streq(k, "virtualhost") && !web)
                        continue;
                if (streq(k, "connect_timeout") && (exec || file))
                        continue;
                if (file && !streq(k, "interval") && !streq(k, "warmup"))
                        continue;
                if (fset(dst, k, "%s", src->items[i].value) < 0)
                        return map_oom(m);
        }
}

/* "addr:port" as the config model names things ("[v6]:port"), addresses normalized. */
static void addr_port_id(char *buf, size_t len, const char *addr, uint16_t port) {
        InAddrPrefix a;
        char s[ADDR_STR_MAX];
        if (parse_address(addr, &a.family, &a.addr) < 0) {
                snprintf(buf, len, "?:%u", port);
                return;
        }
        format_address(s, sizeof s, a.family, &a.addr);
        snprintf(buf, len, a.family == AF_INET6 ? "[%s]:%u" : "%s:%u", s, port);
}

/* port_varies: a fwmark service or a group (no single service port). */
static void map_real_server(KcMap *m, KcNode *vsn, size_t idx, Vs *vs, uint16_t vs_port, bool port_varies,
                            bool fwmark_target) {
        static const char *const order[] = { "address", "port", "weight", "forwarding", "tunnel", "upper_threshold",
                                             "lower_threshold", "inhibit_on_failure", "check", NULL };
        KcNode *b = vsn->children[idx];
        _cleanup_(fields_done) Fields f = {}, rsdef = {}, chk = {}, notify = {};
        bool alpha = vs->alpha;
        usec_t delay_loop = vs->delay_loop;
        uint16_t port = 0, check_port = 0;
        KcNode *checker = NULL;
        const char *ctype = NULL;
        int64_t v;

        if (b->n_args < 1 || b->n_args > 2 || !b->block) {
                map_error(m, b, "'real_server' needs an address, an optional port and a { } block");
                return;
        }
        if (!map_address(m, b, b->args[0], false, NULL))
                return;
        if (fset_str(&f, "address", b->args[0]) < 0)
                return map_oom(m);
        if (b->n_args == 2) {
                if (!map_port(m, b, b->args[1], &port))
                        return;
                if (fset(&f, "port", "%u", port) < 0)
                        return map_oom(m);
        }
        for (size_t i = 0; i < b->n_children; i++) {
                KcNode *n = b->children[i];
                const char *k = n->keyword;
                const char *t = checker_type(k);
                if (t) {
                        if (!n->block) {
                                map_error(m, n, "'%s' needs a { } block", k);
                                continue;
                        }
                        if (checker) {
                                map_unsupported(m, n, "vigil runs one check per real server: only the %s at line %u "
                                                      "decides its health", checker->keyword, checker->line);
                                continue;
                        }
                        checker = n;
                        ctype = t;
                } else if (streq(k, "BFD_CHECK")) {
                        map_unsupported(m, n, "BFD is not implemented");
                } else if (streq(k, "weight")) {
                        if (map_args(m, b, i, 1, 1) && map_int(m, n, n->args[0], 0, 65535, &v) &&
                            fset(&f, "weight", "%lld", (long long) v) < 0)
                                return map_oom(m);
                } else if (streq(k, "inhibit_on_failure")) {
                        bool on;
                        if (map_args(m, b, i, 0, 1) && map_bool(m, n, n->n_args ? n->args[0] : NULL, &on) &&
                            fset(&f, "inhibit_on_failure", "%s", on ? "true" : "false") < 0)
                                return map_oom(m);
                } else if (streq(k, "lvs_method")) {
                        const char *fwd;
                        _cleanup_free_ char *tun = NULL;
                        if (!map_args(m, b, i, 1, 6) || !parse_method(m, n, &fwd, &tun))
                                continue;
                        if (fset(&f, "forwarding", "%s", fwd) < 0 || (tun && fset(&f, "tunnel", "%s", tun) < 0))
                                return map_oom(m);
                } else if (streq(k, "uthreshold") || streq(k, "lthreshold")) {
                        if (map_args(m, b, i, 1, 1) && map_int(m, n, n->args[0], 0, UINT32_MAX, &v) &&
                            fset(&f, streq(k, "uthreshold") ? "upper_threshold" : "lower_threshold", "%lld",
                                 (long long) v) < 0)
                                return map_oom(m);
                } else if (streq(k, "notify_up") || streq(k, "notify_down")) {
                        bool shell;
                        if (!map_args(m, b, i, 1, 3))
                                continue;
                        if (n->n_args > 1)
                                map_warn(m, n, "%s: the user '%s' is not used: vigil-notify runs scripts as the user "
                                               "it runs as", k, n->args[1]);
                        _cleanup_strv_free_ char **argv = map_command(m, n, n->args[0], &shell);
                        if (!argv)
                                continue;
                        if (shell) {
                                _cleanup_free_ char *q = y_quoted(argv[0]);
                                if (!q || fset(&notify, streq(k, "notify_up") ? "notify_up" : "notify_down",
                                               "[\"/bin/sh\", \"-c\", %s]", q) < 0)
                                        return map_oom(m);
                        } else if (fset_strv(&notify, streq(k, "notify_up") ? "notify_up" : "notify_down", argv) < 0)
                                return map_oom(m);
                } else if (streq(k, "delay_loop")) {
                        usec_t u;
                        if (map_args(m, b, i, 1, 1) && map_timer(m, n, n->args[0], &u)) {
                                delay_loop = u;
                                if (fset_usec(&rsdef, "interval", u) < 0)
                                        return map_oom(m);
                        }
                } else if (common_check_option(m, b, i, &rsdef, &alpha)) {
                        ;
                } else if (streq(k, "smtp_alert")) {
                        map_unsupported(m, n, "e-mail alerts are not sent by vigil: use vigil-notify");
                } else if (streq(k, "snmp_name")) {
                        map_unsupported(m, n, "vigil has no SNMP agent (see vigil-exporter for metrics)");
                } else
                        map_unknown(m, n);
        }
        if (!fhas(&f, "weight") && fset(&f, "weight", "1") < 0)
                return map_oom(m);
        /* DR and TUN cannot change the port (IPVS ignores the real server's):
         * keepalived accepts one anyway and health-checks that port. */
        const char *fwd = fget(&f, "forwarding") ? fget(&f, "forwarding") : fget(&vs->f, "forwarding");
        if (b->n_args == 2 && fwd && (streq(fwd, "dr") || streq(fwd, "tun")) && (port_varies || port != vs_port)) {
                if (!port_varies)
                        map_warn(m, b, "real server port %u with %s forwarding: IPVS sends to the service port %u, "
                                       "the real server port is only kept for its health check", port, fwd, vs_port);
                fdel(&f, "port");
                check_port = port;
                port = 0;
        }
        if (b->n_args == 2 && fwmark_target && fwd && streq(fwd, "nat") && port != 0) {
                map_error(m, b, "real_server %s port %u in a fwmark service with NAT: every port of the mark would be "
                                "sent to port %u; vigil refuses that translation (leave the port out to keep each "
                                "connection's port)", b->args[0], port, port);
                return;
        }
        if (!fhas(&f, "tunnel") && vs->tunnel && streq(strempty(fget(&f, "forwarding")), "") &&
            fset(&f, "tunnel", "%s", vs->tunnel) < 0)
                return map_oom(m);

        if (checker) {
                checker_defaults(m, ctype, delay_loop, &chk);
                copy_fields(m, &chk, &vs->chk, ctype);
                copy_fields(m, &chk, &rsdef, ctype);
                map_checker(m, checker, ctype, &chk, &alpha);
                if (check_port && !fhas(&chk, "port") && !streq(ctype, "ping") && !streq(ctype, "exec") &&
                    !streq(ctype, "file") && fset(&chk, "port", "%u", check_port) < 0)
                        return map_oom(m);
                if (alpha && fset(&chk, "initial_state", "down") < 0)
                        return map_oom(m);
                /* rendered as a block under the real server */
                char *buf = NULL;
                size_t len = 0;
                FILE *cf = open_memstream(&buf, &len);
                if (!cf)
                        return map_oom(m);
                fputc('\n', cf);
                femit(cf, &chk, 10, false, check_order);
                if (fclose(cf) != 0) {
                        free(buf);
                        return map_oom(m);
                }
                if (len > 0 && buf[len - 1] == '\n')
                        buf[len - 1] = '\0';
                int r = fset(&f, "check", "%s", buf);
                free(buf);
                if (r < 0)
                        return map_oom(m);
        } else if (alpha)
                map_warn(m, b, "alpha on a real server without a check: it is always up in vigil");

        if (notify.n > 0) {
                if (!checker) {
                        map_warn(m, b, "notify_up/notify_down on a real server without a check: never run "
                                       "(its state never changes), not converted");
                } else {
                        RsNotify *nn = realloc(vs->notify, (vs->n_notify + 1) * sizeof *nn);
                        if (!nn)
                                return map_oom(m);
                        vs->notify = nn;
                        nn[vs->n_notify] = (RsNotify) { .rs = strdup(b->args[0]), .port = port, .f = notify };
                        notify = (Fields) {};
                        if (!nn[vs->n_notify].rs)
                                return map_oom(m);
                        vs->n_notify++;
                }
        }
        if (!vs->rs_f && !(vs->rs_f = open_memstream(&vs->rs, &vs->rs_len)))
                return map_oom(m);
        femit(vs->rs_f, &f, 8, true, order);
        vs->n_rs++;
}

static const char *const schedulers[] = { "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed",
                                          "nq", "fo", "ovf", "mh", "twos", NULL };

static void map_vs_body(KcMap *m, KcNode *b, Vs *vs, bool zero_port) {
        _cleanup_strv_free_ char **flags = calloc(1, sizeof(char *));
        _cleanup_(fields_done) Fields sorry = {};
        bool has_persist_timeout = false;
        usec_t persist = 0;
        const char *gran = NULL;
        const KcNode *persist_node = NULL;
        int64_t v;
        usec_t u;

        if (!flags)
                return map_oom(m);
        vs->delay_loop = 60 * USEC_PER_SEC; /* keepalived's default, vigil's is 6s */
        for (size_t i = 0; i < b->n_children; i++) {
                KcNode *n = b->children[i];
                const char *k = n->keyword;
                if (streq(k, "real_server"))
                        continue;
                if (streq(k, "delay_loop")) {
                        if (map_args(m, b, i, 1, 1) && map_timer(m, n, n->args[0], &u)) {
                                if (u == 0) {
                                        map_error(m, n, "delay_loop must be more than 0");
                                        continue;
                                }
                                vs->delay_loop = u;
                        }
                } else if (streq(k, "lb_algo") || streq(k, "lvs_sched")) {
                        if (!map_args(m, b, i, 1, 1))
                                continue;
                        bool ok = false;
                        for (size_t s = 0; schedulers[s]; s++)
                                ok = ok || streq(schedulers[s], n->args[0]);
                        if (!ok) {
                                map_error(m, n, "%s: unknown scheduler '%s'", k, n->args[0]);
                                continue;
                        }
                        free(vs->sched);
                        if (!(vs->sched = strdup(n->args[0])))
                                return map_oom(m);
                } else if (streq(k, "lb_kind") || streq(k, "lvs_method")) {
                        const char *fwd;
                        _cleanup_free_ char *tun = NULL;
                        if (!map_args(m, b, i, 1, 6) || !parse_method(m, n, &fwd, &tun))
                                continue;
                        if (fset(&vs->f, "forwarding", "%s", fwd) < 0)
                                return map_oom(m);
                        free(vs->tunnel);
                        vs->tunnel = TAKE_PTR(tun);
                } else if (streq(k, "persistence_timeout")) {
                        if (!map_args(m, b, i, 0, 1))
                                continue;
                        /* without a value: 6 minutes */
                        u = 360 * USEC_PER_SEC;
                        if (n->n_args == 1 && !map_timer(m, n, n->args[0], &u))
                                continue;
                        has_persist_timeout = true;
                        persist = u;
                        persist_node = n;
                } else if (streq(k, "persistence_granularity")) {
                        if (map_args(m, b, i, 1, 1))
                                gran = n->args[0];
                        persist_node = persist_node ? persist_node : n;
                } else if (streq(k, "protocol")) {
                        if (!map_args(m, b, i, 1, 1))
                                continue;
                        if (strcasecmp(n->args[0], "TCP") && strcasecmp(n->args[0], "UDP") && strcasecmp(n->args[0], "SCTP")) {
                                map_error(m, n, "protocol: expected TCP, UDP or SCTP, got '%s'", n->args[0]);
                                continue;
                        }
                        if (fset(&vs->f, "protocol", "%s", strcasecmp(n->args[0], "TCP") == 0 ? "tcp" :
                                                          strcasecmp(n->args[0], "UDP") == 0 ? "udp" : "sctp") < 0)
                                return map_oom(m);
                } else if (streq(k, "quorum") || streq(k, "hysteresis")) {
                        if (map_args(m, b, i, 1, 1) && map_int(m, n, n->args[0], 0, UINT32_MAX, &v) &&
                            fset(&vs->f, streq(k, "quorum") ? "quorum" : "hysteresis", "%lld", (long long) v) < 0)
                                return map_oom(m);
                } else if (streq(k, "sorry_server")) {
                        uint16_t p = 0;
                        if (!map_args(m, b, i, 1, 2) || !map_address(m, n, n->args[0], false, NULL) ||
                            (n->n_args == 2 && !map_port(m, n, n->args[1], &p)))
                                continue;
                        if (fset_str(&sorry, "address", n->args[0]) < 0 ||
                            (n->n_args == 2 && fset(&sorry, "port", "%u", p) < 0))
                                return map_oom(m);
                } else if (streq(k, "sorry_server_lvs_method")) {
                        const char *fwd;
                        _cleanup_free_ char *tun = NULL;
                        if (!map_args(m, b, i, 1, 6) || !parse_method(m, n, &fwd, &tun))
                                continue;
                        if (tun)
                                map_warn(m, n, "sorry_server_lvs_method: the tunnel options are not used for the "
                                               "sorry server (ipip)");
                        if (fset(&sorry, "forwarding", "%s", fwd) < 0)
                                return map_oom(m);
                } else if (streq(k, "sorry_server_inhibit")) {
                        map_unsupported(m, n, "the sorry server is added and removed, never inhibited");
                } else if (streq(k, "inhibit_on_failure")) {
                        bool on;
                        if (map_args(m, b, i, 0, 1) && map_bool(m, n, n->n_args ? n->args[0] : NULL, &on) &&
                            fset(&vs->f, "inhibit_on_failure", "%s", on ? "true" : "false") < 0)
                                return map_oom(m);
                } else if (streq(k, "alpha")) {
                        bool on;
                        if (map_args(m, b, i, 0, 1) && map_bool(m, n, n->n_args ? n->args[0] : NULL, &on))
                                vs->alpha = on;
                } else if (common_check_option(m, b, i, &vs->chk, &vs->alpha)) {
                        ;
                } else if (streq(k, "ops") || streq(k, "sh-port") || streq(k, "sh-fallback") || streq(k, "mh-port") ||
                           streq(k, "mh-fallback") || streq(k, "flag-1") || streq(k, "flag-2")) {
                        const char *fl = streq(k, "ops") ? "one-packet" : k;
                        if (streq(k, "flag-1"))
                                fl = vs->sched && streq(vs->sched, "mh") ? "mh-fallback" : "sh-fallback";
                        else if (streq(k, "flag-2"))
                                fl = vs->sched && streq(vs->sched, "mh") ? "mh-port" : "sh-port";
                        size_t len = strv_length(flags);
                        char **nf = realloc(flags, (len + 2) * sizeof *nf);
                        if (!nf)
                                return map_oom(m);
                        flags = nf;
                        if (!(flags[len] = strdup(fl)))
                                return map_oom(m);
                        flags[len + 1] = NULL;
                } else if (streq(k, "ip_family")) {
                        if (!map_args(m, b, i, 1, 1))
                                continue;
                        if (!streq(n->args[0], "inet") && !streq(n->args[0], "inet6")) {
                                map_error(m, n, "ip_family: expected inet or inet6, got '%s'", n->args[0]);
                                continue;
                        }
                        if (fset(&vs->f, "family", "%s", n->args[0]) < 0)
                                return map_oom(m);
                } else if (streq(k, "nat_mask")) {
                        map_noop(m, n, "IPVS has no netmask for NAT; keepalived ignores it too");
                } else if (streq(k, "quorum_up") || streq(k, "quorum_down")) {
                        map_unsupported(m, n, "quorum changes are not notified: watch the service with "
                                              "'vigilctl monitor'");
                } else if (streq(k, "omega")) {
                        map_unsupported(m, n, "no notifications are run at shutdown");
                } else if (streq(k, "ha_suspend")) {
                        map_unsupported(m, n, "checks always run; the service is configured whether or not "
                                              "the VIP is present");
                } else if (streq(k, "persistence_engine")) {
                        map_unsupported(m, n, "IPVS persistence engines (sip) are not configured by vigil");
                } else if (streq(k, "smtp_alert") || streq(k, "snmp_name") || streq(k, "flag-3")) {
                        map_unsupported(m, n, "no vigil equivalent, ignored");
                } else
                        map_unknown(m, n);
        }

        if (fhas(&sorry, "address")) {
                static const char *const sorder[] = { "address", "port", "forwarding", NULL };
                _cleanup_free_ char *sf = fflow(&sorry, sorder);
                if (!sf || fset(&vs->f, "sorry_server", "%s", sf) < 0)
                        return map_oom(m);
        } else if (fhas(&sorry, "forwarding"))
                map_warn(m, b, "sorry_server_lvs_method without a sorry_server: ignored");
        if (fset(&vs->f, "scheduler", "%s", vs->sched ? vs->sched : "wlc") < 0)
                return map_oom(m);
        if (flags[0] && fset_strv(&vs->f, "flags", flags) < 0)
                return map_oom(m);
        if (!fhas(&vs->f, "forwarding") && fset(&vs->f, "forwarding", "nat") < 0)
                return map_oom(m);
        if (!fhas(&vs->f, "protocol") && fset(&vs->f, "protocol", "tcp") < 0)
                return map_oom(m);
        if (zero_port && !has_persist_timeout && !gran) {
                /* keepalived: "zero port only valid for persistent services - setting" */
                map_warn(m, b, "virtual_server without a port: persistent for 6 minutes, as keepalived makes it");
                has_persist_timeout = true;
                persist = 360 * USEC_PER_SEC;
        }
        if (has_persist_timeout || gran) {
                _cleanup_free_ char *p = NULL;
                char buf[DURATION_MAX];
                if (!has_persist_timeout) {
                        /* keepalived: granularity without a timeout is the default timeout (6 min) */
                        persist = 360 * USEC_PER_SEC;
                        map_warn(m, persist_node, "persistence_granularity without persistence_timeout: the 6 minute "
                                                  "default timeout is written out");
                }
                if (asprintf(&p, "{timeout: \"%s\"", format_duration(buf, sizeof buf, persist)) < 0)
                        return map_oom(m);
                if (gran) {
                        int64_t pl;
                        if (strchr(gran, '.')) {
                                if (!map_address(m, persist_node, gran, false, NULL))
                                        return;
                                if (appendf(&p, ", netmask: \"%s\"", gran) < 0)
                                        return map_oom(m);
                        } else if (map_int(m, persist_node, gran, 0, 128, &pl)) {
                                if (appendf(&p, ", prefix: %lld", (long long) pl) < 0)
                                        return map_oom(m);
                        } else
                                return;
                }
                if (appendf(&p, "}") < 0 || fset(&vs->f, "persistence", "%s", p) < 0)
                        return map_oom(m);
        }
        if (fset_usec(&vs->f, "delay_loop", vs->delay_loop) < 0)
                return map_oom(m);
        if (!fhas(&vs->f, "quorum") && fset(&vs->f, "quorum", "1") < 0)
                return map_oom(m);
        if (!fhas(&vs->f, "hysteresis") && fset(&vs->f, "hysteresis", "0") < 0)
                return map_oom(m);
        /* keepalived removes a failed real server unless inhibit_on_failure; vigil's default is to inhibit */
        if (!fhas(&vs->f, "inhibit_on_failure") && fset(&vs->f, "inhibit_on_failure", "false") < 0)
                return map_oom(m);
}

typedef struct Target {
        char *address; /* NULL with fwmark */
        uint16_t port;
        uint32_t fwmark;
        const char *family; /* for fwmark groups: "inet6" or NULL */
} Target;

static int push_target(Target **t, size_t *n, const char *addr, uint16_t port, uint32_t fwmark, const char *family) {
        Target *nt = *t;
        if ((*n & (*n - 1)) == 0) { /* 0, 1, 2, 4, 8...: grow geometrically */
                nt = realloc(*t, (*n ? *n * 2 : 1) * sizeof *nt);
                if (!nt)
                        return -ENOMEM;
                *t = nt;
        }
        nt[*n] = (Target) { .port = port, .fwmark = fwmark, .family = family };
        if (addr && !(nt[*n].address = strdup(addr)))
                return -ENOMEM;
        (*n)++;
        return 0;
}

/* "10.0.0.1-10", "ae00::2-9", "10.0.0.8/29" → each address. */
static bool expand_range(KcMap *m, const KcNode *n, const char *spec, uint16_t port, Target **t, size_t *nt) {
        InAddrPrefix base;
        _cleanup_free_ char *s = strdup(spec);
        if (!s) {
                map_oom(m);
                return false;
        }
        char *dash = strchr(s, '-');
        unsigned long end = 0, first;
        if (dash) {
                *dash = '\0';
                const char *e = dash + 1;
                char *stop;
                if (parse_address(s, &base.family, &base.addr) < 0) {
                        map_error(m, n, "virtual_server_group: invalid address '%s'", s);
                        return false;
                }
                if (strchr(e, '.') || strchr(e, ':')) {
                        map_unsupported(m, n, "address ranges spanning more than the last %s ('%s') are not expanded",
                                        base.family == AF_INET ? "octet" : "group", spec);
                        return false;
                }
                end = strtoul(e, &stop, base.family == AF_INET ? 10 : 16);
                if (*e == '\0' || *stop != '\0' || end > (base.family == AF_INET ? 255UL : 0xffffUL)) {
                        map_error(m, n, "virtual_server_group: invalid range end '%s'", e);
                        return false;
                }
        } else if (strchr(s, '/')) {
                if (parse_address_prefix(s, &base) < 0) {
                        map_error(m, n, "virtual_server_group: invalid address range '%s'", spec);
                        return false;
                }
                unsigned bits = (base.family == AF_INET ? 32 : 128) - base.prefixlen;
                if (bits > 8) {
                        map_error(m, n, "virtual_server_group: '%s' has more than %u addresses", spec,
                                  MAX_GROUP_EXPANSION);
                        return false;
                }
                /* from the network address, last byte */
                size_t last = base.family == AF_INET ? 3 : 15;
                uint8_t mask = (uint8_t) (0xffu << bits);
                base.addr.bytes[last] &= mask;
                end = base.addr.bytes[last] | (0xffu >> (8 - bits));
        } else {
                if (parse_address(s, &base.family, &base.addr) < 0) {
                        map_error(m, n, "virtual_server_group: invalid address '%s'", s);
                        return false;
                }
                if (push_target(t, nt, s, port, 0, NULL) < 0) {
                        map_oom(m);
                        return false;
                }
                return true;
        }
        first = base.family == AF_INET ? base.addr.bytes[3] :
                                         ((unsigned long) base.addr.bytes[14] << 8 | base.addr.bytes[15]);
        if (end < first || end - first >= MAX_GROUP_EXPANSION) {
                map_error(m, n, "virtual_server_group: range '%s' is empty or has more than %u addresses", spec,
                          MAX_GROUP_EXPANSION);
                return false;
        }
        for (unsigned long a = first; a <= end; a++) {
                char buf[ADDR_STR_MAX];
                if (base.family == AF_INET)
                        base.addr.bytes[3] = (uint8_t) a;
                else {
                        base.addr.bytes[14] = (uint8_t) (a >> 8);
                        base.addr.bytes[15] = (uint8_t) a;
                }
                if (push_target(t, nt, format_address(buf, sizeof buf, base.family, &base.addr), port, 0, NULL) < 0) {
                        map_oom(m);
                        return false;
                }
        }
        return true;
}

#define MAX_GROUP_SERVICES 65536 /* services made from groups, over the whole configuration */

static bool group_targets(KcMap *m, KcNode *vsn, const char *name, Target **t, size_t *nt) {
        KcNode *g = NULL;
        /* vs_groups is sorted by name (map_sort_blocks): the equal range, the last one wins */
        size_t lo = 0, hi = m->n_vs_groups;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(m->vs_groups[mid]->args[0], name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i < m->n_vs_groups && streq(m->vs_groups[i]->args[0], name); i++) {
                g = m->vs_groups[i];
                m->vs_group_used[i] = true;
        }
        if (!g) {
                map_error(m, vsn, "virtual_server group %s: no virtual_server_group of that name", name);
                return false;
        }
        for (size_t i = 0; i < g->n_children; i++) {
                KcNode *n = g->children[i];
                if (streq(n->keyword, "fwmark")) {
                        int64_t v;
                        if (n->n_args < 1 || n->n_args > 2 || !map_int(m, n, n->args[0], 1, UINT32_MAX, &v))
                                continue;
                        const char *fam = n->n_args == 2 ? n->args[1] : NULL;
                        if (fam && !streq(fam, "inet") && !streq(fam, "inet6")) {
                                map_error(m, n, "fwmark: expected inet or inet6, got '%s'", fam);
                                continue;
                        }
                        if (push_target(t, nt, NULL, 0, (uint32_t) v, fam && streq(fam, "inet6") ? "inet6" : NULL) < 0) {
                                map_oom(m);
                                return false;
                        }
                        continue;
                }
                uint16_t port = 0;
                if (n->n_args > 1 || (n->n_args == 1 && !map_port(m, n, n->args[0], &port))) {
                        if (n->n_args > 1)
                                map_error(m, n, "virtual_server_group entry: expected 'ADDRESS[-RANGE] [PORT]'");
                        continue;
                }
                expand_range(m, n, n->keyword, port, t, nt);
                if (m->n_group_targets + *nt > MAX_GROUP_SERVICES) {
                        map_error(m, vsn, "virtual_server group %s: the groups expand to more than %u services",
                                  name, MAX_GROUP_SERVICES);
                        return false;
                }
        }
        if (*nt == 0) {
                map_error(m, vsn, "virtual_server group %s: the group has no usable entries", name);
                return false;
        }
        m->n_group_targets += *nt;
        if (m->n_group_targets > MAX_GROUP_SERVICES) {
                map_error(m, vsn, "virtual_server group %s: the groups expand to more than %u services", name,
                          MAX_GROUP_SERVICES);
                return false;
        }
        return true;
}

static void emit_vs(KcMap *m, Vs *vs, const Target *t) {
        static const char *const order[] = { "address", "port", "fwmark", "family", "protocol", "scheduler", "flags",
                                             "forwarding", "persistence", "delay_loop", "quorum", "hysteresis",
                                             "sorry_server", "inhibit_on_failure", "real_servers", NULL };
        _cleanup_(fields_done) Fields f = {};
        char id[ADDR_STR_MAX + 32];

        if (t->address) {
                if (fset_str(&f, "address", t->address) < 0 || fset(&f, "port", "%u", t->port) < 0)
                        return map_oom(m);
                char ap[ADDR_STR_MAX + 8];
                addr_port_id(ap, sizeof ap, t->address, t->port);
                snprintf(id, sizeof id, "%s:%s", fget(&vs->f, "protocol"), ap);
        } else {
                if (fset(&f, "fwmark", "%u", t->fwmark) < 0 || (t->family && fset(&f, "family", "%s", t->family) < 0))
                        return map_oom(m);
                const char *fam = t->family ? t->family : fget(&vs->f, "family");
                snprintf(id, sizeof id, "%s:%u", fam && streq(fam, "inet6") ? "fwmark6" : "fwmark", t->fwmark);
        }
        for (size_t i = 0; i < vs->f.n; i++)
                if (!fhas(&f, vs->f.items[i].key) && fset(&f, vs->f.items[i].key, "%s", vs->f.items[i].value) < 0)
                        return map_oom(m);
        if (vs->rs && fset(&f, "real_servers", "\n%s", vs->rs) < 0)
                return map_oom(m);
        /* the real servers' block ends with a newline femit adds again */
        Field *rs = NULL;
        for (size_t i = 0; i < f.n; i++)
                if (streq(f.items[i].key, "real_servers"))
                        rs = &f.items[i];
        if (rs) {
                size_t l = strlen(rs->value);
                if (l > 0 && rs->value[l - 1] == '\n')
                        rs->value[l - 1] = '\0';
        }
        femit(m->vs, &f, 4, true, order);
        m->n_vs++;

        for (size_t i = 0; i < vs->n_notify; i++) {
                static const char *const norder[] = { "notify_up", "notify_down", NULL };
                char rid[ADDR_STR_MAX + 8], name[sizeof id + sizeof rid + 1];
                addr_port_id(rid, sizeof rid, vs->notify[i].rs, vs->notify[i].port ? vs->notify[i].port : t->port);
                snprintf(name, sizeof name, "%s/%s", id, rid);
                _cleanup_free_ char *q = y_quoted(name);
                if (!q)
                        return map_oom(m);
                map_printf(m, m->notify, "  - check: %s\n", q);
                femit(m->notify, &vs->notify[i].f, 4, false, norder);
                m->n_notify++;
        }
}

void map_virtual_server(KcMap *m, KcNode *b) {
        _cleanup_(vs_done) Vs vs = {};
        Target *targets = NULL;
        size_t n_targets = 0;
        bool fwmark = false;

        if (streq(b->args[0], "group")) {
                if (b->n_args != 2) {
                        map_error(m, b, "virtual_server group: expected 'virtual_server group NAME {'");
                        return;
                }
                if (!group_targets(m, b, b->args[1], &targets, &n_targets))
                        goto done;
        } else if (streq(b->args[0], "fwmark")) {
                int64_t v;
                if (b->n_args != 2) {
                        map_error(m, b, "virtual_server fwmark: expected 'virtual_server fwmark N {'");
                        return;
                }
                if (!map_int(m, b, b->args[1], 1, UINT32_MAX, &v))
                        return;
                if (push_target(&targets, &n_targets, NULL, 0, (uint32_t) v, NULL) < 0)
                        goto oom;
                fwmark = true;
        } else {
                uint16_t port = 0;
                if (b->n_args > 2) {
                        map_error(m, b, "virtual_server: expected 'virtual_server ADDRESS [PORT] {'");
                        return;
                }
                if (!map_address(m, b, b->args[0], false, NULL) || (b->n_args == 2 && !map_port(m, b, b->args[1], &port)))
                        return;
                if (push_target(&targets, &n_targets, b->args[0], port, 0, NULL) < 0)
                        goto oom;
        }

        bool any_fwmark = false;
        for (size_t i = 0; i < n_targets; i++)
                any_fwmark = any_fwmark || !targets[i].address;
        bool zero_port = false;
        for (size_t i = 0; i < n_targets; i++)
                zero_port = zero_port || (targets[i].address && targets[i].port == 0);
        map_vs_body(m, b, &vs, zero_port);
        if (!(vs.rs_f = open_memstream(&vs.rs, &vs.rs_len)))
                goto oom;
        for (size_t i = 0; i < b->n_children; i++)
                if (streq(b->children[i]->keyword, "real_server"))
                        map_real_server(m, b, i, &vs, n_targets == 1 ? targets[0].port : 0,
                                        fwmark || streq(b->args[0], "group"), any_fwmark);
        bool any_rs = false;
        for (size_t i = 0; i < b->n_children; i++)
                any_rs = any_rs || streq(b->children[i]->keyword, "real_server");
        if (!any_rs)
                map_warn(m, b, "virtual_server without real servers: it is configured empty (no traffic is served)");
        if (fclose(vs.rs_f) != 0) {
                vs.rs_f = NULL;
                goto oom;
        }
        vs.rs_f = NULL;
        if (vs.n_rs == 0) {
                free(vs.rs);
                vs.rs = NULL;
        }
        if (fget(&vs.f, "family") && !fwmark)
                map_noop(m, b, "ip_family only matters for fwmark services");

        for (size_t i = 0; i < n_targets && !m->oom; i++) {
                Target t = targets[i];
                if (fwmark && fget(&vs.f, "family"))
                        t.family = NULL; /* already in the fields */
                emit_vs(m, &vs, &t);
        }
        goto done;
oom:
        map_oom(m);
done:
        for (size_t i = 0; i < n_targets; i++)
                free(targets[i].address);
        free(targets);
}
