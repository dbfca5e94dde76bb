/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dns: one query (query_type, query_name) to the target server over UDP or
 * TCP through c-ares, its sockets driven by sd-event (no DNS encoding of our
 * own). Up when the response's RCODE is expect_rcode and, with
 * expect_answer, when an A/AAAA record of the answer equals it. */
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "check-types.h"

#define DNS_MAX_SOCKETS 4

/* RFC 1035 / 3596 / 2782 numbers (arpa/nameser.h would drag in sys/param.h's MIN/MAX). */
enum {
        ns_c_in = 1,
        ns_t_a = 1,
        ns_t_ns = 2,
        ns_t_cname = 5,
        ns_t_soa = 6,
        ns_t_ptr = 12,
        ns_t_mx = 15,
        ns_t_txt = 16,
        ns_t_aaaa = 28,
        ns_t_srv = 33,
};

typedef struct DnsSock {
        int fd;
        sd_event_source *io;
} DnsSock;

typedef struct DnsSetup {
        ares_channel channel;
        int qtype;
        DnsSock socks[DNS_MAX_SOCKETS];
        bool in_flight;
        Probe *probe;
} DnsSetup;

static const struct {
        const char *name;
        int type;
} qtypes[] = {
        { "A", ns_t_a },     { "AAAA", ns_t_aaaa }, { "NS", ns_t_ns },   { "MX", ns_t_mx },   { "TXT", ns_t_txt },
        { "SOA", ns_t_soa }, { "CNAME", ns_t_cname }, { "PTR", ns_t_ptr }, { "SRV", ns_t_srv },
};

static int qtype_from_string(const char *s) {
        if (!s)
                return ns_t_soa;
        for (size_t i = 0; i < ELEMENTSOF(qtypes); i++)
                if (strcasecmp(qtypes[i].name, s) == 0)
                        return qtypes[i].type;
        return -EINVAL;
}

static const char *rcode_name(int rcode) {
        static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
        return rcode >= 0 && rcode < (int) ELEMENTSOF(names) ? names[rcode] : "rcode";
}

static int on_sock(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        DnsSetup *st = userdata;
        ares_process_fd(st->channel, revents & (EPOLLIN | EPOLLHUP | EPOLLERR) ? fd : ARES_SOCKET_BAD,
                        revents & EPOLLOUT ? fd : ARES_SOCKET_BAD);
        return 0;
}

/* c-ares tells us which sockets to watch for what. */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable) {
        DnsSetup *st = data;
        DnsSock *slot = NULL, *free_slot = NULL;

        for (size_t i = 0; i < DNS_MAX_SOCKETS; i++) {
                if (st->socks[i].io && st->socks[i].fd == fd)
                        slot = &st->socks[i];
                else if (!st->socks[i].io && !free_slot)
                        free_slot = &st->socks[i];
        }
        if (!readable && !writable) {
                if (slot)
                        slot->io = sd_event_source_disable_unref(slot->io);
                return;
        }
        uint32_t events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
        if (slot) {
                (void) sd_event_source_set_io_events(slot->io, events);
                return;
        }
        /* level-triggered: c-ares reads what it wants per call */
        if (!free_slot || sd_event_add_io(st->probe->checker->event, &free_slot->io, fd, events, on_sock, st) < 0) {
                log_check(LOG_WARNING, 0, st->probe->conf->name, "Check %s: cannot watch a c-ares socket.",
                          st->probe->conf->name);
                return;
        }
        (void) sd_event_source_set_priority(free_slot->io, PROBE_PRIORITY);
        free_slot->fd = fd;
}

static bool answer_matches(const CheckConf *c, int qtype, const unsigned char *abuf, int alen) {
        union in_addr_union want;
        int family;

        if (parse_address(c->expect_answer, &family, &want) < 0)
                return false;
        if (qtype == ns_t_a && family == AF_INET) {
                struct ares_addrttl a[16];
                int n = (int) ELEMENTSOF(a);
                if (ares_parse_a_reply(abuf, alen, NULL, a, &n) != ARES_SUCCESS)
                        return false;
                for (int i = 0; i < n; i++)
                        if (a[i].ipaddr.s_addr == want.in.s_addr)
                                return true;
        } else if (qtype == ns_t_aaaa && family == AF_INET6) {
                struct ares_addr6ttl a[16];
                int n = (int) ELEMENTSOF(a);
                if (ares_parse_aaaa_reply(abuf, alen, NULL, a, &n) != ARES_SUCCESS)
                        return false;
                for (int i = 0; i < n; i++)
                        if (memcmp(&a[i].ip6addr, &want.in6, sizeof want.in6) == 0)
                                return true;
        }
        return false;
}

