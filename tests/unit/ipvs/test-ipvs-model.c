/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ipvs-model.c: desired state from config structs, diff against a kernel
 * table, ownership file, ipvsadm-save output. No kernel involved. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ipvs-model.h"
#include "macro.h"

/* ---- building configs by hand (the loader is not under test here) ---- */

static InAddrPrefix A(const char *s) {
        InAddrPrefix p = {};
        assert_int_equal(parse_address_prefix(s, &p), 0);
        return p;
}

static RealServerConf RS(const char *addr, uint16_t port, int weight, Forwarding fwd, unsigned line) {
        return (RealServerConf) {
                .loc = { .file = "t.yaml", .line = line, .col = 9 },
                .address = A(addr), .port = port, .weight = weight, .forwarding = fwd, .inhibit_on_failure = true,
        };
}

typedef struct TestConf {
        Config c;
        VirtualServerConf vs[16];
        RealServerConf rs[16][8];
} TestConf;

static VirtualServerConf *add_vs(TestConf *t, const char *addr, uint16_t port, IpvsProtocol proto, const char *sched,
                                 Forwarding fwd, unsigned line) {
        VirtualServerConf *v = &t->vs[t->c.n_virtual_servers];
        *v = (VirtualServerConf) {
                .loc = { .file = "t.yaml", .line = line, .col = 5 },
                .port = port, .protocol = proto, .scheduler = (char *) sched, .forwarding = fwd,
                .real_servers = t->rs[t->c.n_virtual_servers], .inhibit_on_failure = true,
        };
        if (addr)
                v->address = A(addr);
        t->c.n_virtual_servers++;
        t->c.virtual_servers = t->vs;
        return v;
}

static void add_rs(TestConf *t, VirtualServerConf *v, RealServerConf rs) {
        t->rs[v - t->vs][v->n_real_servers++] = rs;
}

static IpvsServiceKey key(const char *s) {
        IpvsServiceKey k;
        assert_int_equal(ipvs_service_key_parse(s, &k), 0);
        return k;
}

static char *diags_text(const ConfDiags *d) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        conf_diags_print(d, f);
        fclose(f);
        return buf;
}

static char *ops_text(const IpvsOps *o) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        for (size_t i = 0; i < o->n; i++) {
                char line[256];
                assert_int_equal(ipvs_op_format(&o->ops[i], line, sizeof line), 0);
                fprintf(f, "%s\n", line);
        }
        fclose(f);
        return buf;
}

static char *save_text(const IpvsTable *t) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(ipvs_table_format_save(t, f), 0);
        fclose(f);
        return buf;
}

/* ---- keys ---- */

static void test_key_roundtrip(void **state) {
        const char *ok[] = { "tcp:10.0.0.1:80", "udp:[2001:db8::1]:53", "sctp:192.168.1.1:9", "fwmark:1", "fwmark6:4294967295" };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                IpvsServiceKey k;
                char b[IPVS_KEY_STR_MAX];
                assert_int_equal(ipvs_service_key_parse(ok[i], &k), 0);
                assert_int_equal(ipvs_service_key_format(&k, b, sizeof b), 0);
                assert_string_equal(b, ok[i]);
        }
        const char *bad[] = { "", "tcp", "tcp:", "icmp:1.2.3.4:1", "fwmark:0", "fwmark:-1", "fwmark:4294967296",
                              "tcp:1.2.3.4", "tcp:[::1:80", "fwmark:1x", "fwmark7:1" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                IpvsServiceKey k;
                assert_int_not_equal(ipvs_service_key_parse(bad[i], &k), 0);
        }
        /* fwmark services sort after address services, v4 before v6 */
        IpvsServiceKey a = key("tcp:10.0.0.1:80"), b = key("fwmark:1"), c = key("tcp:[::1]:80");
        assert_true(ipvs_service_key_compare(&a, &b) < 0);
        assert_true(ipvs_service_key_compare(&a, &c) < 0);
        assert_int_equal(ipvs_service_key_compare(&a, &a), 0);
}

/* ---- desired state ---- */

/* A config covering every forwarding method, fwmark, IPv6, persistence with
 * a netmask, thresholds and scheduler flags. */
