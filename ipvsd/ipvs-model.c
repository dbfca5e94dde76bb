/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Desired IPVS state from the config, and the minimal diff against the
 * kernel's table. Pure: no I/O apart from writing text to a FILE*. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipvs-model.h"
#include "macro.h"

/* ---- tables ---- */

static void ipvs_service_done(IpvsService *s) {
        free(s->dests);
        free(s->id);
        s->dests = NULL;
        s->id = NULL;
        s->n_dests = 0;
}

void ipvs_table_done(IpvsTable *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n_services; i++)
                ipvs_service_done(&t->services[i]);
        free(t->services);
        t->services = NULL;
        t->n_services = 0;
}

/* Grow by doubling: 10,000 services or dests must not cost 10,000 reallocs.
 * The capacity is implicit (4, 8, 16, ...): grow when n reaches it. */
static int grow(void **p, size_t n, size_t size) {
        if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
                return 0;
        void *q = reallocarray(*p, n == 0 ? 4 : n * 2, size);
        if (!q)
                return -ENOMEM;
        *p = q;
        return 0;
}

IpvsService *ipvs_table_add_service(IpvsTable *t, const IpvsService *s) {
        if (grow((void **) &t->services, t->n_services, sizeof(IpvsService)) < 0)
                return NULL;
        IpvsService *n = &t->services[t->n_services];
        *n = *s;
        n->dests = NULL;
        n->n_dests = 0;
        n->id = NULL;
        if (s->id) {
                n->id = strdup(s->id);
                if (!n->id)
                        return NULL;
        }
        t->n_services++;
        return n;
}

IpvsDest *ipvs_service_add_dest(IpvsService *s, const IpvsDest *d) {
        if (grow((void **) &s->dests, s->n_dests, sizeof(IpvsDest)) < 0)
                return NULL;
        s->dests[s->n_dests] = *d;
        return &s->dests[s->n_dests++];
}

int ipvs_table_copy(const IpvsTable *src, IpvsTable *ret) {
        _cleanup_ipvs_table_ IpvsTable t = {};

        for (size_t i = 0; i < src->n_services; i++) {
                IpvsService *s = ipvs_table_add_service(&t, &src->services[i]);
                if (!s)
                        return -ENOMEM;
                for (size_t j = 0; j < src->services[i].n_dests; j++)
                        if (!ipvs_service_add_dest(s, &src->services[i].dests[j]))
                                return -ENOMEM;
        }
        *ret = t;
        t = (IpvsTable) {};
        return 0;
}

/* ---- keys ---- */

int ipvs_service_key_compare(const IpvsServiceKey *a, const IpvsServiceKey *b) {
        /* fwmark services after address services, like ipvsadm lists them */
        if ((a->fwmark != 0) != (b->fwmark != 0))
                return a->fwmark ? 1 : -1;
        if (a->af != b->af)
                return a->af < b->af ? -1 : 1;
        if (a->fwmark)
                return a->fwmark < b->fwmark ? -1 : a->fwmark > b->fwmark;
        if (a->protocol != b->protocol)
                return a->protocol < b->protocol ? -1 : 1;
        int r = memcmp(&a->addr, &b->addr, family_address_size(a->af));
        if (r != 0)
                return r < 0 ? -1 : 1;
        return a->port < b->port ? -1 : a->port > b->port;
}

static int dest_compare(int af1, const union in_addr_union *a1, uint16_t p1,
                        int af2, const union in_addr_union *a2, uint16_t p2) {
        if (af1 != af2)
                return af1 < af2 ? -1 : 1;
        int r = memcmp(a1, a2, family_address_size(af1));
        if (r != 0)
                return r < 0 ? -1 : 1;
        return p1 < p2 ? -1 : p1 > p2;
}

static int dest_cmp(const void *x, const void *y) {
        const IpvsDest *a = x, *b = y;
        return dest_compare(a->af, &a->addr, a->port, b->af, &b->addr, b->port);
}

static int service_cmp(const void *x, const void *y) {
        return ipvs_service_key_compare(&((const IpvsService *) x)->key, &((const IpvsService *) y)->key);
}

bool ipvs_dest_key_equal(const IpvsDest *a, const IpvsDest *b) {
        return dest_cmp(a, b) == 0;
}

void ipvs_table_sort(IpvsTable *t) {
        if (t->n_services > 1)
                qsort(t->services, t->n_services, sizeof(IpvsService), service_cmp);
        for (size_t i = 0; i < t->n_services; i++)
                if (t->services[i].n_dests > 1)
                        qsort(t->services[i].dests, t->services[i].n_dests, sizeof(IpvsDest), dest_cmp);
}

IpvsService *ipvs_table_find(const IpvsTable *t, const IpvsServiceKey *key) {
        IpvsService probe = { .key = *key };
        if (t->n_services == 0)
                return NULL;
        return bsearch(&probe, t->services, t->n_services, sizeof(IpvsService), service_cmp);
}

IpvsDest *ipvs_service_find_dest(const IpvsService *s, int af, const union in_addr_union *addr, uint16_t port) {
        IpvsDest probe = { .af = af, .addr = *addr, .port = port };
        if (s->n_dests == 0)
                return NULL;
        return bsearch(&probe, s->dests, s->n_dests, sizeof(IpvsDest), dest_cmp);
}

