/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "check-key.h"
#include "macro.h"

static const char *const type_names[_CHECK_TYPE_MAX] = {
        [CHECK_TCP] = "tcp", [CHECK_HTTP] = "http", [CHECK_HTTPS] = "https", [CHECK_SMTP] = "smtp",
        [CHECK_DNS] = "dns", [CHECK_UDP] = "udp", [CHECK_PING] = "ping", [CHECK_EXEC] = "exec",
        [CHECK_FILE] = "file",
};

const char *check_type_name(CheckType t) {
        return (unsigned) t < _CHECK_TYPE_MAX ? type_names[t] : "invalid";
}

const char *check_target_to_string(const CheckTarget *t, char *buf, size_t len) {
        char a[ADDR_STR_MAX];

        if (t->address.family == AF_UNSPEC) {
                snprintf(buf, len, "%s", "");
                return buf;
        }
        format_address(a, sizeof a, t->address.family, &t->address.addr);
        if (t->port == 0)
                snprintf(buf, len, "%s", a);
        else if (t->address.family == AF_INET6)
                snprintf(buf, len, "[%s]:%u", a, t->port);
        else
                snprintf(buf, len, "%s:%u", a, t->port);
        return buf;
}

/* Strings are written with their length so that no value can be crafted to
 * look like another field. */
static void put_str(FILE *f, const char *k, const char *v) {
        if (v)
                fprintf(f, "%s=%zu:%s;", k, strlen(v), v);
        else
                fprintf(f, "%s=-;", k);
}

static void put_strv(FILE *f, const char *k, char **l) {
        fprintf(f, "%s=[", k);
        STRV_FOREACH(s, l)
                fprintf(f, "%zu:%s,", strlen(*s), *s);
        fputs("];", f);
}

static void put_addr(FILE *f, const char *k, const InAddrPrefix *p) {
        char b[ADDR_STR_MAX + 8];
        if (p->family == AF_UNSPEC)
                fprintf(f, "%s=-;", k);
        else
                fprintf(f, "%s=%s;", k, format_address_prefix(b, sizeof b, p));
}

int check_key(const CheckConf *c, const CheckTarget *t, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        fprintf(f, "type=%s;", check_type_name(c->type));
        put_addr(f, "target", &t->address);
        fprintf(f, "port=%u;", t->port);
        put_addr(f, "bind", &c->bind_address);
        put_str(f, "bind_if", c->bind_interface);
        fprintf(f, "mark=%" PRIu32 ";interval=%" PRIu64 ";timeout=%" PRIu64 ";retry=%u;dbr=%" PRIu64
                   ";fall=%u;rise=%u;warmup=%" PRIu64 ";init=%d;od=%d;weight=%d;",
                c->fwmark, c->interval, c->timeout, c->retry, c->delay_before_retry, c->fall, c->rise,
                c->warmup, (int) c->initial_state, c->on_demand, c->weight);

        switch (c->type) {
        case CHECK_HTTP:
        case CHECK_HTTPS:
                put_str(f, "method", c->method);
                put_str(f, "path", c->path);
                put_str(f, "vhost", c->virtualhost);
                fprintf(f, "ver=%d;status=", c->http_version);
                for (size_t i = 0; i < c->n_status; i++)
                        fprintf(f, "%u-%u,", c->status[i].lo, c->status[i].hi);
                put_str(f, ";digest", c->digest);
                put_str(f, "regex", c->regex);
                fprintf(f, "max_body=%" PRIu64 ";", c->max_body);
                put_strv(f, "headers", c->headers);
                if (c->type == CHECK_HTTPS) {
                        fprintf(f, "verify=%d;", c->tls_verify);
                        put_str(f, "sni", c->sni);
                        put_str(f, "ca", c->ca_file);
                        put_str(f, "cert", c->cert_file);
                        put_str(f, "key", c->key_file);
                }
                break;
        case CHECK_SMTP:
                put_str(f, "helo", c->helo_name);
                break;
        case CHECK_DNS:
                put_str(f, "qname", c->query_name);
                put_str(f, "qtype", c->query_type);
                fprintf(f, "tcp=%d;rcode=%d;", c->dns_tcp, c->expect_rcode);
                put_str(f, "answer", c->expect_answer);
                break;
        case CHECK_UDP:
                put_str(f, "payload", c->payload);
                put_str(f, "expect", c->expect);
                fprintf(f, "require_reply=%d;", c->require_reply);
                break;
        case CHECK_EXEC:
                put_strv(f, "command", c->command);
                fprintf(f, "shell=%d;dynamic=%d;max_output=%" PRIu64 ";", c->shell, c->dynamic, c->max_output);
                break;
        case CHECK_FILE:
                put_str(f, "file", c->file_path);
                fprintf(f, "default=%d;down_on_zero=%d;", c->file_default_weight, c->file_down_on_zero);
                break;
        default:
                break;
        }

        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}