static void full_config(TestConf *t) {
        VirtualServerConf *v;
        RealServerConf r;

        memset(t, 0, sizeof *t);
        v = add_vs(t, "10.1.0.100", 80, IPVS_PROTO_TCP, "sh", FORWARDING_DR, 10);
        static char *shflags[] = { (char *) "sh-fallback", (char *) "sh-port", NULL };
        v->flags = shflags;
        v->persistence_timeout = 300 * USEC_PER_SEC;
        v->persistence_prefix = 24;
        r = RS("10.2.0.1", 0, 3, FORWARDING_INHERIT, 15);
        r.upper_threshold = 100;
        r.lower_threshold = 10;
        add_rs(t, v, r);
        r = RS("10.2.0.2", 0, 1, FORWARDING_TUN, 20);
        r.tunnel_type = TUNNEL_GUE;
        r.tunnel_port = 6080;
        add_rs(t, v, r);

        v = add_vs(t, "10.1.0.100", 53, IPVS_PROTO_UDP, "rr", FORWARDING_NAT, 30);
        static char *ops[] = { (char *) "one-packet", NULL };
        v->flags = ops;
        add_rs(t, v, RS("10.1.0.5", 5353, 1, FORWARDING_INHERIT, 35));

        v = add_vs(t, NULL, 0, IPVS_PROTO_TCP, "wlc", FORWARDING_DR, 40);
        v->fwmark = 7;
        v->persistence_timeout = 360 * USEC_PER_SEC;
        add_rs(t, v, RS("10.2.0.3", 0, 2, FORWARDING_INHERIT, 45));

        v = add_vs(t, NULL, 0, IPVS_PROTO_TCP, "mh", FORWARDING_DR, 50);
        v->fwmark = 8;
        v->fwmark_family = AF_INET6;
        static char *mhflags[] = { (char *) "mh-port", NULL };
        v->flags = mhflags;
        v->persistence_timeout = 60 * USEC_PER_SEC;
        v->persistence_prefix = 64;

        v = add_vs(t, "2001:db8::1", 443, IPVS_PROTO_TCP, "lc", FORWARDING_NAT, 60);
        add_rs(t, v, RS("2001:db8::5", 443, 0, FORWARDING_INHERIT, 65));
        r = RS("10.2.0.7", 0, 2, FORWARDING_TUN, 66); /* mixed family: tunnels only */
        add_rs(t, v, r);

        v = add_vs(t, "10.1.0.100", 9, IPVS_PROTO_SCTP, "rr", FORWARDING_TUN, 70);
        r = RS("10.2.0.9", 0, 1, FORWARDING_INHERIT, 75);
        r.tunnel_type = TUNNEL_GRE;
        add_rs(t, v, r);

        v = add_vs(t, "10.1.0.100", 8080, IPVS_PROTO_TCP, "wrr", FORWARDING_FULLNAT, 80);
        v->snat_address = A("10.3.0.1");
        add_rs(t, v, RS("10.3.0.10", 80, 5, FORWARDING_INHERIT, 85));
}