const char *ipvs_protocol_name(uint16_t proto) {
        switch (proto) {
        case IPPROTO_TCP: return "tcp";
        case IPPROTO_UDP: return "udp";
        case IPPROTO_SCTP: return "sctp";
        default: return NULL;
        }
}

const char *ipvs_dest_format(char *buf, size_t len, int af, const union in_addr_union *a, uint16_t port) {
        char s[ADDR_STR_MAX];
        format_address(s, sizeof s, af, a);
        if (af == AF_INET6)
                snprintf(buf, len, "[%s]:%u", s, port);
        else
                snprintf(buf, len, "%s:%u", s, port);
        return buf;
}

int ipvs_service_key_format(const IpvsServiceKey *k, char *buf, size_t len) {
        char a[IPVS_KEY_STR_MAX];
        int n;

        if (k->fwmark)
                n = snprintf(buf, len, "%s:%u", k->af == AF_INET6 ? "fwmark6" : "fwmark", k->fwmark);
        else {
                const char *p = ipvs_protocol_name(k->protocol);
                if (!p)
                        return -EPROTONOSUPPORT;
                n = snprintf(buf, len, "%s:%s", p, ipvs_dest_format(a, sizeof a, k->af, &k->addr, k->port));
        }
        return n < 0 || (size_t) n >= len ? -ENOBUFS : 0;
}

int ipvs_service_key_parse(const char *s, IpvsServiceKey *ret) {
        IpvsServiceKey k = {};
        const char *colon = strchr(s, ':');
        char *end;

        if (!colon)
                return -EINVAL;
        size_t plen = (size_t) (colon - s);
        if ((plen == 6 && strneq(s, "fwmark", 6)) || (plen == 7 && strneq(s, "fwmark6", 7))) {
                errno = 0;
                unsigned long m = strtoul(colon + 1, &end, 10);
                if (errno || *end || m == 0 || m > UINT32_MAX || colon[1] == '-' || colon[1] == '\0')
                        return -EINVAL;
                k.af = plen == 7 ? AF_INET6 : AF_INET;
                k.fwmark = (uint32_t) m;
        } else {
                if (plen == 3 && strneq(s, "tcp", 3))
                        k.protocol = IPPROTO_TCP;
                else if (plen == 3 && strneq(s, "udp", 3))
                        k.protocol = IPPROTO_UDP;
                else if (plen == 4 && strneq(s, "sctp", 4))
                        k.protocol = IPPROTO_SCTP;
                else
                        return -EINVAL;
                if (parse_address_port(colon + 1, &k.af, &k.addr, &k.port) < 0)
                        return -EINVAL;
        }
        *ret = k;
        return 0;
}

const char *ipvs_fwd_name(uint32_t conn_flags) {
        switch (conn_flags & IP_VS_CONN_F_FWD_MASK) {
        case IP_VS_CONN_F_MASQ: return "Masq";
        case IP_VS_CONN_F_LOCALNODE: return "Local";
        case IP_VS_CONN_F_TUNNEL: return "Tunnel";
        case IP_VS_CONN_F_DROUTE: return "Route";
        default: return "Unknown";
        }
}

/* sh and mh give SCHED1/SCHED2 their own names; kernel 5.x+ (mh) uses the same bits. */
int ipvs_sched_flags_from_string(const char *sched, const char *flag, uint32_t *ret) {
        if (streq(flag, "one-packet") || streq(flag, "ops")) {
                *ret = IP_VS_SVC_F_ONEPACKET;
                return 0;
        }
        if (streq(flag, "sh-fallback") || streq(flag, "mh-fallback")) {
                if (!sched || !strneq(sched, flag, 2) || strlen(sched) != 2)
                        return -ENOTUNIQ; /* flag of another scheduler */
                *ret = IP_VS_SVC_F_SCHED1;
                return 0;
        }
        if (streq(flag, "sh-port") || streq(flag, "mh-port")) {
                if (!sched || !strneq(sched, flag, 2) || strlen(sched) != 2)
                        return -ENOTUNIQ;
                *ret = IP_VS_SVC_F_SCHED2;
                return 0;
        }
        if (streq(flag, "flag-1")) {
                *ret = IP_VS_SVC_F_SCHED1;
                return 0;
        }
        if (streq(flag, "flag-2")) {
                *ret = IP_VS_SVC_F_SCHED2;
                return 0;
        }
        if (streq(flag, "flag-3")) {
                *ret = IP_VS_SVC_F_SCHED3;
                return 0;
        }
        return -EINVAL;
}

const char *ipvs_sched_flags_format(char *buf, size_t len, const char *sched, uint32_t flags) {
        const char *prefix = sched && (streq(sched, "sh") || streq(sched, "mh")) ? sched : NULL;
        size_t off = 0;
        buf[0] = 0;
        static const struct {
                uint32_t bit;
                const char *suffix, *generic;
        } names[] = {
                { IP_VS_SVC_F_SCHED1, "fallback", "flag-1" },
                { IP_VS_SVC_F_SCHED2, "port", "flag-2" },
                { IP_VS_SVC_F_SCHED3, NULL, "flag-3" },
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                if (!(flags & names[i].bit))
                        continue;
                int n;
                if (prefix && names[i].suffix)
                        n = snprintf(buf + off, len - off, "%s%s-%s", off ? "," : "", prefix, names[i].suffix);
                else
                        n = snprintf(buf + off, len - off, "%s%s", off ? "," : "", names[i].generic);
                if (n < 0 || (size_t) n >= len - off)
                        break;
                off += (size_t) n;
        }
        return buf;
}

