/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ipvsadm-save -n` (and ipvsadm -R input) → IpvsTable → YAML virtual_servers.
 * Pure and bounded: any bytes give a table or an error naming the line and
 * the option (fuzzed). */

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ipvs-format.h"
#include "macro.h"

#define MAX_LINE 4096
#define MAX_ARGS 64

static int import_err(char *err, size_t errlen, unsigned line, const char *fmt, ...) _printf_(4, 5);
static int import_err(char *err, size_t errlen, unsigned line, const char *fmt, ...) {
        va_list ap;
        int n = snprintf(err, errlen, "line %u: ", line);
        if (n >= 0 && (size_t) n < errlen) {
                va_start(ap, fmt);
                vsnprintf(err + n, errlen - (size_t) n, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *ret) {
        char *end;
        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v > max)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

typedef struct Line {
        char cmd;                /* 'A' add service, 'a' add dest */
        IpvsService svc;
        bool has_svc;
        IpvsDest dest;
        bool has_dest;
        bool dest_port_given;
        bool persistent;
        bool has_netmask;
        char netmask_text[INET6_ADDRSTRLEN];
} Line;

static int parse_addr_port(const char *s, bool port_required, int *af, union in_addr_union *a, uint16_t *port, bool *port_given) {
        *port_given = false;
        if (parse_address_port(s, af, a, port) >= 0) {
                *port_given = true;
                return 0;
        }
        if (port_required)
                return -EINVAL;
        /* "10.0.0.1" or "[2001:db8::1]" without a port */
        char buf[INET6_ADDRSTRLEN + 3];
        size_t l = strlen(s);
        if (l >= sizeof buf)
                return -EINVAL;
        if (s[0] == '[' && l > 2 && s[l - 1] == ']') {
                memcpy(buf, s + 1, l - 2);
                buf[l - 2] = 0;
        } else
                strcpy(buf, s);
        *port = 0;
        return parse_address(buf, af, a);
}

/* Long and short spellings ipvsadm accepts. */
static const struct {
        const char *name;
        char code;
        bool arg;
} save_options[] = {
        { "-A", 'A', false }, { "--add-service", 'A', false },
        { "-E", 'A', false }, { "--edit-service", 'A', false },
        { "-a", 'a', false }, { "--add-server", 'a', false },
        { "-e", 'a', false }, { "--edit-server", 'a', false },
        { "-t", 't', true }, { "--tcp-service", 't', true },
        { "-u", 'u', true }, { "--udp-service", 'u', true },
        { "--sctp-service", 'S', true },
        { "-f", 'f', true }, { "--fwmark-service", 'f', true },
        { "-6", '6', false }, { "--ipv6", '6', false },
        { "-s", 's', true }, { "--scheduler", 's', true },
        { "-p", 'p', false }, { "--persistent", 'p', false },
        { "-M", 'M', true }, { "--netmask", 'M', true },
        { "-b", 'b', true }, { "--sched-flags", 'b', true },
        { "-o", 'o', false }, { "--ops", 'o', false },
        { "--pe", 'P', true },
        { "-r", 'r', true }, { "--real-server", 'r', true },
        { "-g", 'g', false }, { "--gatewaying", 'g', false },
        { "-m", 'm', false }, { "--masquerading", 'm', false },
        { "-i", 'i', false }, { "--ipip", 'i', false },
        { "-w", 'w', true }, { "--weight", 'w', true },
        { "-x", 'x', true }, { "--u-threshold", 'x', true },
        { "-y", 'y', true }, { "--l-threshold", 'y', true },
        { "--tun-type", 'T', true },
        { "--tun-port", 'R', true },
        { "--tun-nocsum", 'N', false },
        { "--tun-csum", 'C', false },
        { "--tun-remcsum", 'X', false },
};

static int parse_line(char **argv, int argc, unsigned ln, Line *l, char *err, size_t errlen) {
        uint32_t v;

        *l = (Line) {};
        l->svc.netmask = 0xffffffffu;
        l->dest.weight = 1;
        for (int i = 0; i < argc; i++) {
                const char *o = argv[i];
                char code = 0;
                bool arg = false;
                for (size_t k = 0; k < ELEMENTSOF(save_options); k++)
                        if (streq(o, save_options[k].name)) {
                                code = save_options[k].code;
                                arg = save_options[k].arg;
                                break;
                        }
                if (!code)
                        return import_err(err, errlen, ln, "unknown option '%.64s'", o);
                const char *val = NULL;
                if (arg) {
                        if (i + 1 >= argc)
                                return import_err(err, errlen, ln, "option %s needs a value", o);
                        val = argv[++i];
                }
                switch (code) {
                case 'A':
                case 'a':
                        if (l->cmd)
                                return import_err(err, errlen, ln, "two commands on one line");
                        l->cmd = code;
                        break;
                case 't':
                case 'u':
                case 'S': {
                        bool given;
                        if (l->has_svc)
                                return import_err(err, errlen, ln, "two services on one line");
                        if (parse_addr_port(val, true, &l->svc.key.af, &l->svc.key.addr, &l->svc.key.port, &given) < 0)
                                return import_err(err, errlen, ln, "%s: '%.64s' is not ADDRESS:PORT", o, val);
                        l->svc.key.protocol = code == 't' ? IPPROTO_TCP : code == 'u' ? IPPROTO_UDP : IPPROTO_SCTP;
                        l->has_svc = true;
                        break;
                }
                case 'f':
                        if (l->has_svc)
                                return import_err(err, errlen, ln, "two services on one line");
                        if (parse_u32(val, UINT32_MAX, &v) < 0 || v == 0)
                                return import_err(err, errlen, ln, "-f: '%.64s' is not a firewall mark (1..4294967295)", val);
                        l->svc.key.fwmark = v;
                        if (l->svc.key.af == 0)
                                l->svc.key.af = AF_INET;
                        l->has_svc = true;
                        break;
                case '6':
                        l->svc.key.af = AF_INET6;
                        break;
                case 's':
                        if (strlen(val) >= sizeof l->svc.sched_name || !*val)
                                return import_err(err, errlen, ln, "-s: bad scheduler name '%.64s'", val);
                        strcpy(l->svc.sched_name, val);
                        break;
                case 'p':
                        l->persistent = true;
                        l->svc.timeout = 300; /* ipvsadm's default */
                        if (i + 1 < argc && argv[i + 1][0] != '-') {
                                if (parse_u32(argv[++i], UINT32_MAX, &v) < 0 || v == 0)
                                        return import_err(err, errlen, ln, "-p: '%.64s' is not a timeout in seconds", argv[i]);
                                l->svc.timeout = v;
                        }
                        break;
                case 'M':
                        if (strlen(val) >= sizeof l->netmask_text)
                                return import_err(err, errlen, ln, "-M: bad netmask");
                        strcpy(l->netmask_text, val);
                        l->has_netmask = true;
                        break;
                case 'b': {
                        char buf[128], *p = buf, *tok;
                        if (strlen(val) >= sizeof buf)
                                return import_err(err, errlen, ln, "-b: too long");
                        strcpy(buf, val);
                        while ((tok = strsep(&p, ","))) {
                                if (streq(tok, "sh-fallback") || streq(tok, "mh-fallback") || streq(tok, "flag-1"))
                                        l->svc.flags |= IP_VS_SVC_F_SCHED1;
                                else if (streq(tok, "sh-port") || streq(tok, "mh-port") || streq(tok, "flag-2"))
                                        l->svc.flags |= IP_VS_SVC_F_SCHED2;
                                else if (streq(tok, "flag-3"))
                                        l->svc.flags |= IP_VS_SVC_F_SCHED3;
                                else
                                        return import_err(err, errlen, ln, "-b: unknown scheduler flag '%.32s'", tok);
                        }
                        break;
                }
                case 'o':
                        l->svc.flags |= IP_VS_SVC_F_ONEPACKET;
                        break;
                case 'P':
                        if (strlen(val) >= sizeof l->svc.pe_name)
                                return import_err(err, errlen, ln, "--pe: name too long");
                        strcpy(l->svc.pe_name, val);
                        break;
                case 'r':
                        if (l->has_dest)
                                return import_err(err, errlen, ln, "two real servers on one line");
                        if (parse_addr_port(val, false, &l->dest.af, &l->dest.addr, &l->dest.port, &l->dest_port_given) < 0)
                                return import_err(err, errlen, ln, "-r: '%.64s' is not ADDRESS[:PORT]", val);
                        l->has_dest = true;
                        break;
                case 'g':
                        l->dest.conn_flags = IP_VS_CONN_F_DROUTE;
                        break;
                case 'm':
                        l->dest.conn_flags = IP_VS_CONN_F_MASQ;
                        break;
                case 'i':
                        l->dest.conn_flags = IP_VS_CONN_F_TUNNEL;
                        break;
                case 'w':
                        if (parse_u32(val, 65535, &v) < 0)
                                return import_err(err, errlen, ln, "-w: '%.64s' is not a weight (0..65535)", val);
                        l->dest.weight = (int) v;
                        break;
                case 'x':
                case 'y':
                        if (parse_u32(val, UINT32_MAX, &v) < 0)
                                return import_err(err, errlen, ln, "%s: '%.64s' is not a connection count", o, val);
                        if (code == 'x')
                                l->dest.u_threshold = v;
                        else
                                l->dest.l_threshold = v;
                        break;
                case 'T':
                        if (streq(val, "ipip"))
                                l->dest.tun_type = IP_VS_CONN_F_TUNNEL_TYPE_IPIP;
                        else if (streq(val, "gue"))
                                l->dest.tun_type = IP_VS_CONN_F_TUNNEL_TYPE_GUE;
                        else if (streq(val, "gre"))
                                l->dest.tun_type = IP_VS_CONN_F_TUNNEL_TYPE_GRE;
                        else
                                return import_err(err, errlen, ln, "--tun-type: '%.32s' is not ipip, gue or gre", val);
                        break;
                case 'R':
                        if (parse_u32(val, 65535, &v) < 0 || v == 0)
                                return import_err(err, errlen, ln, "--tun-port: '%.64s' is not a port", val);
                        l->dest.tun_port = (uint16_t) v;
                        break;
                case 'N':
                        l->dest.tun_flags = IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM;
                        break;
                case 'C':
                        l->dest.tun_flags = IP_VS_TUNNEL_ENCAP_FLAG_CSUM;
                        break;
                case 'X':
                        l->dest.tun_flags = IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM;
                        break;
                default:
                        break;
                }
        }
        if (!l->cmd)
                return import_err(err, errlen, ln, "no -A or -a: not an ipvsadm-save line");
        if (!l->has_svc)
                return import_err(err, errlen, ln, "no service (-t, -u, --sctp-service or -f)");
        if (l->cmd == 'a' && !l->has_dest)
                return import_err(err, errlen, ln, "-a without -r");
        if (l->cmd == 'A') {
                if (!l->svc.sched_name[0])
                        strcpy(l->svc.sched_name, "wlc");
                if (l->persistent)
                        l->svc.flags |= IP_VS_SVC_F_PERSISTENT;
                l->svc.netmask = l->svc.key.af == AF_INET6 ? 128 : 0xffffffffu;
                if (l->has_netmask) {
                        if (l->svc.key.af == AF_INET6) {
                                if (parse_u32(l->netmask_text, 128, &v) < 0)
                                        return import_err(err, errlen, ln, "-M: '%s' is not an IPv6 prefix length", l->netmask_text);
                                l->svc.netmask = v;
                        } else {
                                struct in_addr m;
                                if (inet_pton(AF_INET, l->netmask_text, &m) != 1)
                                        return import_err(err, errlen, ln, "-M: '%s' is not a netmask", l->netmask_text);
                                uint32_t h = ntohl(m.s_addr);
                                if (h != 0 && (~h & (~h + 1)) != 0)
                                        return import_err(err, errlen, ln, "-M: '%s' is not a contiguous netmask", l->netmask_text);
                                l->svc.netmask = m.s_addr;
                        }
                }
        }
        return 0;
}

typedef struct ServiceRef {
        const IpvsServiceKey *key;
        unsigned line;
} ServiceRef;

static int service_ref_compare(const void *a, const void *b) {
        const ServiceRef *x = a, *y = b;
        int c = ipvs_service_key_compare(x->key, y->key);
        return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

/* lines[i] is where services[i] was defined; reports the second definition. */
static int check_duplicate_services(const IpvsTable *t, const unsigned *lines, char *err, size_t errlen) {
        if (t->n_services < 2)
                return 0;
        _cleanup_free_ ServiceRef *refs = calloc(t->n_services, sizeof *refs);
        if (!refs)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_services; i++)
                refs[i] = (ServiceRef) { &t->services[i].key, lines[i] };
        qsort(refs, t->n_services, sizeof *refs, service_ref_compare);
        unsigned first_dup = 0;
        for (size_t i = 1; i < t->n_services; i++)
                if (ipvs_service_key_compare(refs[i - 1].key, refs[i].key) == 0 &&
                    (first_dup == 0 || refs[i].line < first_dup))
                        first_dup = refs[i].line;
        if (first_dup > 0)
                return import_err(err, errlen, first_dup, "service defined twice");
        return 0;
}

int ipvs_import_save(const char *text, size_t len, IpvsTable *ret, char *err, size_t errlen) {
        _cleanup_ipvs_table_ IpvsTable t = {};
        _cleanup_free_ unsigned *lines = NULL;
        size_t n_lines_alloc = 0;
        const char *p = text, *end = text + len;
        unsigned ln = 0;
        int r;

        err[0] = 0;
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                size_t l = eol ? (size_t) (eol - p) : (size_t) (end - p);
                char buf[MAX_LINE], *argv[MAX_ARGS], *s, *tok;
                int argc = 0;
                Line line;

                ln++;
                if (l >= sizeof buf)
                        return import_err(err, errlen, ln, "line longer than %d bytes", MAX_LINE - 1);
                memcpy(buf, p, l);
                buf[l] = 0;
                p = eol ? eol + 1 : end;
                if (memchr(buf, 0, l))
                        return import_err(err, errlen, ln, "NUL byte in the input");
                s = buf;
                while ((tok = strsep(&s, " \t\r"))) {
                        if (!*tok)
                                continue;
                        if (argc == 0 && tok[0] == '#')
                                break;
                        if (argc >= MAX_ARGS)
                                return import_err(err, errlen, ln, "more than %d words", MAX_ARGS);
                        argv[argc++] = tok;
                }
                if (argc == 0)
                        continue;
                if (argc == 1 && (streq(argv[0], "-C") || streq(argv[0], "--clear")))
                        continue; /* restore files often start with a flush; a config has nothing to flush */
                r = parse_line(argv, argc, ln, &line, err, errlen);
                if (r < 0)
                        return r;
                if (line.cmd == 'A') {
                        /* duplicates are found once at the end, after a sort:
                         * a scan per -A made 10,000 services quadratic */
                        if (t.n_services >= n_lines_alloc) {
                                size_t n = n_lines_alloc ? n_lines_alloc * 2 : 64;
                                unsigned *nl = reallocarray(lines, n, sizeof *lines);
                                if (!nl)
                                        return -ENOMEM;
                                lines = nl;
                                n_lines_alloc = n;
                        }
                        lines[t.n_services] = ln;
                        if (!ipvs_table_add_service(&t, &line.svc))
                                return -ENOMEM;
                        continue;
                }
                /* ipvsadm-save lists a service's -a lines right after its -A:
                 * try the newest service first, then the others (newest first,
                 * so a duplicate -A is the one the -a lines follow) */
                IpvsService *svc = NULL;
                for (size_t i = t.n_services; i > 0 && !svc; i--)
                        if (ipvs_service_key_compare(&t.services[i - 1].key, &line.svc.key) == 0)
                                svc = &t.services[i - 1];
                if (!svc)
                        return import_err(err, errlen, ln, "-a for a service not added before with -A");
                if (!line.dest_port_given)
                        line.dest.port = svc->key.port;
                for (size_t i = 0; i < svc->n_dests; i++)
                        if (ipvs_dest_key_equal(&svc->dests[i], &line.dest))
                                return import_err(err, errlen, ln, "real server listed twice");
                if (!ipvs_service_add_dest(svc, &line.dest))
                        return -ENOMEM;
        }
        r = check_duplicate_services(&t, lines, err, errlen);
        if (r < 0)
                return r;
        ipvs_table_sort(&t);
        *ret = t;
        t = (IpvsTable) {};
        return 0;
}

/* ---- YAML ---- */

static const char *forwarding_name(uint32_t conn_flags) {
        switch (conn_flags & IP_VS_CONN_F_FWD_MASK) {
        case IP_VS_CONN_F_DROUTE: return "dr";
        case IP_VS_CONN_F_TUNNEL: return "tun";
        default: return "nat";
        }
}

int ipvs_table_format_yaml(const IpvsTable *t, FILE *f) {
        fputs("virtual_servers:\n", f);
        if (t->n_services == 0)
                fputs("  []\n", f);
        for (size_t i = 0; i < t->n_services; i++) {
                const IpvsService *s = &t->services[i];
                char a[ADDR_STR_MAX], fl[64];

                if (s->key.fwmark) {
                        fprintf(f, "  - fwmark: %u\n", s->key.fwmark);
                        if (s->key.af == AF_INET6)
                                fputs("    family: inet6\n", f);
                } else {
                        fprintf(f, "  - address: \"%s\"\n", format_address(a, sizeof a, s->key.af, &s->key.addr));
                        fprintf(f, "    port: %u\n", s->key.port);
                        fprintf(f, "    protocol: %s\n", ipvs_protocol_name(s->key.protocol) ?: "tcp");
                }
                fprintf(f, "    scheduler: %s\n", s->sched_name);

                /* flags, one-packet first like ipvsadm's -o */
                ipvs_sched_flags_format(fl, sizeof fl, s->sched_name, s->flags);
                if ((s->flags & IP_VS_SVC_F_ONEPACKET) || fl[0]) {
                        fputs("    flags: [", f);
                        bool first = true;
                        if (s->flags & IP_VS_SVC_F_ONEPACKET) {
                                fputs("one-packet", f);
                                first = false;
                        }
                        for (char *p = fl, *tok; (tok = strsep(&p, ",")) && *tok; first = false)
                                fprintf(f, "%s%s", first ? "" : ", ", tok);
                        fputs("]\n", f);
                }

                /* the forwarding most dests use becomes the service's; the rest override */
                unsigned count[4] = {};
                for (size_t j = 0; j < s->n_dests; j++)
                        count[s->dests[j].conn_flags & 3]++;
                uint32_t common = IP_VS_CONN_F_MASQ;
                if (count[IP_VS_CONN_F_DROUTE] > count[common])
                        common = IP_VS_CONN_F_DROUTE;
                if (count[IP_VS_CONN_F_TUNNEL] > count[common])
                        common = IP_VS_CONN_F_TUNNEL;
                fprintf(f, "    forwarding: %s\n", forwarding_name(common));

                if (s->flags & IP_VS_SVC_F_PERSISTENT) {
                        fprintf(f, "    persistence: {timeout: %us", s->timeout);
                        if (s->key.af == AF_INET6 && s->netmask != 128)
                                fprintf(f, ", prefix: %u", s->netmask);
                        else if (s->key.af == AF_INET && s->netmask != 0xffffffffu) {
                                struct in_addr m = { .s_addr = s->netmask };
                                char mb[INET_ADDRSTRLEN];
                                fprintf(f, ", netmask: %s", inet_ntop(AF_INET, &m, mb, sizeof mb));
                        }
                        fputs("}\n", f);
                }
                if (s->pe_name[0])
                        fprintf(f, "    # ipvsadm --pe %s has no vigil equivalent; left out\n", s->pe_name);

                fputs("    real_servers:", f);
                if (s->n_dests == 0)
                        fputs(" []", f);
                fputc('\n', f);
                for (size_t j = 0; j < s->n_dests; j++) {
                        const IpvsDest *d = &s->dests[j];
                        uint32_t fwd = d->conn_flags & IP_VS_CONN_F_FWD_MASK;
                        fprintf(f, "      - address: \"%s\"\n", format_address(a, sizeof a, d->af, &d->addr));
                        /* DR and TUN keep the service port; a fwmark service's port 0 means "as sent" */
                        if (fwd == IP_VS_CONN_F_MASQ && d->port != 0 && (s->key.fwmark || d->port != s->key.port))
                                fprintf(f, "        port: %u\n", d->port);
                        if (d->weight != 1)
                                fprintf(f, "        weight: %d\n", d->weight);
                        if (fwd != common)
                                fprintf(f, "        forwarding: %s\n", forwarding_name(fwd));
                        if (fwd == IP_VS_CONN_F_TUNNEL && d->tun_type != IP_VS_CONN_F_TUNNEL_TYPE_IPIP) {
                                if (d->tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GUE)
                                        fprintf(f, "        tunnel: {type: gue, port: %u}\n", d->tun_port);
                                else
                                        fputs("        tunnel: {type: gre}\n", f);
                        }
                        if (d->u_threshold)
                                fprintf(f, "        upper_threshold: %u\n", d->u_threshold);
                        if (d->l_threshold)
                                fprintf(f, "        lower_threshold: %u\n", d->l_threshold);
                }
        }
        return ferror(f) ? -EIO : 0;
}