static void test_desired_full(void **state) {
        TestConf t;
        ConfDiags d = {};
        _cleanup_ipvs_table_ IpvsTable tab = {};

        full_config(&t);
        assert_int_equal(ipvs_desired_build(&t.c, NULL, &tab, &d), 0);
        assert_int_equal(d.n_errors, 0);
        assert_int_equal(tab.n_services, 7);

        IpvsServiceKey k = key("tcp:10.1.0.100:80");
        IpvsService *s = ipvs_table_find(&tab, &k);
        assert_non_null(s);
        assert_string_equal(s->sched_name, "sh");
        assert_int_equal(s->flags, IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2);
        assert_int_equal(s->timeout, 300);
        assert_int_equal(s->netmask, htonl(0xffffff00));
        assert_int_equal(s->n_dests, 2);
        assert_int_equal(s->dests[0].conn_flags, IP_VS_CONN_F_DROUTE);
        assert_int_equal(s->dests[0].port, 80); /* defaults to the service port */
        assert_int_equal(s->dests[0].u_threshold, 100);
        assert_int_equal(s->dests[0].l_threshold, 10);
        assert_int_equal(s->dests[1].conn_flags, IP_VS_CONN_F_TUNNEL);
        assert_int_equal(s->dests[1].tun_type, IP_VS_CONN_F_TUNNEL_TYPE_GUE);
        assert_int_equal(s->dests[1].tun_port, 6080);

        k = key("fwmark6:8");
        s = ipvs_table_find(&tab, &k);
        assert_non_null(s);
        assert_int_equal(s->netmask, 64);
        assert_int_equal(s->flags, IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_SCHED2);

        k = key("tcp:10.1.0.100:8080");
        s = ipvs_table_find(&tab, &k);
        assert_non_null(s);
        assert_true(s->dests[0].fullnat);
        assert_int_equal(s->dests[0].conn_flags, IP_VS_CONN_F_MASQ);
        assert_int_equal(s->dests[0].snat_address.family, AF_INET);

        /* the same table as `ipvsadm-save -n` (observed in the guest) plus thresholds */
        _cleanup_free_ char *save = save_text(&tab);
        assert_string_equal(save,
                "-A -t 10.1.0.100:80 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port\n"
                "-a -t 10.1.0.100:80 -r 10.2.0.1:80 -g -w 3 -x 100 -y 10\n"
                "-a -t 10.1.0.100:80 -r 10.2.0.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum\n"
                "-A -t 10.1.0.100:8080 -s wrr\n"
                "-a -t 10.1.0.100:8080 -r 10.3.0.10:80 -m -w 5\n"
                "-A -u 10.1.0.100:53 -s rr -o\n"
                "-a -u 10.1.0.100:53 -r 10.1.0.5:5353 -m -w 1\n"
                "-A --sctp-service 10.1.0.100:9 -s rr\n"
                "-a --sctp-service 10.1.0.100:9 -r 10.2.0.9:9 -i -w 1 --tun-type gre --tun-nocsum\n"
                "-A -t [2001:db8::1]:443 -s lc\n"
                "-a -t [2001:db8::1]:443 -r 10.2.0.7:443 -i -w 2 --tun-type ipip\n"
                "-a -t [2001:db8::1]:443 -r [2001:db8::5]:443 -m -w 0\n"
                "-A -f 7 -s wlc -p 360\n"
                "-a -f 7 -r 10.2.0.3:0 -g -w 2\n"
                "-A -f 8 -6 -s mh -p 60 -M 64 -b mh-port\n");
        conf_diags_free(&d);
}