/* ---- health ---- */

void ipvs_health_done(IpvsHealth *h) {
        if (!h)
                return;
        for (size_t i = 0; i < h->n; i++)
                free(h->entries[i].service_id);
        free(h->entries);
        h->entries = NULL;
        h->n = 0;
}

const IpvsHealthEntry *ipvs_health_get(const IpvsHealth *h, const char *service_id, int af,
                                       const union in_addr_union *addr, uint16_t port) {
        if (!h || !service_id)
                return NULL;
        for (size_t i = 0; i < h->n; i++) {
                const IpvsHealthEntry *e = &h->entries[i];
                if (e->af == af && e->port == port && address_equal(af, &e->addr, addr) && streq(e->service_id, service_id))
                        return e;
        }
        return NULL;
}

IpvsHealthEntry *ipvs_health_set(IpvsHealth *h, const char *service_id, int af,
                                 const union in_addr_union *addr, uint16_t port) {
        IpvsHealthEntry *e = (IpvsHealthEntry *) ipvs_health_get(h, service_id, af, addr, port);
        if (e)
                return e;
        if (grow((void **) &h->entries, h->n, sizeof(IpvsHealthEntry)) < 0)
                return NULL;
        char *id = strdup(service_id);
        if (!id)
                return NULL;
        e = &h->entries[h->n++];
        *e = (IpvsHealthEntry) { .service_id = id, .af = af, .addr = *addr, .port = port, .state = IPVS_DEST_UP };
        return e;
}

/* ---- desired state ---- */

static uint16_t protocol_number(IpvsProtocol p) {
        switch (p) {
        case IPVS_PROTO_UDP: return IPPROTO_UDP;
        case IPVS_PROTO_SCTP: return IPPROTO_SCTP;
        default: return IPPROTO_TCP;
        }
}

static uint32_t prefix_to_netmask(int af, uint8_t prefix) {
        if (af == AF_INET6)
                return prefix;
        if (prefix == 0)
                return 0;
        return htonl(prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1));
}

static uint32_t default_netmask(int af) {
        return af == AF_INET6 ? 128 : 0xffffffffu;
}

static int build_dest(const VirtualServerConf *vs, const IpvsServiceKey *key, const RealServerConf *rs,
                      const IpvsHealth *health, const char *sid, IpvsDest *ret, bool *ret_skip, ConfDiags *diags) {
        char a[ADDR_STR_MAX];
        IpvsDest d = { .af = rs->address.family, .addr = rs->address.addr, .loc = &rs->loc };
        bool ok = true;
        Forwarding fwd = rs->forwarding != FORWARDING_INHERIT ? rs->forwarding : vs->forwarding;

        *ret_skip = false;
        format_address(a, sizeof a, d.af, &d.addr);
        if (d.af != AF_INET && d.af != AF_INET6) {
                conf_diag_add(diags, &rs->loc, false, "real server has no address");
                return -EINVAL;
        }
        d.port = rs->port ? rs->port : key->port;
        switch (fwd) {
        case FORWARDING_DR:
                d.conn_flags = IP_VS_CONN_F_DROUTE;
                break;
        case FORWARDING_TUN:
                d.conn_flags = IP_VS_CONN_F_TUNNEL;
                break;
        case FORWARDING_FULLNAT:
                d.fullnat = true;
                d.snat_address = rs->snat_address.family != AF_UNSPEC ? rs->snat_address : vs->snat_address;
                d.conn_flags = IP_VS_CONN_F_MASQ;
                break;
        default: /* INHERIT at both levels means the documented default, nat */
                d.conn_flags = IP_VS_CONN_F_MASQ;
                break;
        }
        /* The kernel takes a destination of the other family only for tunnels
         * (ip_vs_add_dest: -EINVAL otherwise); say so where it is written. */
        if (d.af != key->af && fwd != FORWARDING_TUN) {
                conf_diag_add(diags, &rs->loc, false,
                              "real server %s is %s but the virtual server is %s: mixed families need forwarding: tun",
                              a, d.af == AF_INET6 ? "IPv6" : "IPv4", key->af == AF_INET6 ? "IPv6" : "IPv4");
                ok = false;
        }
        /* Only masquerading rewrites the destination port; DR and TUN deliver
         * the packet as the client sent it. */
        if (!key->fwmark && d.port != key->port && d.conn_flags != IP_VS_CONN_F_MASQ) {
                conf_diag_add(diags, &rs->loc, false,
                              "real server %s port %u differs from the virtual server port %u: only nat and fullnat can map ports",
                              a, d.port, key->port);
                ok = false;
        }
        if (fwd == FORWARDING_TUN) {
                switch (rs->tunnel_type) {
                case TUNNEL_GUE:
                        d.tun_type = IP_VS_CONN_F_TUNNEL_TYPE_GUE;
                        if (rs->tunnel_port == 0) {
                                conf_diag_add(diags, &rs->loc, false, "real server %s: tunnel_type gue needs tunnel_port", a);
                                ok = false;
                        }
                        d.tun_port = rs->tunnel_port;
                        break;
                case TUNNEL_GRE:
                        d.tun_type = IP_VS_CONN_F_TUNNEL_TYPE_GRE;
                        break;
                default:
                        d.tun_type = IP_VS_CONN_F_TUNNEL_TYPE_IPIP;
                        break;
                }
        }
        if (d.fullnat && d.snat_address.family != AF_UNSPEC && d.snat_address.family != d.af) {
                conf_diag_add(diags, &rs->loc, false, "real server %s: snat_address is not of the real server's family", a);
                ok = false;
        }
        if (rs->weight < 0 || rs->weight > 65535) {
                conf_diag_add(diags, &rs->loc, false, "real server %s: weight %d out of range 0..65535", a, rs->weight);
                ok = false;
        }
        if (rs->upper_threshold && rs->lower_threshold > rs->upper_threshold) {
                conf_diag_add(diags, &rs->loc, false, "real server %s: lower_threshold %u above upper_threshold %u",
                              a, rs->lower_threshold, rs->upper_threshold);
                ok = false;
        }
        d.weight = rs->weight;
        d.u_threshold = rs->upper_threshold;
        d.l_threshold = rs->lower_threshold;

        const IpvsHealthEntry *h = ipvs_health_get(health, sid, d.af, &d.addr, d.port);
        if (h) {
                if (h->has_weight)
                        d.weight = h->weight;
                if (h->state == IPVS_DEST_DOWN) {
                        if (rs->inhibit_on_failure)
                                d.weight = 0;
                        else
                                *ret_skip = true;
                }
        }
        *ret = d;
        return ok ? 0 : -EINVAL;
}

