/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Listings in ipvsadm's layout, so operators' eyes and scripts keep working:
 * `ipvsadm -Ln` (with --stats, --rate, --exact, --thresholds) and
 * `ipvsadm -Lnc` from /proc/net/ip_vs_conn. Pure. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ipvs-format.h"
#include "macro.h"

static const char *proto_label(const IpvsServiceKey *k) {
        if (k->fwmark)
                return "FWM";
        switch (k->protocol) {
        case IPPROTO_TCP: return "TCP";
        case IPPROTO_UDP: return "UDP";
        case IPPROTO_SCTP: return "SCTP";
        default: return "?";
        }
}

/* "TCP  10.0.0.1:80", "FWM  8 IPv6" */
static void service_label(char *buf, size_t len, const IpvsServiceKey *k) {
        char a[IPVS_KEY_STR_MAX];
        if (k->fwmark)
                snprintf(buf, len, "%-4s %u%s", proto_label(k), k->fwmark, k->af == AF_INET6 ? " IPv6" : "");
        else
                snprintf(buf, len, "%-4s %s", proto_label(k), ipvs_dest_format(a, sizeof a, k->af, &k->addr, k->port));
}

/* ipvsadm's print_largenum(): 9 columns, K/M/G/T suffixes unless exact. */
static void largenum(FILE *f, uint64_t i, bool exact) {
        if (exact)
                fprintf(f, " %8" PRIu64, i);
        else if (i < 100000000ULL)
                fprintf(f, "%9" PRIu64, i);
        else if (i < 1000000000ULL)
                fprintf(f, "%8" PRIu64 "K", i / (uint64_t) 1000);
        else if (i < 100000000000ULL)
                fprintf(f, "%8" PRIu64 "M", i / (uint64_t) 1000000);
        else if (i < 100000000000000ULL)
                fprintf(f, "%8" PRIu64 "G", i / (uint64_t) 1000000000);
        else
                fprintf(f, "%8" PRIu64 "T", i / (uint64_t) 1000000000000);
}

static void numbers(FILE *f, const IpvsStats *s, IpvsListFlags flags) {
        bool exact = flags & IPVS_LIST_EXACT;
        if (flags & IPVS_LIST_STATS) {
                largenum(f, s->conns, exact);
                largenum(f, s->inpkts, exact);
                largenum(f, s->outpkts, exact);
                largenum(f, s->inbytes, exact);
                largenum(f, s->outbytes, exact);
        } else {
                largenum(f, s->cps, exact);
                largenum(f, s->inpps, exact);
                largenum(f, s->outpps, exact);
                largenum(f, s->inbps, exact);
                largenum(f, s->outbps, exact);
        }
        fputc('\n', f);
}

int ipvs_table_format_list(const IpvsTable *t, IpvsListFlags flags, FILE *f) {
        bool numeric = flags & (IPVS_LIST_STATS | IPVS_LIST_RATE);

        if (flags & IPVS_LIST_STATS)
                fprintf(f, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Conns",
                        "InPkts", "OutPkts", "InBytes", "OutBytes");
        else if (flags & IPVS_LIST_RATE)
                fprintf(f, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "CPS",
                        "InPPS", "OutPPS", "InBPS", "OutBPS");
        else if (flags & IPVS_LIST_THRESHOLDS)
                fprintf(f, "%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port",
                        "Uthreshold", "Lthreshold", "ActiveConn", "InActConn");
        else
                fputs("Prot LocalAddress:Port Scheduler Flags\n"
                      "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n", f);

        for (size_t i = 0; i < t->n_services; i++) {
                const IpvsService *s = &t->services[i];
                char label[IPVS_KEY_STR_MAX + 16];

                service_label(label, sizeof label, &s->key);
                if (numeric) {
                        fprintf(f, "%-33s", label);
                        numbers(f, &s->stats, flags);
                } else {
                        char fl[64];
                        fprintf(f, "%s %s", label, s->sched_name);
                        ipvs_sched_flags_format(fl, sizeof fl, s->sched_name, s->flags);
                        if (fl[0])
                                fprintf(f, " (%s)", fl);
                        if (s->flags & IP_VS_SVC_F_PERSISTENT) {
                                fprintf(f, " persistent %u", s->timeout);
                                if (s->key.af == AF_INET && s->netmask != 0xffffffffu) {
                                        struct in_addr m = { .s_addr = s->netmask };
                                        char mb[INET_ADDRSTRLEN];
                                        fprintf(f, " mask %s", inet_ntop(AF_INET, &m, mb, sizeof mb));
                                } else if (s->key.af == AF_INET6 && s->netmask != 128)
                                        fprintf(f, " mask %u", s->netmask);
                                if (s->pe_name[0])
                                        fprintf(f, " pe %s", s->pe_name);
                        }
                        if (s->flags & IP_VS_SVC_F_ONEPACKET)
                                fputs(" ops", f);
                        fputc('\n', f);
                }
                for (size_t j = 0; j < s->n_dests; j++) {
                        const IpvsDest *d = &s->dests[j];
                        char dn[IPVS_KEY_STR_MAX];
                        ipvs_dest_format(dn, sizeof dn, d->af, &d->addr, d->port);
                        if (numeric) {
                                fprintf(f, "  -> %-28s", dn);
                                numbers(f, &d->stats, flags);
                        } else if (flags & IPVS_LIST_THRESHOLDS)
                                fprintf(f, "  -> %-28s %-10u %-10u %-10u %-10u\n", dn, d->u_threshold, d->l_threshold,
                                        d->active_conns, d->inact_conns);
                        else
                                fprintf(f, "  -> %-28s %-7s %-6d %-10u %-10u\n", dn, ipvs_fwd_name(d->conn_flags), d->weight,
                                        d->active_conns, d->inact_conns);
                }
        }
        return ferror(f) ? -EIO : 0;
}