static void test_desired_errors(void **state) {
        TestConf t;
        ConfDiags d = {};
        IpvsTable tab = {};
        VirtualServerConf *v;
        RealServerConf r;

        memset(&t, 0, sizeof t);
        v = add_vs(&t, NULL, 80, IPVS_PROTO_TCP, "rr", FORWARDING_DR, 3); /* fwmark + port */
        v->fwmark = 1;
        v = add_vs(&t, "10.0.0.1", 80, IPVS_PROTO_TCP, "rr", FORWARDING_NAT, 10);
        add_rs(&t, v, RS("2001:db8::1", 80, 1, FORWARDING_INHERIT, 12));  /* v6 dest, nat */
        add_rs(&t, v, RS("10.0.0.2", 8080, 1, FORWARDING_DR, 13));        /* DR port mapping */
        r = RS("10.0.0.3", 80, 1, FORWARDING_TUN, 14);
        r.tunnel_type = TUNNEL_GUE;                                        /* gue without port */
        add_rs(&t, v, r);
        r = RS("10.0.0.4", 80, 1, FORWARDING_INHERIT, 15);
        r.upper_threshold = 5;
        r.lower_threshold = 6;
        add_rs(&t, v, r);
        add_rs(&t, v, RS("10.0.0.5", 80, 1, FORWARDING_INHERIT, 16));
        add_rs(&t, v, RS("10.0.0.5", 80, 2, FORWARDING_INHERIT, 17));     /* twice */
        v = add_vs(&t, "10.0.0.1", 81, IPVS_PROTO_TCP, "rr", FORWARDING_NAT, 20);
        static char *shflags[] = { (char *) "sh-port", NULL };
        v->flags = shflags;                                                /* sh flag on rr */
        v = add_vs(&t, "10.0.0.1", 82, IPVS_PROTO_TCP, "rr", FORWARDING_NAT, 25);
        static char *ops[] = { (char *) "one-packet", NULL };
        v->flags = ops;                                                    /* ops on tcp */
        add_vs(&t, "10.0.0.1", 0, IPVS_PROTO_TCP, "rr", FORWARDING_NAT, 30); /* port 0, not persistent */
        add_vs(&t, "10.0.0.1", 80, IPVS_PROTO_TCP, "wlc", FORWARDING_NAT, 35); /* again */

        assert_int_equal(ipvs_desired_build(&t.c, NULL, &tab, &d), -EINVAL);
        assert_null(tab.services); /* nothing half-built handed out */
        _cleanup_free_ char *text = diags_text(&d);
        const char *expect[] = {
                "t.yaml:3:5: error: fwmark 1: a fwmark service has no port (got port 80)",
                "t.yaml:12:9: error: real server 2001:db8::1 is IPv6 but the virtual server is IPv4: mixed families need forwarding: tun",
                "t.yaml:13:9: error: real server 10.0.0.2 port 8080 differs from the virtual server port 80: only nat and fullnat can map ports",
                "t.yaml:14:9: error: real server 10.0.0.3: tunnel_type gue needs tunnel_port",
                "t.yaml:15:9: error: real server 10.0.0.4: lower_threshold 6 above upper_threshold 5",
                "real server 10.0.0.5:80 listed twice",
                "t.yaml:20:5: error: tcp:10.0.0.1:81: flag sh-port needs scheduler sh, not rr",
                "t.yaml:25:5: error: tcp:10.0.0.1:82: one-packet scheduling is for UDP services",
                "t.yaml:30:5: error: port 0 (all ports) is only allowed for persistent services",
                "tcp:10.0.0.1:80: virtual server defined twice",
        };
        for (size_t i = 0; i < ELEMENTSOF(expect); i++)
                if (!strstr(text, expect[i]))
                        fail_msg("missing diagnostic \"%s\" in:\n%s", expect[i], text);
        assert_int_equal(d.n_errors, ELEMENTSOF(expect));
        conf_diags_free(&d);
}

/* ---- diff ---- */

static void diff(const IpvsTable *want, const IpvsTable *have, const IpvsOwned *owned, bool own_table, char **ret) {
        IpvsOps o = {};
        IpvsDiffParams p = { .owned = owned, .own_table = own_table };
        assert_int_equal(ipvs_diff(want, have, &p, &o), 0);
        *ret = ops_text(&o);
        ipvs_ops_done(&o);
}

static void test_diff_from_empty_and_idempotent(void **state) {
        TestConf t;
        ConfDiags d = {};
        _cleanup_ipvs_table_ IpvsTable want = {}, empty = {}, have = {};
        _cleanup_free_ char *text = NULL, *again = NULL;

        full_config(&t);
        assert_int_equal(ipvs_desired_build(&t.c, NULL, &want, &d), 0);
        diff(&want, &empty, NULL, false, &text);
        /* every service is added before its dests */
        assert_string_equal(text,
                "add-service tcp:10.1.0.100:80 sh\n"
                "add-dest tcp:10.1.0.100:80 -> 10.2.0.1:80 Route weight 3\n"
                "add-dest tcp:10.1.0.100:80 -> 10.2.0.2:80 Tunnel weight 1\n"
                "add-service tcp:10.1.0.100:8080 wrr\n"
                "add-dest tcp:10.1.0.100:8080 -> 10.3.0.10:80 Masq weight 5\n"
                "add-service udp:10.1.0.100:53 rr\n"
                "add-dest udp:10.1.0.100:53 -> 10.1.0.5:5353 Masq weight 1\n"
                "add-service sctp:10.1.0.100:9 rr\n"
                "add-dest sctp:10.1.0.100:9 -> 10.2.0.9:9 Tunnel weight 1\n"
                "add-service tcp:[2001:db8::1]:443 lc\n"
                "add-dest tcp:[2001:db8::1]:443 -> 10.2.0.7:443 Tunnel weight 2\n"
                "add-dest tcp:[2001:db8::1]:443 -> [2001:db8::5]:443 Masq weight 0\n"
                "add-service fwmark:7 wlc\n"
                "add-dest fwmark:7 -> 10.2.0.3:0 Route weight 2\n"
                "add-service fwmark6:8 mh\n");

        /* The kernel reports HASHED and, for non-persistent services, whatever
         * netmask it was given: neither is a difference. */
        assert_int_equal(ipvs_table_copy(&want, &have), 0);
        for (size_t i = 0; i < have.n_services; i++) {
                have.services[i].flags |= IP_VS_SVC_F_HASHED;
                if (!(have.services[i].flags & IP_VS_SVC_F_PERSISTENT))
                        have.services[i].netmask = 0;
                for (size_t j = 0; j < have.services[i].n_dests; j++) {
                        have.services[i].dests[j].active_conns = 7;
                        have.services[i].dests[j].stats.conns = 99;
                }
        }
        diff(&want, &have, NULL, false, &again);
        assert_string_equal(again, "");

        /* from empty, the cache update builds the whole table */
        IpvsOps o = {};
        _cleanup_free_ char *none = NULL;
        assert_int_equal(ipvs_diff(&want, &empty, NULL, &o), 0);
        _cleanup_ipvs_table_ IpvsTable built = {};
        assert_int_equal(ipvs_table_apply_ops(&empty, o.ops, o.n, NULL, &built), 0);
        ipvs_ops_done(&o);
        assert_int_equal(empty.n_services, 0);
        diff(&want, &built, NULL, false, &none);
        assert_string_equal(none, "");
        conf_diags_free(&d);
}