static int build_service(const VirtualServerConf *vs, const IpvsHealth *health, IpvsTable *t, ConfDiags *diags) {
        IpvsService s = { .loc = &vs->loc };
        char kbuf[IPVS_KEY_STR_MAX];
        bool ok = true;
        int r;

        if (vs->fwmark) {
                s.key.fwmark = vs->fwmark;
                s.key.af = vs->fwmark_family == AF_INET6 ? AF_INET6 : AF_INET;
                if (vs->port) {
                        conf_diag_add(diags, &vs->loc, false, "fwmark %u: a fwmark service has no port (got port %u)",
                                      vs->fwmark, vs->port);
                        ok = false;
                }
                if (vs->address.family != AF_UNSPEC) {
                        conf_diag_add(diags, &vs->loc, false, "fwmark %u: a fwmark service has no address", vs->fwmark);
                        ok = false;
                }
        } else {
                if (vs->address.family != AF_INET && vs->address.family != AF_INET6) {
                        conf_diag_add(diags, &vs->loc, false, "virtual server needs an address or a fwmark");
                        return -EINVAL;
                }
                s.key.af = vs->address.family;
                s.key.addr = vs->address.addr;
                s.key.port = vs->port;
                s.key.protocol = protocol_number(vs->protocol);
                if (vs->port == 0 && vs->persistence_timeout == 0) {
                        conf_diag_add(diags, &vs->loc, false,
                                      "port 0 (all ports) is only allowed for persistent services");
                        ok = false;
                }
        }
        (void) ipvs_service_key_format(&s.key, kbuf, sizeof kbuf);

        const char *sched = isempty(vs->scheduler) ? "wlc" : vs->scheduler;
        if (strlen(sched) >= sizeof s.sched_name) {
                conf_diag_add(diags, &vs->loc, false, "%s: scheduler name \"%s\" is too long", kbuf, sched);
                ok = false;
        } else
                strcpy(s.sched_name, sched);

        STRV_FOREACH(f, vs->flags) {
                uint32_t bit;
                r = ipvs_sched_flags_from_string(sched, *f, &bit);
                if (r == -ENOTUNIQ) {
                        conf_diag_add(diags, &vs->loc, false, "%s: flag %s needs scheduler %.2s, not %s", kbuf, *f, *f, sched);
                        ok = false;
                } else if (r < 0) {
                        conf_diag_add(diags, &vs->loc, false, "%s: unknown flag \"%s\"", kbuf, *f);
                        ok = false;
                } else if (bit == IP_VS_SVC_F_ONEPACKET && s.key.protocol != IPPROTO_UDP && !s.key.fwmark) {
                        conf_diag_add(diags, &vs->loc, false, "%s: one-packet scheduling is for UDP services", kbuf);
                        ok = false;
                } else
                        s.flags |= bit;
        }

        s.netmask = default_netmask(s.key.af);
        if (vs->persistence_timeout > 0) {
                if (vs->persistence_timeout % USEC_PER_SEC != 0 || vs->persistence_timeout / USEC_PER_SEC > UINT32_MAX) {
                        conf_diag_add(diags, &vs->loc, false, "%s: persistence timeout must be a whole number of seconds", kbuf);
                        ok = false;
                }
                s.timeout = (uint32_t) (vs->persistence_timeout / USEC_PER_SEC);
                s.flags |= IP_VS_SVC_F_PERSISTENT;
                unsigned max = s.key.af == AF_INET6 ? 128 : 32;
                if (vs->persistence_prefix > max) {
                        conf_diag_add(diags, &vs->loc, false, "%s: persistence netmask /%u is longer than /%u",
                                      kbuf, vs->persistence_prefix, max);
                        ok = false;
                } else if (vs->persistence_prefix > 0)
                        s.netmask = prefix_to_netmask(s.key.af, vs->persistence_prefix);
        }

        s.id = (char *) (vs->id ? vs->id : kbuf);
        IpvsService *n = ipvs_table_add_service(t, &s);
        if (!n)
                return -ENOMEM;

        for (size_t i = 0; i < vs->n_real_servers; i++) {
                IpvsDest d;
                bool skip;
                r = build_dest(vs, &n->key, &vs->real_servers[i], health, n->id, &d, &skip, diags);
                if (r < 0) {
                        ok = false;
                        continue;
                }
                if (skip)
                        continue;
                if (!ipvs_service_add_dest(n, &d))
                        return -ENOMEM;
        }
        return ok ? 0 : -EINVAL;
}