static void query_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
        DnsSetup *st = arg;
        Probe *p = st->probe;
        const CheckConf *c = p->conf;
        char detail[CHECK_DETAIL_MAX];

        if (!st->in_flight || status == ARES_ECANCELLED || status == ARES_EDESTRUCTION)
                return; /* the attempt was cancelled (timeout, reload) */
        st->in_flight = false;

        if (!abuf || alen < 12) {
                snprintf(detail, sizeof detail, "DNS query failed: %s", ares_strerror(status));
                probe_attempt_done(p, status == ARES_ENOMEM ? CHECK_RESULT_ERROR : CHECK_RESULT_DOWN, 0, detail);
                return;
        }
        int rcode = abuf[3] & 0x0f;
        if (rcode != c->expect_rcode) {
                snprintf(detail, sizeof detail, "DNS rcode %s (%d), expected %s (%d)", rcode_name(rcode), rcode,
                         rcode_name(c->expect_rcode), c->expect_rcode);
                probe_attempt_done(p, CHECK_RESULT_DOWN, 0, detail);
                return;
        }
        if (c->expect_answer && !answer_matches(c, st->qtype, abuf, alen)) {
                snprintf(detail, sizeof detail, "DNS answer does not contain %s", c->expect_answer);
                probe_attempt_done(p, CHECK_RESULT_DOWN, 0, detail);
                return;
        }
        snprintf(detail, sizeof detail, "DNS %s", rcode_name(rcode));
        probe_attempt_done(p, CHECK_RESULT_UP, c->weight, detail);
}

static int dns_start(Probe *p) {
        DnsSetup *st = p->setup_data;
        if (!st || !st->channel)
                return -ENOMEM;
        st->in_flight = true;
        p->data = st;
        ares_query(st->channel, p->conf->query_name ?: ".", ns_c_in, st->qtype, query_cb, st);
        return 0;
}

static void dns_cancel(Probe *p) {
        DnsSetup *st = p->setup_data;
        p->data = NULL;
        if (st && st->in_flight) {
                st->in_flight = false;
                ares_cancel(st->channel);
        }
}

static int dns_verify(const CheckConf *c, const CheckTarget *t, char *err, size_t errlen) {
        int qtype = qtype_from_string(c->query_type);
        if (qtype < 0) {
                snprintf(err, errlen, "query_type %s is not one of A AAAA NS MX TXT SOA CNAME PTR SRV", c->query_type);
                return -EINVAL;
        }
        if (c->expect_answer) {
                int family;
                union in_addr_union a;
                if ((qtype != ns_t_a && qtype != ns_t_aaaa) || parse_address(c->expect_answer, &family, &a) < 0 ||
                    family != (qtype == ns_t_a ? AF_INET : AF_INET6)) {
                        snprintf(err, errlen, "expect_answer is supported for A/AAAA queries and must be an address of that family");
                        return -EINVAL;
                }
        }
        if (c->bind_interface[0] || c->fwmark) {
                snprintf(err, errlen, "dns checks do not support bind_interface or fwmark");
                return -EINVAL;
        }
        return 0;
}

static int dns_setup(Probe *p) {
        const CheckConf *c = p->conf;
        struct ares_options o = {
                .flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP | (c->dns_tcp ? ARES_FLAG_USEVC : 0),
                .timeout = (int) MIN(c->timeout / USEC_PER_MSEC, (usec_t) INT32_MAX),
                .tries = 1,
                .sock_state_cb = sock_state_cb,
        };
        char server[ADDR_STR_MAX + 8];
        int r;

        static bool inited;
        if (!inited) {
                if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
                        return -ENOMEM;
                inited = true;
        }
        DnsSetup *st = calloc(1, sizeof *st);
        if (!st)
                return -ENOMEM;
        st->probe = p;
        st->qtype = qtype_from_string(c->query_type);
        o.sock_state_cb_data = st;
        r = ares_init_options(&st->channel, &o,
                              ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
        if (r != ARES_SUCCESS) {
                free(st);
                return -ENOMEM;
        }
        check_target_to_string(&p->target, server, sizeof server);
        r = ares_set_servers_ports_csv(st->channel, server);
        if (r == ARES_SUCCESS && c->bind_address.family == AF_INET)
                ares_set_local_ip4(st->channel, ntohl(c->bind_address.addr.in.s_addr));
        else if (r == ARES_SUCCESS && c->bind_address.family == AF_INET6)
                ares_set_local_ip6(st->channel, c->bind_address.addr.in6.s6_addr);
        if (r != ARES_SUCCESS) {
                ares_destroy(st->channel);
                free(st);
                return -EINVAL;
        }
        p->setup_data = st;
        return 0;
}

static void dns_teardown(Probe *p) {
        DnsSetup *st = TAKE_PTR(p->setup_data);
        if (!st)
                return;
        st->in_flight = false;
        ares_destroy(st->channel); /* closes its sockets through sock_state_cb */
        for (size_t i = 0; i < DNS_MAX_SOCKETS; i++)
                st->socks[i].io = sd_event_source_disable_unref(st->socks[i].io);
        free(st);
}

const ProbeOps probe_ops_dns = {
        .start = dns_start,
        .cancel = dns_cancel,
        .setup = dns_setup,
        .teardown = dns_teardown,
        .verify = dns_verify,
};