static void test_diff_edits(void **state) {
        TestConf t;
        ConfDiags d = {};
        _cleanup_ipvs_table_ IpvsTable before = {}, after = {};
        _cleanup_free_ char *text = NULL;
        IpvsOwned owned = {};

        full_config(&t);
        assert_int_equal(ipvs_desired_build(&t.c, NULL, &before, &d), 0);
        for (size_t i = 0; i < before.n_services; i++)
                assert_int_equal(ipvs_owned_add(&owned, &before.services[i].key), 1);

        /* weight change, scheduler change, a dest removed and one added, a service removed */
        t.rs[0][0].weight = 7;                    /* 10.2.0.1 on :80 */
        t.vs[1].scheduler = (char *) "wrr";       /* udp :53 */
        t.vs[4].n_real_servers = 1;               /* drop 10.2.0.7 from [2001:db8::1]:443 */
        add_rs(&t, &t.vs[4], RS("2001:db8::6", 443, 4, FORWARDING_INHERIT, 67));
        t.vs[5] = t.vs[6];                        /* sctp :9 removed */
        t.rs[5][0] = t.rs[6][0];
        t.vs[5].real_servers = t.rs[5];
        t.c.n_virtual_servers = 6;
        t.rs[0][1].forwarding = FORWARDING_DR;    /* tunnel → route: edit in place */
        assert_int_equal(ipvs_desired_build(&t.c, NULL, &after, &d), 0);

        diff(&after, &before, &owned, false, &text);
        assert_string_equal(text,
                "del-service sctp:10.1.0.100:9 rr\n"
                "edit-dest tcp:10.1.0.100:80 -> 10.2.0.1:80 Route weight 7\n"
                "edit-dest tcp:10.1.0.100:80 -> 10.2.0.2:80 Route weight 1\n"
                "edit-service udp:10.1.0.100:53 wrr\n"
                "del-dest tcp:[2001:db8::1]:443 -> 10.2.0.7:443 Tunnel weight 2\n"
                "add-dest tcp:[2001:db8::1]:443 -> [2001:db8::6]:443 Masq weight 4\n");

        /* The cache update: applying the ops to the old kernel table gives the
         * new one; a failed op leaves exactly its own difference behind. */
        IpvsOps o = {};
        IpvsDiffParams p = { .owned = &owned };
        _cleanup_ipvs_table_ IpvsTable cache = {};
        _cleanup_free_ char *rest = NULL, *none = NULL;
        assert_int_equal(ipvs_table_copy(&before, &cache), 0);
        assert_int_equal(ipvs_diff(&after, &cache, &p, &o), 0);
        int errors[6] = { 0, 0, -EINVAL, 0, 0, 0 };
        assert_int_equal(o.n, 6);
        IpvsTable next = {};
        assert_int_equal(ipvs_table_apply_ops(&cache, o.ops, o.n, errors, &next), 0);
        ipvs_ops_done(&o);
        ipvs_table_done(&cache);
        cache = next;
        diff(&after, &cache, &owned, false, &rest);
        assert_string_equal(rest, "edit-dest tcp:10.1.0.100:80 -> 10.2.0.2:80 Route weight 1\n");
        assert_int_equal(ipvs_diff(&after, &cache, &p, &o), 0);
        assert_int_equal(ipvs_table_apply_ops(&cache, o.ops, o.n, NULL, &next), 0);
        ipvs_ops_done(&o);
        ipvs_table_done(&cache);
        cache = next;
        diff(&after, &cache, &owned, false, &none);
        assert_string_equal(none, "");
        assert_int_equal(cache.n_services, 6);
        ipvs_owned_done(&owned);
        conf_diags_free(&d);
}