int ipvs_desired_build(const Config *c, const IpvsHealth *health, IpvsTable *ret, ConfDiags *diags) {
        _cleanup_ipvs_table_ IpvsTable t = {};
        bool ok = true;

        for (size_t i = 0; i < c->n_virtual_servers; i++) {
                int r = build_service(&c->virtual_servers[i], health, &t, diags);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        ok = false;
        }
        /* Duplicates are found after one sort: adjacent equal keys. */
        ipvs_table_sort(&t);
        for (size_t i = 0; i < t.n_services; i++) {
                IpvsService *s = &t.services[i];
                char kbuf[IPVS_KEY_STR_MAX], b[IPVS_KEY_STR_MAX];

                (void) ipvs_service_key_format(&s->key, kbuf, sizeof kbuf);
                if (i > 0 && ipvs_service_key_compare(&t.services[i - 1].key, &s->key) == 0) {
                        conf_diag_add(diags, s->loc, false, "%s: virtual server defined twice", kbuf);
                        ok = false;
                }
                for (size_t j = 1; j < s->n_dests; j++)
                        if (ipvs_dest_key_equal(&s->dests[j - 1], &s->dests[j])) {
                                conf_diag_add(diags, s->dests[j].loc, false, "%s: real server %s listed twice", kbuf,
                                              ipvs_dest_format(b, sizeof b, s->dests[j].af, &s->dests[j].addr, s->dests[j].port));
                                ok = false;
                        }
        }
        if (!ok)
                return -EINVAL;
        *ret = t;
        t = (IpvsTable) {};
        return 0;
}

/* ---- ownership ---- */

void ipvs_owned_done(IpvsOwned *o) {
        if (!o)
                return;
        free(o->keys);
        o->keys = NULL;
        o->n = 0;
}

static int key_cmp(const void *a, const void *b) {
        return ipvs_service_key_compare(a, b);
}

void ipvs_owned_sort(IpvsOwned *o) {
        if (o->n > 1)
                qsort(o->keys, o->n, sizeof(IpvsServiceKey), key_cmp);
        size_t k = 0;
        for (size_t i = 0; i < o->n; i++)
                if (k == 0 || ipvs_service_key_compare(&o->keys[k - 1], &o->keys[i]) != 0)
                        o->keys[k++] = o->keys[i];
        o->n = k;
        o->sorted = true;
}

int ipvs_owned_update(const IpvsOwned *old, const IpvsTable *desired, const IpvsTable *kernel, IpvsOwned *ret) {
        IpvsOwned n = {};
        size_t cap = (old ? old->n : 0) + desired->n_services;

        n.keys = calloc(cap ? cap : 1, sizeof(IpvsServiceKey));
        if (!n.keys)
                return -ENOMEM;
        for (size_t i = 0; old && i < old->n; i++)
                if (ipvs_table_find(kernel, &old->keys[i]) || ipvs_table_find(desired, &old->keys[i]))
                        n.keys[n.n++] = old->keys[i];
        for (size_t i = 0; i < desired->n_services; i++)
                if (ipvs_table_find(kernel, &desired->services[i].key))
                        n.keys[n.n++] = desired->services[i].key;
        ipvs_owned_sort(&n);

        bool same = old && old->n == n.n;
        if (same) {
                IpvsOwned o = { .keys = malloc(old->n * sizeof(IpvsServiceKey) + 1), .n = old->n };
                if (!o.keys) {
                        free(n.keys);
                        return -ENOMEM;
                }
                memcpy(o.keys, old->keys, old->n * sizeof(IpvsServiceKey));
                ipvs_owned_sort(&o);
                same = o.n == n.n && memcmp(o.keys, n.keys, n.n * sizeof(IpvsServiceKey)) == 0;
                free(o.keys);
        }
        *ret = n;
        return same ? 0 : 1;
}

bool ipvs_owned_contains(const IpvsOwned *o, const IpvsServiceKey *k) {
        if (!o || o->n == 0)
                return false;
        if (o->sorted)
                return bsearch(k, o->keys, o->n, sizeof(IpvsServiceKey), key_cmp) != NULL;
        for (size_t i = 0; i < o->n; i++)
                if (ipvs_service_key_compare(&o->keys[i], k) == 0)
                        return true;
        return false;
}

int ipvs_owned_add(IpvsOwned *o, const IpvsServiceKey *k) {
        if (ipvs_owned_contains(o, k))
                return 0;
        if (grow((void **) &o->keys, o->n, sizeof(IpvsServiceKey)) < 0)
                return -ENOMEM;
        o->keys[o->n++] = *k;
        o->sorted = false;
        return 1;
}