/* ---- connections ---- */

static int parse_hex_u16(const char *s, uint16_t *ret) {
        char *end;
        if (!*s)
                return -EINVAL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 16);
        if (errno || *end || v > 0xffff)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

/* v4 as 8 hex digits, v6 as the kernel's %pI6 (full, with colons). */
static int parse_conn_addr(const char *s, int *af, union in_addr_union *a) {
        *a = (union in_addr_union) {};
        if (strchr(s, ':')) {
                if (inet_pton(AF_INET6, s, &a->in6) != 1)
                        return -EINVAL;
                *af = AF_INET6;
                return 0;
        }
        char *end;
        if (strlen(s) != 8)
                return -EINVAL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 16);
        if (errno || *end)
                return -EINVAL;
        a->in.s_addr = htonl((uint32_t) v);
        *af = AF_INET;
        return 0;
}

int ipvs_conn_parse_line(const char *line, IpvsConn *ret) {
        char buf[512], *tok[12], *s, *t;
        size_t n = 0;
        IpvsConn c = {};
        int af2, af3;

        if (strlen(line) >= sizeof buf)
                return -EINVAL;
        strcpy(buf, line);
        s = buf;
        while (n < ELEMENTSOF(tok) && (t = strsep(&s, " \t\n"))) {
                if (*t)
                        tok[n++] = t;
        }
        if (n >= 1 && streq(tok[0], "Pro"))
                return -ENODATA;
        if (n < 9)
                return -EINVAL;
        if (strlen(tok[0]) >= sizeof c.protocol || strlen(tok[7]) >= sizeof c.state)
                return -EINVAL;
        strcpy(c.protocol, tok[0]);
        if (parse_conn_addr(tok[1], &c.af, &c.client) < 0 || parse_hex_u16(tok[2], &c.cport) < 0 ||
            parse_conn_addr(tok[3], &af2, &c.virt) < 0 || parse_hex_u16(tok[4], &c.vport) < 0 ||
            parse_conn_addr(tok[5], &af3, &c.dest) < 0 || parse_hex_u16(tok[6], &c.dport) < 0)
                return -EINVAL;
        if (af2 != c.af)
                return -EINVAL;
        strcpy(c.state, tok[7]);
        char *end;
        errno = 0;
        unsigned long e = strtoul(tok[8], &end, 10);
        if (errno || *end || e > UINT32_MAX)
                return -EINVAL;
        c.expires = (unsigned) e;
        c.dest_af = af3;
        *ret = c;
        return 0;
}

void ipvs_conn_format(const IpvsConn *c, FILE *f) {
        char cn[IPVS_KEY_STR_MAX], vn[IPVS_KEY_STR_MAX], dn[IPVS_KEY_STR_MAX];
        int daf = c->dest_af ? c->dest_af : c->af;
        fprintf(f, "%-3s %02u:%02u  %-11s %-18s %-18s %s\n", c->protocol, c->expires / 60, c->expires % 60, c->state,
                ipvs_dest_format(cn, sizeof cn, c->af, &c->client, c->cport),
                ipvs_dest_format(vn, sizeof vn, c->af, &c->virt, c->vport),
                ipvs_dest_format(dn, sizeof dn, daf, &c->dest, c->dport));
}