static void test_diff_ownership(void **state) {
        TestConf t;
        ConfDiags d = {};
        _cleanup_ipvs_table_ IpvsTable want = {}, kernel = {};
        _cleanup_free_ char *polite = NULL, *owner = NULL, *stale = NULL;
        IpvsOwned owned = {};
        VirtualServerConf *v;

        memset(&t, 0, sizeof t);
        v = add_vs(&t, "10.0.0.1", 80, IPVS_PROTO_TCP, "rr", FORWARDING_NAT, 1);
        add_rs(&t, v, RS("10.9.0.1", 80, 1, FORWARDING_INHERIT, 2));
        assert_int_equal(ipvs_desired_build(&t.c, NULL, &want, &d), 0);

        /* kernel: the configured service exists with a foreign extra dest
         * (adopted: its dests are reconciled), plus a foreign service. */
        IpvsService s = { .key = key("tcp:10.0.0.1:80"), .sched_name = "rr", .flags = IP_VS_SVC_F_HASHED, .netmask = 0xffffffff };
        IpvsService *ks = ipvs_table_add_service(&kernel, &s);
        IpvsDest kd = { .af = AF_INET, .port = 80, .weight = 1 };
        inet_pton(AF_INET, "10.9.0.1", &kd.addr);
        ipvs_service_add_dest(ks, &kd);
        inet_pton(AF_INET, "10.9.0.2", &kd.addr);
        ipvs_service_add_dest(ks, &kd);
        IpvsService f = { .key = key("udp:10.0.0.2:53"), .sched_name = "wlc", .netmask = 0xffffffff };
        ipvs_table_add_service(&kernel, &f);
        IpvsService f2 = { .key = key("fwmark:3"), .sched_name = "wlc", .netmask = 0xffffffff };
        ipvs_table_add_service(&kernel, &f2);
        ipvs_table_sort(&kernel);

        diff(&want, &kernel, &owned, false, &polite);
        assert_string_equal(polite, "del-dest tcp:10.0.0.1:80 -> 10.9.0.2:80 Masq weight 1\n");

        /* a service vigil created earlier (state file) but no longer configured goes */
        assert_int_equal(ipvs_owned_add(&owned, &f2.key), 1);
        diff(&want, &kernel, &owned, false, &stale);
        assert_string_equal(stale,
                "del-service fwmark:3 wlc\n"
                "del-dest tcp:10.0.0.1:80 -> 10.9.0.2:80 Masq weight 1\n");

        diff(&want, &kernel, NULL, true, &owner);
        assert_string_equal(owner,
                "del-service udp:10.0.0.2:53 wlc\n"
                "del-service fwmark:3 wlc\n"
                "del-dest tcp:10.0.0.1:80 -> 10.9.0.2:80 Masq weight 1\n");
        ipvs_owned_done(&owned);
        conf_diags_free(&d);
}