void ipvs_owned_remove(IpvsOwned *o, const IpvsServiceKey *k) {
        for (size_t i = 0; i < o->n; i++)
                if (ipvs_service_key_compare(&o->keys[i], k) == 0) {
                        o->keys[i] = o->keys[--o->n];
                        o->sorted = false;
                        return;
                }
}

int ipvs_owned_parse(const char *text, IpvsOwned *ret, unsigned *ret_line) {
        IpvsOwned o = {};
        unsigned line = 0;
        const char *p = text;

        while (*p) {
                const char *eol = strchrnul(p, '\n');
                char buf[IPVS_KEY_STR_MAX + 8];
                size_t len = (size_t) (eol - p);
                line++;
                while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
                        len--;
                if (len > 0 && p[0] != '#') {
                        IpvsServiceKey k;
                        if (len >= sizeof buf)
                                goto bad;
                        memcpy(buf, p, len);
                        buf[len] = 0;
                        if (ipvs_service_key_parse(buf, &k) < 0)
                                goto bad;
                        if (ipvs_owned_add(&o, &k) < 0) {
                                ipvs_owned_done(&o);
                                return -ENOMEM;
                        }
                }
                p = *eol ? eol + 1 : eol;
        }
        ipvs_owned_sort(&o);
        *ret = o;
        return 0;
bad:
        ipvs_owned_done(&o);
        if (ret_line)
                *ret_line = line;
        return -EBADMSG;
}

int ipvs_owned_format(const IpvsOwned *o, FILE *f) {
        char b[IPVS_KEY_STR_MAX];
        fputs("# services created or adopted by vigil-ipvsd; others are left alone\n", f);
        for (size_t i = 0; i < o->n; i++) {
                int r = ipvs_service_key_format(&o->keys[i], b, sizeof b);
                if (r < 0)
                        return r;
                fprintf(f, "%s\n", b);
        }
        return ferror(f) ? -EIO : 0;
}

/* ---- diff ---- */

void ipvs_ops_done(IpvsOps *o) {
        if (!o)
                return;
        free(o->ops);
        o->ops = NULL;
        o->n = 0;
}

const char *ipvs_op_type_to_string(IpvsOpType t) {
        static const char *const names[_IPVS_OP_MAX] = {
                [IPVS_OP_DEL_SERVICE] = "del-service",
                [IPVS_OP_ADD_SERVICE] = "add-service",
                [IPVS_OP_EDIT_SERVICE] = "edit-service",
                [IPVS_OP_DEL_DEST] = "del-dest",
                [IPVS_OP_ADD_DEST] = "add-dest",
                [IPVS_OP_EDIT_DEST] = "edit-dest",
        };
        return (unsigned) t < _IPVS_OP_MAX ? names[t] : "?";
}

int ipvs_op_format(const IpvsOp *op, char *buf, size_t len) {
        char k[IPVS_KEY_STR_MAX], d[IPVS_KEY_STR_MAX];
        int n;

        (void) ipvs_service_key_format(&op->service->key, k, sizeof k);
        if (op->dest)
                n = snprintf(buf, len, "%s %s -> %s %s weight %d", ipvs_op_type_to_string(op->type), k,
                             ipvs_dest_format(d, sizeof d, op->dest->af, &op->dest->addr, op->dest->port),
                             ipvs_fwd_name(op->dest->conn_flags), op->dest->weight);
        else
                n = snprintf(buf, len, "%s %s %s", ipvs_op_type_to_string(op->type), k, op->service->sched_name);
        return n < 0 || (size_t) n >= len ? -ENOBUFS : 0;
}

static int ops_push(IpvsOps *o, IpvsOpType type, const IpvsService *s, const IpvsDest *d) {
        if (grow((void **) &o->ops, o->n, sizeof(IpvsOp)) < 0)
                return -ENOMEM;
        o->ops[o->n++] = (IpvsOp) { .type = type, .service = s, .dest = d };
        return 0;
}

static bool service_differs(const IpvsService *want, const IpvsService *have) {
        const uint32_t mask = ~(uint32_t) IP_VS_SVC_F_HASHED;
        if (!streq(want->sched_name, have->sched_name))
                return true;
        if ((want->flags & mask) != (have->flags & mask))
                return true;
        if (!streq(want->pe_name, have->pe_name))
                return true;
        /* timeout and netmask only mean something for persistent services */
        if (want->flags & IP_VS_SVC_F_PERSISTENT)
                return want->timeout != have->timeout || want->netmask != have->netmask;
        return false;
}

static bool dest_differs(const IpvsDest *want, const IpvsDest *have) {
        uint32_t fwd = want->conn_flags & IP_VS_CONN_F_FWD_MASK;
        if (fwd != (have->conn_flags & IP_VS_CONN_F_FWD_MASK))
                return true;
        if (want->weight != have->weight || want->u_threshold != have->u_threshold ||
            want->l_threshold != have->l_threshold)
                return true;
        if (fwd == IP_VS_CONN_F_TUNNEL &&
            (want->tun_type != have->tun_type || want->tun_port != have->tun_port || want->tun_flags != have->tun_flags))
                return true;
        return false;
}

int ipvs_diff(const IpvsTable *desired, const IpvsTable *kernel, const IpvsDiffParams *p, IpvsOps *ret) {
        IpvsOps o = {};
        int r;

        /* Deletions first: a service vigil owns that the config no longer names. */
        for (size_t i = 0; i < kernel->n_services; i++) {
                const IpvsService *k = &kernel->services[i];
                if (ipvs_table_find(desired, &k->key))
                        continue;
                if (!(p && (p->own_table || ipvs_owned_contains(p->owned, &k->key))))
                        continue; /* foreign: not ours to touch */
                r = ops_push(&o, IPVS_OP_DEL_SERVICE, k, NULL);
                if (r < 0)
                        goto fail;
        }

        for (size_t i = 0; i < desired->n_services; i++) {
                const IpvsService *w = &desired->services[i];
                const IpvsService *k = ipvs_table_find(kernel, &w->key);

                if (!k) {
                        r = ops_push(&o, IPVS_OP_ADD_SERVICE, w, NULL);
                        if (r < 0)
                                goto fail;
                        for (size_t j = 0; j < w->n_dests; j++) {
                                r = ops_push(&o, IPVS_OP_ADD_DEST, w, &w->dests[j]);
                                if (r < 0)
                                        goto fail;
                        }
                        continue;
                }
                if (service_differs(w, k)) {
                        r = ops_push(&o, IPVS_OP_EDIT_SERVICE, w, NULL);
                        if (r < 0)
                                goto fail;
                }
                for (size_t j = 0; j < k->n_dests; j++) {
                        const IpvsDest *kd = &k->dests[j];
                        if (!ipvs_service_find_dest(w, kd->af, &kd->addr, kd->port)) {
                                r = ops_push(&o, IPVS_OP_DEL_DEST, k, kd);
                                if (r < 0)
                                        goto fail;
                        }
                }
                for (size_t j = 0; j < w->n_dests; j++) {
                        const IpvsDest *wd = &w->dests[j];
                        const IpvsDest *kd = ipvs_service_find_dest(k, wd->af, &wd->addr, wd->port);
                        if (kd && dest_differs(wd, kd)) {
                                r = ops_push(&o, IPVS_OP_EDIT_DEST, w, wd);
                                if (r < 0)
                                        goto fail;
                        }
                }
                for (size_t j = 0; j < w->n_dests; j++) {
                        const IpvsDest *wd = &w->dests[j];
                        if (!ipvs_service_find_dest(k, wd->af, &wd->addr, wd->port)) {
                                r = ops_push(&o, IPVS_OP_ADD_DEST, w, wd);
                                if (r < 0)
                                        goto fail;
                        }
                }
        }
        *ret = o;
        return 0;
fail:
        ipvs_ops_done(&o);
        return r;
}

/* ---- cache update ---- */

static void strip_desired(IpvsDest *d) {
        d->loc = NULL;
        d->fullnat = false;
        d->snat_address = (InAddrPrefix) {};
}

int ipvs_table_apply_ops(const IpvsTable *t, const IpvsOp *ops, size_t n, const int *errors, IpvsTable *ret) {
        _cleanup_ipvs_table_ IpvsTable c = {};
        int r;

        /* Work on a copy: ops may point into t. */
        r = ipvs_table_copy(t, &c);
        if (r < 0)
                return r;

        /* Services first. New ones are appended and sorted in once at the end;
         * lookups only search the sorted prefix (diff never adds a service
         * that exists, so a miss there is correct). */
        bool removed = false;
        IpvsTable prefix = c;
        for (size_t i = 0; i < n; i++) {
                const IpvsOp *op = &ops[i];
                if (errors && errors[i] != 0)
                        continue;
                if (op->type != IPVS_OP_ADD_SERVICE && op->type != IPVS_OP_EDIT_SERVICE && op->type != IPVS_OP_DEL_SERVICE)
                        continue;
                prefix.services = c.services; /* may move on realloc */
                IpvsService *s = ipvs_table_find(&prefix, &op->service->key);
                switch (op->type) {
                case IPVS_OP_ADD_SERVICE:
                case IPVS_OP_EDIT_SERVICE:
                        if (!s) {
                                /* appended: the table is re-sorted below before dest ops look it up */
                                IpvsService tmp = *op->service;
                                tmp.id = NULL;
                                tmp.loc = NULL;
                                if (!ipvs_table_add_service(&c, &tmp))
                                        return -ENOMEM;
                        } else {
                                memcpy(s->sched_name, op->service->sched_name, sizeof s->sched_name);
                                memcpy(s->pe_name, op->service->pe_name, sizeof s->pe_name);
                                s->flags = op->service->flags;
                                s->timeout = op->service->timeout;
                                s->netmask = op->service->netmask;
                        }
                        break;
                case IPVS_OP_DEL_SERVICE:
                        if (s) {
                                free(s->dests);
                                free(s->id);
                                s->dests = NULL;
                                s->id = NULL;
                                s->n_dests = 0;
                                s->gone = true; /* compacted below; the key keeps the prefix sorted */
                                removed = true;
                        }
                        break;
                default:
                        break;
                }
        }
        if (removed) {
                size_t k = 0;
                for (size_t i = 0; i < c.n_services; i++)
                        if (!c.services[i].gone)
                                c.services[k++] = c.services[i];
                c.n_services = k;
        }
        ipvs_table_sort(&c);

        for (size_t i = 0; i < n; i++) {
                const IpvsOp *op = &ops[i];
                if ((errors && errors[i] != 0) || !op->dest)
                        continue;
                IpvsService *s = ipvs_table_find(&c, &op->service->key);
                if (!s)
                        continue;
                IpvsDest *d = ipvs_service_find_dest(s, op->dest->af, &op->dest->addr, op->dest->port);
                switch (op->type) {
                case IPVS_OP_ADD_DEST:
                case IPVS_OP_EDIT_DEST: {
                        IpvsDest nd = *op->dest;
                        strip_desired(&nd);
                        if (d) {
                                nd.stats = d->stats;
                                nd.active_conns = d->active_conns;
                                nd.inact_conns = d->inact_conns;
                                nd.persist_conns = d->persist_conns;
                                *d = nd;
                        } else if (!ipvs_service_add_dest(s, &nd))
                                return -ENOMEM;
                        break;
                }
                case IPVS_OP_DEL_DEST:
                        if (d)
                                d->gone = true;
                        break;
                default:
                        break;
                }
        }
        for (size_t i = 0; i < c.n_services; i++) {
                IpvsService *s = &c.services[i];
                size_t k = 0;
                for (size_t j = 0; j < s->n_dests; j++)
                        if (!s->dests[j].gone)
                                s->dests[k++] = s->dests[j];
                s->n_dests = k;
        }
        ipvs_table_sort(&c);
        *ret = c;
        c = (IpvsTable) {};
        return 0;
}