static void test_health(void **state) {
        TestConf t;
        ConfDiags d = {};
        _cleanup_ipvs_table_ IpvsTable up = {}, down = {};
        IpvsHealth h = {};
        VirtualServerConf *v;
        _cleanup_free_ char *text = NULL;

        memset(&t, 0, sizeof t);
        v = add_vs(&t, "10.0.0.1", 80, IPVS_PROTO_TCP, "wrr", FORWARDING_NAT, 1);
        v->id = (char *) "web";
        add_rs(&t, v, RS("10.9.0.1", 80, 5, FORWARDING_INHERIT, 2));
        RealServerConf r = RS("10.9.0.2", 80, 5, FORWARDING_INHERIT, 3);
        r.inhibit_on_failure = false;
        add_rs(&t, v, r);
        add_rs(&t, v, RS("10.9.0.3", 80, 5, FORWARDING_INHERIT, 4));
        assert_int_equal(ipvs_desired_build(&t.c, NULL, &up, &d), 0);

        union in_addr_union a;
        inet_pton(AF_INET, "10.9.0.1", &a);
        ipvs_health_set(&h, "web", AF_INET, &a, 80)->state = IPVS_DEST_DOWN;   /* inhibit: weight 0 */
        inet_pton(AF_INET, "10.9.0.2", &a);
        ipvs_health_set(&h, "web", AF_INET, &a, 80)->state = IPVS_DEST_DOWN;   /* no inhibit: removed */
        inet_pton(AF_INET, "10.9.0.3", &a);
        IpvsHealthEntry *e = ipvs_health_set(&h, "web", AF_INET, &a, 80);       /* manual drain to 1 */
        e->has_weight = true;
        e->weight = 1;
        assert_ptr_equal(ipvs_health_set(&h, "web", AF_INET, &a, 80), e);      /* update, not a new entry */
        assert_int_equal(h.n, 3);

        assert_int_equal(ipvs_desired_build(&t.c, &h, &down, &d), 0);
        diff(&down, &up, NULL, false, &text);
        assert_string_equal(text,
                "del-dest tcp:10.0.0.1:80 -> 10.9.0.2:80 Masq weight 5\n"
                "edit-dest tcp:10.0.0.1:80 -> 10.9.0.1:80 Masq weight 0\n"
                "edit-dest tcp:10.0.0.1:80 -> 10.9.0.3:80 Masq weight 1\n");
        ipvs_health_done(&h);
        conf_diags_free(&d);
}

static void test_owned_file(void **state) {
        IpvsOwned o = {}, back = {};
        unsigned line = 0;
        char *buf = NULL;
        size_t len = 0;

        assert_int_equal(ipvs_owned_parse("# comment\ntcp:10.0.0.1:80\n\nfwmark6:3  \nudp:[::1]:53", &o, &line), 0);
        assert_int_equal(o.n, 3);
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(ipvs_owned_format(&o, f), 0);
        fclose(f);
        assert_int_equal(ipvs_owned_parse(buf, &back, &line), 0);
        assert_int_equal(back.n, 3);
        for (size_t i = 0; i < o.n; i++)
                assert_true(ipvs_owned_contains(&back, &o.keys[i]));
        IpvsServiceKey k = key("tcp:10.0.0.1:80");
        ipvs_owned_remove(&back, &k);
        assert_false(ipvs_owned_contains(&back, &k));
        assert_int_equal(back.n, 2);

        /* after a reconcile: old keys still in kernel or config stay, configured
         * services present in the kernel join, the rest go; duplicates collapse */
        IpvsTable want = {}, kern = {};
        IpvsService a = { .key = key("tcp:10.0.0.1:80") }, b = { .key = key("fwmark6:3") }, c = { .key = key("udp:10.0.0.9:53") },
                    d = { .key = key("tcp:10.0.0.2:80") };
        ipvs_table_add_service(&want, &a);      /* configured, in kernel: owned */
        ipvs_table_add_service(&want, &d);      /* configured, add failed: not yet owned */
        ipvs_table_add_service(&kern, &a);
        ipvs_table_add_service(&kern, &b);      /* old owned, still in kernel (deletion failed): stays */
        ipvs_table_add_service(&kern, &c);      /* foreign: never owned */
        ipvs_table_sort(&want);
        ipvs_table_sort(&kern);
        IpvsOwned old = {}, upd = {};
        assert_int_equal(ipvs_owned_parse("tcp:10.0.0.1:80\nfwmark6:3\nudp:[::1]:53\ntcp:10.0.0.1:80\n", &old, &line), 0);
        assert_int_equal(old.n, 3); /* the duplicate collapsed */
        assert_int_equal(ipvs_owned_update(&old, &want, &kern, &upd), 1);
        assert_int_equal(upd.n, 2);
        assert_true(ipvs_owned_contains(&upd, &a.key));
        assert_true(ipvs_owned_contains(&upd, &b.key));
        assert_false(ipvs_owned_contains(&upd, &c.key));
        assert_false(ipvs_owned_contains(&upd, &d.key));
        IpvsOwned again = {};
        assert_int_equal(ipvs_owned_update(&upd, &want, &kern, &again), 0); /* unchanged: no state file write */
        ipvs_owned_done(&old);
        ipvs_owned_done(&upd);
        ipvs_owned_done(&again);
        ipvs_table_done(&want);
        ipvs_table_done(&kern);

        IpvsOwned bad = {};
        assert_int_equal(ipvs_owned_parse("tcp:10.0.0.1:80\n# x\nnonsense\n", &bad, &line), -EBADMSG);
        assert_int_equal(line, 3);
        assert_int_equal(bad.n, 0);
        free(buf);
        ipvs_owned_done(&o);
        ipvs_owned_done(&back);
}