/* ---- ipvsadm-save ---- */

static void format_svc_name(char *buf, size_t len, const IpvsServiceKey *k) {
        char d[IPVS_KEY_STR_MAX];
        if (k->fwmark)
                snprintf(buf, len, "-f %u%s", k->fwmark, k->af == AF_INET6 ? " -6" : "");
        else
                snprintf(buf, len, "%s %s",
                         k->protocol == IPPROTO_TCP ? "-t" : k->protocol == IPPROTO_UDP ? "-u" : "--sctp-service",
                         ipvs_dest_format(d, sizeof d, k->af, &k->addr, k->port));
}

int ipvs_table_format_save(const IpvsTable *t, FILE *f) {
        for (size_t i = 0; i < t->n_services; i++) {
                const IpvsService *s = &t->services[i];
                char name[IPVS_KEY_STR_MAX + 16], fl[64];

                format_svc_name(name, sizeof name, &s->key);
                fprintf(f, "-A %s -s %s", name, s->sched_name);
                if (s->flags & IP_VS_SVC_F_PERSISTENT) {
                        fprintf(f, " -p %u", s->timeout);
                        if (s->key.af == AF_INET && s->netmask != 0xffffffffu) {
                                char m[INET_ADDRSTRLEN];
                                struct in_addr a = { .s_addr = s->netmask };
                                fprintf(f, " -M %s", inet_ntop(AF_INET, &a, m, sizeof m));
                        } else if (s->key.af == AF_INET6 && s->netmask != 128)
                                fprintf(f, " -M %u", s->netmask);
                        if (s->pe_name[0])
                                fprintf(f, " --pe %s", s->pe_name);
                }
                if (s->flags & IP_VS_SVC_F_ONEPACKET)
                        fputs(" -o", f);
                ipvs_sched_flags_format(fl, sizeof fl, s->sched_name, s->flags);
                if (fl[0])
                        fprintf(f, " -b %s", fl);
                fputc('\n', f);

                for (size_t j = 0; j < s->n_dests; j++) {
                        const IpvsDest *d = &s->dests[j];
                        char dn[IPVS_KEY_STR_MAX];
                        const char *m;
                        switch (d->conn_flags & IP_VS_CONN_F_FWD_MASK) {
                        case IP_VS_CONN_F_DROUTE: m = "-g"; break;
                        case IP_VS_CONN_F_TUNNEL: m = "-i"; break;
                        default: m = "-m"; break;
                        }
                        fprintf(f, "-a %s -r %s %s -w %d", name, ipvs_dest_format(dn, sizeof dn, d->af, &d->addr, d->port),
                                m, d->weight);
                        if ((d->conn_flags & IP_VS_CONN_F_FWD_MASK) == IP_VS_CONN_F_TUNNEL) {
                                static const char *const tn[] = { "ipip", "gue", "gre" };
                                fprintf(f, " --tun-type %s", d->tun_type < ELEMENTSOF(tn) ? tn[d->tun_type] : "ipip");
                                if (d->tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GUE)
                                        fprintf(f, " --tun-port %u", d->tun_port);
                                if (d->tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GUE || d->tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GRE)
                                        fputs(d->tun_flags & IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM ? " --tun-remcsum"
                                              : d->tun_flags & IP_VS_TUNNEL_ENCAP_FLAG_CSUM ? " --tun-csum"
                                                                                            : " --tun-nocsum", f);
                        }
                        /* ipvsadm-save drops thresholds; keep them so a restore is faithful */
                        if (d->u_threshold)
                                fprintf(f, " -x %u", d->u_threshold);
                        if (d->l_threshold)
                                fprintf(f, " -y %u", d->l_threshold);
                        fputc('\n', f);
                }
        }
        return ferror(f) ? -EIO : 0;
}