/* One weight change in a 10,000-dest service is one operation, not a rebuild. */
static void test_diff_large_single_change(void **state) {
        Config c = {};
        VirtualServerConf vs = { .address = A("10.0.0.1"), .port = 80, .protocol = IPVS_PROTO_TCP,
                                 .scheduler = (char *) "wrr", .forwarding = FORWARDING_DR };
        RealServerConf *rs = calloc(10000, sizeof *rs);
        ConfDiags d = {};
        _cleanup_ipvs_table_ IpvsTable a = {}, b = {};
        IpvsOps o = {};

        assert_non_null(rs);
        for (unsigned i = 0; i < 10000; i++) {
                rs[i].address.family = AF_INET;
                rs[i].address.addr.in.s_addr = htonl(0x0a640000u + i);
                rs[i].weight = 1;
        }
        vs.real_servers = rs;
        vs.n_real_servers = 10000;
        c.virtual_servers = &vs;
        c.n_virtual_servers = 1;
        assert_int_equal(ipvs_desired_build(&c, NULL, &a, &d), 0);
        rs[4242].weight = 9;
        assert_int_equal(ipvs_desired_build(&c, NULL, &b, &d), 0);
        assert_int_equal(ipvs_diff(&b, &a, NULL, &o), 0);
        assert_int_equal(o.n, 1);
        assert_int_equal(o.ops[0].type, IPVS_OP_EDIT_DEST);
        assert_int_equal(o.ops[0].dest->weight, 9);
        assert_int_equal(ntohl(o.ops[0].dest->addr.in.s_addr), 0x0a640000u + 4242);
        ipvs_ops_done(&o);
        free(rs);
        conf_diags_free(&d);
}

static void test_sched_flags(void **state) {
        char b[64];
        uint32_t f;
        assert_int_equal(ipvs_sched_flags_from_string("mh", "mh-fallback", &f), 0);
        assert_int_equal(f, IP_VS_SVC_F_SCHED1);
        assert_int_equal(ipvs_sched_flags_from_string("mh", "sh-port", &f), -ENOTUNIQ);
        assert_int_equal(ipvs_sched_flags_from_string("sh", "bogus", &f), -EINVAL);
        assert_string_equal(ipvs_sched_flags_format(b, sizeof b, "sh", IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2), "sh-fallback,sh-port");
        assert_string_equal(ipvs_sched_flags_format(b, sizeof b, "rr", IP_VS_SVC_F_SCHED3), "flag-3");
        assert_string_equal(ipvs_sched_flags_format(b, sizeof b, "mh", IP_VS_SVC_F_PERSISTENT), "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_key_roundtrip),
                cmocka_unit_test(test_desired_full),
                cmocka_unit_test(test_desired_errors),
                cmocka_unit_test(test_diff_from_empty_and_idempotent),
                cmocka_unit_test(test_diff_edits),
                cmocka_unit_test(test_diff_ownership),
                cmocka_unit_test(test_health),
                cmocka_unit_test(test_owned_file),
                cmocka_unit_test(test_diff_large_single_change),
                cmocka_unit_test(test_sched_flags),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
