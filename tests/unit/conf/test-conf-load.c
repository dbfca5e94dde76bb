/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The loader on valid input: every key of the schema lands in its field, the
 * defaults are the documented ones, and the normalized dump loads back to the
 * same model. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf-test-util.h"
#include "macro.h"

static Config *load_fixture(const char *name) {
        size_t len;
        _cleanup_free_ char *text = fixture_read(name, &len);
        ConfDiags d = {};
        Config *c = NULL;
        int r = config_load_string(name, text, len, &c, &d);
        if (r < 0) {
                conf_diags_print(&d, stderr);
                fail_msg("%s: load failed: %d", name, r);
        }
        conf_diags_free(&d);
        return c;
}

static void assert_addr(const InAddrPrefix *a, const char *expect) {
        char buf[ADDR_STR_MAX];
        if (strchr(expect, '/'))
                assert_string_equal(format_address_prefix(buf, sizeof buf, a), expect);
        else
                assert_string_equal(format_address(buf, sizeof buf, a->family, &a->addr), expect);
}

static void test_minimal(void **state) {
        _cleanup_config_ Config *c = load_fixture("minimal.yaml");
        assert_int_equal(c->n_instances, 1);
        const VrrpInstanceConf *i = config_find_instance(c, "VI_1");
        assert_non_null(i);
        assert_string_equal(i->interface, "eth0");
        assert_int_equal(i->virtual_router_id, 51);
        /* documented defaults */
        assert_int_equal(i->priority, 100);
        assert_int_equal(i->version, 3);
        assert_int_equal(i->advert_interval, USEC_PER_SEC);
        assert_true(i->preempt);
        assert_int_equal(i->preempt_delay, 0);
        assert_false(i->accept);
        assert_int_equal(i->initial_state, VRRP_INITIAL_BACKUP);
        assert_int_equal(i->family, AF_INET);
        assert_int_equal(i->n_virtual_addresses, 1);
        assert_addr(&i->virtual_addresses[0].addr, "192.168.1.10/24");
        assert_string_equal(i->virtual_addresses[0].scope, "global");
        assert_string_equal(i->virtual_addresses[0].device, "");
        assert_int_equal(i->vip_lease, VIP_LEASE_AUTO);
        assert_int_equal(i->fencing.policy, FENCE_POLICY_NONE);
        assert_int_equal(i->fencing.timeout, 5 * USEC_PER_SEC);
        assert_int_equal(i->on_missing, ON_MISSING_FAULT);
        assert_int_equal(i->garp.repeat, 5);
        assert_int_equal(i->garp.refresh_repeat, 1);
        assert_int_equal(i->garp.master_delay, 5 * USEC_PER_SEC);
        assert_null(i->sync_group);
        assert_int_equal(c->ipvs.reconcile_interval, 30 * USEC_PER_SEC);
        assert_false(c->ipvs.own_table);
        assert_false(c->zookeeper.present);
        assert_int_equal(c->n_checks, 0);
        assert_int_equal(c->n_virtual_servers, 0);
        /* every object knows where it came from */
        assert_string_equal(i->loc.file, "minimal.yaml");
        assert_int_equal(i->loc.line, 4);
        assert_int_equal(i->loc.col, 5);
}

static void test_design_example(void **state) {
        _cleanup_config_ Config *c = load_fixture("design-example.yaml");
        assert_string_equal(c->global.router_id, "LVS_DEVEL");
        const VrrpInstanceConf *i = config_find_instance(c, "VI_1");
        assert_non_null(i);
        assert_string_equal(i->auth_pass, "1111");
        assert_true(i->unicast);
        assert_addr(&i->unicast_source, "10.0.0.1");
        assert_int_equal(i->n_unicast_peers, 1);
        assert_addr(&i->unicast_peers[0], "10.0.0.2");
        assert_string_equal(i->virtual_addresses[0].label, "eth0:7");
        assert_int_equal(i->track_interfaces[0].weight, -10);
        assert_string_equal(i->track_checks[0].name, "chk_nginx");
        assert_int_equal(i->fencing.policy, FENCE_POLICY_REQUIRED);
        assert_string_equal(i->fencing.agents[0], "org.vigil.FenceZk1");
        assert_string_equal(i->sync_group, "G1");
        assert_string_equal(c->zookeeper.hosts, "10.0.0.5:2181,10.0.0.6:2181,10.0.0.7:2181");
        const CheckConf *k = config_find_check(c, "fence_peer");
        assert_non_null(k);
        assert_true(k->on_demand);
        assert_int_equal(k->timeout, 10 * USEC_PER_SEC);
        assert_int_equal(c->n_virtual_servers, 1);
        const VirtualServerConf *vs = &c->virtual_servers[0];
        assert_string_equal(vs->id, "tcp:192.168.182.100:80");
        assert_string_equal(vs->scheduler, "rr");
        assert_int_equal(vs->forwarding, FORWARDING_DR);
        const RealServerConf *rs = &vs->real_servers[0];
        assert_non_null(rs->check);
        assert_string_equal(rs->check->name, "tcp:192.168.182.100:80/192.168.182.130:80");
        assert_int_equal(rs->check->type, CHECK_HTTP);
        assert_int_equal(rs->check->timeout, 3 * USEC_PER_SEC); /* connect_timeout */
        assert_int_equal(rs->check->interval, 6 * USEC_PER_SEC); /* the service's delay_loop */
        assert_addr(&rs->check->address, "192.168.182.130");
        assert_int_equal(rs->check->port, 80);
        assert_int_equal(real_server_forwarding(vs, rs), FORWARDING_DR);
}

/* dump(load(x)) loads again, and dumping that gives the same text */
static void roundtrip(const char *fixture) {
        _cleanup_config_ Config *c = load_fixture(fixture);
        _cleanup_free_ char *d1 = dump_text(c);
        _cleanup_config_ Config *c2 = NULL;
        _cleanup_free_ char *diags = NULL;
        int r = load_text(d1, &c2, &diags, NULL);
        if (r < 0)
                fail_msg("%s: dump does not load back:\n%s\n---\n%s", fixture, diags, d1);
        _cleanup_free_ char *d2 = dump_text(c2);
        assert_string_equal(d1, d2);
}

static void test_roundtrip_minimal(void **state) {
        roundtrip("minimal.yaml");
}

static void test_roundtrip_design(void **state) {
        roundtrip("design-example.yaml");
}

/* tests/fixtures/full.yaml, field by field. Runs on the fixture and on its
 * normalized dump loaded back: the dump must carry every field. */
static void assert_full(const Config *c) {
        assert_string_equal(c->global.router_id, "lvs-a");
        assert_true(c->global.vrrp_strict);

        /* vrrp */
        assert_int_equal(c->n_instances, 3);
        const VrrpInstanceConf *i = config_find_instance(c, "VI_4");
        assert_non_null(i);
        assert_string_equal(i->interface, "eth0");
        assert_int_equal(i->virtual_router_id, 51);
        assert_int_equal(i->priority, 150);
        assert_int_equal(i->initial_state, VRRP_INITIAL_MASTER);
        assert_int_equal(i->version, 2);
        assert_int_equal(i->advert_interval, 2 * USEC_PER_SEC);
        assert_false(i->preempt);
        assert_int_equal(i->preempt_delay, 30 * USEC_PER_SEC);
        assert_true(i->accept);
        assert_string_equal(i->auth_pass, "secret8");
        assert_true(i->unicast);
        assert_addr(&i->unicast_source, "10.0.0.1");
        assert_int_equal(i->n_unicast_peers, 2);
        assert_addr(&i->unicast_peers[0], "10.0.0.2");
        assert_addr(&i->unicast_peers[1], "10.0.0.3");
        assert_int_equal(i->family, AF_INET);
        assert_int_equal(i->n_virtual_addresses, 2);
        assert_addr(&i->virtual_addresses[0].addr, "192.168.1.10/24");
        assert_string_equal(i->virtual_addresses[0].device, "");
        assert_string_equal(i->virtual_addresses[0].scope, "global");
        assert_false(i->virtual_addresses[0].has_broadcast);
        const VipConf *v = &i->virtual_addresses[1];
        assert_addr(&v->addr, "192.168.2.10/32");
        assert_string_equal(v->device, "eth1");
        assert_string_equal(v->label, "eth1:vip");
        assert_string_equal(v->scope, "host");
        assert_true(v->has_broadcast);
        assert_int_equal(v->broadcast.s_addr, inet_addr("192.168.2.255"));
        assert_int_equal(i->n_excluded_addresses, 2);
        assert_addr(&i->excluded_addresses[0].addr, "2001:db8::10/64");
        assert_addr(&i->excluded_addresses[1].addr, "10.9.9.9/32");
        assert_string_equal(i->excluded_addresses[1].device, "eth2");
        assert_string_equal(i->excluded_addresses[1].scope, "link");
        assert_int_equal(i->n_track_interfaces, 2);
        assert_string_equal(i->track_interfaces[0].name, "eth3");
        assert_false(i->track_interfaces[0].has_weight);
        assert_string_equal(i->track_interfaces[1].name, "eth4");
        assert_true(i->track_interfaces[1].has_weight);
        assert_int_equal(i->track_interfaces[1].weight, -50);
        assert_int_equal(i->n_track_checks, 2);
        assert_string_equal(i->track_checks[0].name, "chk_file");
        assert_false(i->track_checks[0].has_weight);
        assert_string_equal(i->track_checks[1].name, "chk_exec");
        assert_true(i->track_checks[1].has_weight);
        assert_int_equal(i->track_checks[1].weight, 20);
        assert_int_equal(i->on_missing, ON_MISSING_IGNORE);
        assert_int_equal(i->fencing.policy, FENCE_POLICY_BEST_EFFORT);
        assert_int_equal(i->fencing.timeout, 1500 * USEC_PER_MSEC);
        assert_int_equal(strv_length(i->fencing.agents), 2);
        assert_string_equal(i->fencing.agents[1], "com.example.Fence");
        assert_int_equal(strv_length(i->fencing.commands), 1);
        assert_string_equal(i->fencing.commands[0], "fence_cmd");
        assert_int_equal(i->vip_lease, VIP_LEASE_FIXED);
        assert_int_equal(i->vip_lease_duration, 2 * USEC_PER_SEC);
        assert_true(i->use_vmac);
        assert_string_equal(i->vmac_interface, "vrrp.51");
        assert_int_equal(i->garp.repeat, 3);
        assert_int_equal(i->garp.interval, 100 * USEC_PER_MSEC);
        assert_int_equal(i->garp.refresh, 60 * USEC_PER_SEC);
        assert_int_equal(i->garp.refresh_repeat, 2);
        assert_int_equal(i->garp.master_delay, 0);
        assert_string_equal(i->sync_group, "G1");

        const VrrpInstanceConf *i6 = config_find_instance(c, "VI_6");
        assert_non_null(i6);
        assert_int_equal(i6->family, AF_INET6);
        assert_int_equal(i6->advert_interval, 250 * USEC_PER_MSEC);
        assert_int_equal(i6->vip_lease, VIP_LEASE_OFF);
        /* agents without a policy: best-effort */
        assert_int_equal(i6->fencing.policy, FENCE_POLICY_BEST_EFFORT);
        assert_null(i6->sync_group);
        assert_string_equal(config_find_instance(c, "VI_7")->sync_group, "G1");

        assert_int_equal(c->n_sync_groups, 1);
        const SyncGroupConf *g = config_find_sync_group(c, "G1");
        assert_non_null(g);
        assert_int_equal(strv_length(g->members), 2);
        assert_string_equal(g->members[0], "VI_4");
        assert_string_equal(g->members[1], "VI_7");

        /* zookeeper */
        assert_true(c->zookeeper.present);
        assert_string_equal(c->zookeeper.hosts, "zk1:2181,zk2:2181");
        assert_string_equal(c->zookeeper.root, "/vigil/lb1");
        assert_int_equal(c->zookeeper.session_timeout, 4 * USEC_PER_SEC);

        /* checks */
        assert_int_equal(c->n_checks, 9);
        const CheckConf *k = config_find_check(c, "chk_file");
        assert_int_equal(k->type, CHECK_FILE);
        assert_string_equal(k->file_path, "/run/vigil/weight");
        assert_int_equal(k->file_default_weight, -5);
        assert_false(k->file_down_on_zero);
        assert_int_equal(k->interval, 10 * USEC_PER_SEC);
        assert_int_equal(k->warmup, 10 * USEC_PER_SEC); /* default: the interval */

        k = config_find_check(c, "chk_exec");
        assert_int_equal(k->type, CHECK_EXEC);
        assert_int_equal(strv_length(k->command), 3);
        assert_string_equal(k->command[0], "/bin/sh");
        assert_string_equal(k->command[2], "exit 0");
        assert_true(k->dynamic);
        assert_false(k->shell);
        assert_int_equal(k->max_output, 8192);
        assert_int_equal(k->interval, 2 * USEC_PER_SEC);
        assert_int_equal(k->timeout, USEC_PER_SEC);
        assert_int_equal(k->fall, 2);
        assert_int_equal(k->rise, 3);
        assert_int_equal(k->retry, 1);
        assert_int_equal(k->delay_before_retry, 500 * USEC_PER_MSEC);
        assert_int_equal(k->warmup, 0);
        assert_int_equal(k->initial_state, CHECK_INITIAL_DOWN);
        assert_int_equal(k->weight, 10);
        assert_false(k->inline_check);

        k = config_find_check(c, "fence_cmd");
        assert_int_equal(strv_length(k->command), 1);
        assert_string_equal(k->command[0], "echo fenced"); /* a string is one argv[0], never split */
        assert_true(k->shell);
        assert_true(k->on_demand);
        /* defaults of a named check */
        assert_int_equal(k->interval, 3 * USEC_PER_SEC);
        assert_int_equal(k->timeout, 5 * USEC_PER_SEC);
        assert_int_equal(k->fall, 1);
        assert_int_equal(k->rise, 1);
        assert_int_equal(k->retry, 0);
        assert_int_equal(k->delay_before_retry, USEC_PER_SEC);
        assert_int_equal(k->initial_state, CHECK_INITIAL_UP);
        assert_int_equal(k->max_output, 4096);

        k = config_find_check(c, "chk_https");
        assert_int_equal(k->type, CHECK_HTTPS);
        assert_addr(&k->address, "192.168.1.20");
        assert_int_equal(k->port, 8443);
        assert_addr(&k->bind_address, "192.168.1.1");
        assert_string_equal(k->bind_interface, "eth0");
        assert_int_equal(k->fwmark, 7);
        assert_string_equal(k->method, "HEAD");
        assert_string_equal(k->path, "/health?full=1");
        assert_string_equal(k->virtualhost, "www.example.com");
        assert_int_equal(k->http_version, 10);
        assert_int_equal(k->n_status, 2);
        assert_int_equal(k->status[0].lo, 200);
        assert_int_equal(k->status[0].hi, 200);
        assert_int_equal(k->status[1].lo, 301);
        assert_int_equal(k->status[1].hi, 302);
        assert_string_equal(k->digest, "0123456789abcdef0123456789abcdef");
        assert_string_equal(k->regex, "ok|ready");
        assert_int_equal(k->max_body, 64 * 1024);
        assert_int_equal(strv_length(k->headers), 2);
        assert_string_equal(k->headers[0], "X-Check: vigil");
        assert_true(k->tls_verify);
        assert_string_equal(k->sni, "api.example.com");
        assert_string_equal(k->ca_file, "/etc/ssl/ca.pem");
        assert_string_equal(k->cert_file, "/etc/ssl/client.pem");
        assert_string_equal(k->key_file, "/etc/ssl/client.key");

        k = config_find_check(c, "chk_smtp");
        assert_int_equal(k->type, CHECK_SMTP);
        assert_string_equal(k->helo_name, "lb.example.com");
        assert_int_equal(k->port, 25); /* default port of the type */

        k = config_find_check(c, "chk_dns");
        assert_int_equal(k->type, CHECK_DNS);
        assert_addr(&k->address, "2001:db8::53");
        assert_int_equal(k->port, 53);
        assert_string_equal(k->query_name, "example.com");
        assert_string_equal(k->query_type, "AAAA");
        assert_true(k->dns_tcp);
        assert_int_equal(k->expect_rcode, 3);
        assert_string_equal(k->expect_answer, "2001:db8::80");

        k = config_find_check(c, "chk_udp");
        assert_int_equal(k->type, CHECK_UDP);
        assert_int_equal(k->port, 5060);
        assert_string_equal(k->payload, "OPTIONS sip:x SIP/2.0\r\n\r\n");
        assert_string_equal(k->expect, "^SIP/2.0 200");
        assert_true(k->require_reply);

        k = config_find_check(c, "chk_ping");
        assert_int_equal(k->type, CHECK_PING);
        assert_int_equal(k->port, 0);
        assert_false(k->on_demand);

        k = config_find_check(c, "chk_tcp");
        assert_int_equal(k->type, CHECK_TCP);
        assert_int_equal(k->port, 22);

        /* virtual servers */
        assert_int_equal(c->n_virtual_servers, 3);
        const VirtualServerConf *vs = &c->virtual_servers[0];
        assert_string_equal(vs->id, "tcp:192.168.1.10:443");
        assert_addr(&vs->address, "192.168.1.10");
        assert_int_equal(vs->port, 443);
        assert_int_equal(vs->fwmark, 0);
        assert_int_equal(vs->protocol, IPVS_PROTO_TCP);
        assert_string_equal(vs->scheduler, "sh");
        assert_int_equal(strv_length(vs->flags), 2);
        assert_string_equal(vs->flags[0], "sh-port");
        assert_int_equal(vs->forwarding, FORWARDING_FULLNAT);
        assert_addr(&vs->snat_address, "192.168.1.2");
        assert_int_equal(vs->persistence_timeout, 5 * USEC_PER_MINUTE);
        assert_int_equal(vs->persistence_prefix, 24);
        assert_int_equal(vs->delay_loop, 10 * USEC_PER_SEC);
        assert_int_equal(vs->quorum, 2);
        assert_int_equal(vs->hysteresis, 1);
        assert_true(vs->has_sorry_server);
        assert_addr(&vs->sorry_server, "192.168.1.99");
        assert_int_equal(vs->sorry_port, 8080);
        assert_int_equal(vs->sorry_forwarding, FORWARDING_INHERIT);
        assert_false(vs->inhibit_on_failure);
        assert_int_equal(vs->n_real_servers, 3);

        const RealServerConf *rs = &vs->real_servers[0];
        assert_addr(&rs->address, "192.168.10.1");
        assert_int_equal(rs->port, 8443);
        assert_int_equal(rs->weight, 3);
        assert_int_equal(rs->forwarding, FORWARDING_INHERIT);
        assert_int_equal(real_server_forwarding(vs, rs), FORWARDING_FULLNAT);
        assert_addr(&rs->snat_address, "192.168.1.3");
        assert_int_equal(rs->upper_threshold, 1000);
        assert_int_equal(rs->lower_threshold, 800);
        assert_false(rs->inhibit_on_failure); /* the service's */
        assert_non_null(rs->check);
        assert_true(rs->check->inline_check);
        assert_string_equal(rs->check->name, "tcp:192.168.1.10:443/192.168.10.1:8443");
        assert_int_equal(rs->check->type, CHECK_TCP);
        assert_addr(&rs->check->address, "192.168.10.1");
        assert_int_equal(rs->check->port, 8443);
        assert_int_equal(rs->check->interval, 10 * USEC_PER_SEC);

        rs = &vs->real_servers[1];
        assert_int_equal(rs->port, 443); /* the service's */
        assert_int_equal(real_server_port(vs, rs), 443);
        assert_int_equal(rs->weight, 0);
        assert_int_equal(rs->forwarding, FORWARDING_NAT);
        assert_true(rs->inhibit_on_failure);
        assert_null(rs->check);
        assert_string_equal(rs->check_ref, "chk_https");

        rs = &vs->real_servers[2];
        assert_int_equal(rs->forwarding, FORWARDING_TUN);
        assert_int_equal(rs->tunnel_type, TUNNEL_GUE);
        assert_int_equal(rs->tunnel_port, 6080);
        assert_int_equal(rs->weight, 1);
        assert_null(rs->check);
        assert_null(rs->check_ref);

        vs = &c->virtual_servers[1];
        assert_string_equal(vs->id, "fwmark6:5");
        assert_int_equal(vs->fwmark, 5);
        assert_int_equal(vs->fwmark_family, AF_INET6);
        assert_int_equal(vs->address.family, AF_UNSPEC);
        assert_int_equal(vs->protocol, IPVS_PROTO_UDP);
        assert_string_equal(vs->scheduler, "mh");
        assert_int_equal(strv_length(vs->flags), 1);
        assert_int_equal(vs->forwarding, FORWARDING_DR);
        assert_int_equal(vs->persistence_timeout, USEC_PER_HOUR);
        assert_int_equal(vs->persistence_prefix, 64);
        assert_int_equal(vs->delay_loop, 6 * USEC_PER_SEC);
        assert_int_equal(vs->quorum, 1);
        assert_true(vs->inhibit_on_failure);
        assert_addr(&vs->sorry_server, "2001:db8::99");
        assert_int_equal(vs->sorry_port, 53);
        assert_int_equal(vs->sorry_forwarding, FORWARDING_NAT);
        rs = &vs->real_servers[0];
        assert_int_equal(rs->port, 0);
        assert_string_equal(rs->check->name, "fwmark6:5/[2001:db8::101]:0");
        assert_int_equal(rs->check->port, 53);
        assert_int_equal(rs->check->interval, 3 * USEC_PER_SEC);
        assert_string_equal(rs->check->query_type, "SOA");
        assert_string_equal(rs->check->query_name, ".");
        rs = &vs->real_servers[1];
        assert_int_equal(rs->tunnel_type, TUNNEL_GRE);

        vs = &c->virtual_servers[2];
        assert_string_equal(vs->id, "sctp:[2001:db8::443]:0");
        assert_int_equal(vs->protocol, IPVS_PROTO_SCTP);
        assert_int_equal(vs->persistence_timeout, 60 * USEC_PER_SEC);
        assert_int_equal(vs->persistence_prefix, 128);
        assert_string_equal(vs->scheduler, "wlc");
        assert_int_equal(vs->forwarding, FORWARDING_NAT);
        assert_int_equal(vs->real_servers[0].port, 3868);

        /* ipvs */
        assert_true(c->ipvs.own_table);
        assert_string_equal(c->ipvs.sync_instance, "VI_4");
        assert_string_equal(c->ipvs.sync_interface, "eth9");
        assert_int_equal(c->ipvs.sync_id, 200);
        assert_int_equal(c->ipvs.timeout_tcp, 15 * USEC_PER_MINUTE);
        assert_int_equal(c->ipvs.timeout_tcpfin, 2 * USEC_PER_MINUTE);
        assert_int_equal(c->ipvs.timeout_udp, 5 * USEC_PER_MINUTE);
        assert_int_equal(c->ipvs.reconcile_interval, 10 * USEC_PER_SEC);

        /* notify */
        assert_int_equal(c->n_notify, 3);
        const NotifyConf *n = &c->notify[0];
        assert_int_equal(n->kind, NOTIFY_INSTANCE);
        assert_false(n->group);
        assert_string_equal(n->name, "VI_4");
        assert_int_equal(strv_length(n->notify), 2);
        assert_string_equal(n->notify[1], "any");
        assert_string_equal(n->notify_master[0], "/bin/true");
        assert_string_equal(n->notify_backup[1], "backup");
        assert_string_equal(n->notify_fault[0], "/bin/true");
        assert_string_equal(n->notify_stop[0], "/bin/true");
        assert_null(n->notify_up);
        assert_int_equal(n->timeout, 10 * USEC_PER_SEC);
        n = &c->notify[1];
        assert_int_equal(n->kind, NOTIFY_GROUP);
        assert_true(n->group);
        assert_string_equal(n->name, "G1");
        assert_int_equal(n->timeout, 30 * USEC_PER_SEC);
        n = &c->notify[2];
        assert_int_equal(n->kind, NOTIFY_CHECK);
        assert_string_equal(n->notify_up[0], "/bin/true");
        assert_string_equal(n->notify_down[0], "/bin/false");
}

static void test_full(void **state) {
        _cleanup_config_ Config *c = load_fixture("full.yaml");
        assert_full(c);
}

static void test_full_dump_reloaded(void **state) {
        _cleanup_config_ Config *c = load_fixture("full.yaml");
        _cleanup_free_ char *d1 = dump_text(c);
        _cleanup_config_ Config *c2 = NULL;
        _cleanup_free_ char *diags = NULL;
        if (load_text(d1, &c2, &diags, NULL) < 0)
                fail_msg("dump does not load back:\n%s\n---\n%s", diags, d1);
        assert_full(c2);
}

static void test_roundtrip_full(void **state) {
        roundtrip("full.yaml");
}

static Config *load_ok(const char *yaml) {
        Config *c = NULL;
        _cleanup_free_ char *diags = NULL;
        if (load_text(yaml, &c, &diags, NULL) < 0)
                fail_msg("load failed:\n%s\n---\n%s", diags, yaml);
        return c;
}

/* notify as a map: the name says what it is (instance first, then group, then check) */
static void test_notify_map_form(void **state) {
        _cleanup_config_ Config *c = load_ok(
                "vrrp:\n  instances:\n    VI_1: {interface: eth0, virtual_router_id: 1, virtual_addresses: [10.0.0.1/24]}\n"
                "  sync_groups:\n    G: [VI_1]\n"
                "checks:\n  web: {type: tcp, address: 10.0.0.2, port: 80}\n"
                "virtual_servers:\n  - {address: 10.0.0.1, port: 80, real_servers: [{address: 10.0.1.1, check: {type: tcp}}]}\n"
                "notify:\n"
                "  VI_1: {notify_master: /bin/true, timeout: 5s}\n"
                "  G: {notify: [/bin/true, x]}\n"
                "  web: {notify_down: /bin/true}\n"
                "  \"tcp:10.0.0.1:80/10.0.1.1:80\": {notify_up: /bin/true}\n");
        assert_int_equal(c->n_notify, 4);
        assert_int_equal(c->notify[0].kind, NOTIFY_INSTANCE);
        assert_int_equal(c->notify[0].timeout, 5 * USEC_PER_SEC);
        assert_int_equal(c->notify[1].kind, NOTIFY_GROUP);
        assert_true(c->notify[1].group);
        assert_int_equal(c->notify[2].kind, NOTIFY_CHECK);
        assert_int_equal(c->notify[3].kind, NOTIFY_CHECK);
        assert_string_equal(c->notify[3].name, "tcp:10.0.0.1:80/10.0.1.1:80");
        /* the dump writes the list form, which loads to the same */
        _cleanup_free_ char *d1 = dump_text(c);
        assert_non_null(strstr(d1, "  - group: \"G\"\n"));
        _cleanup_config_ Config *c2 = load_ok(d1);
        _cleanup_free_ char *d2 = dump_text(c2);
        assert_string_equal(d1, d2);
}

/* the alternative spellings of the schema */
static void test_alternative_forms(void **state) {
        _cleanup_config_ Config *c = load_ok(
                "vrrp:\n  instances:\n    VI_1:\n      interface: eth0\n      virtual_router_id: 1\n"
                "      preempt: No\n      accept: TRUE\n"
                "      virtual_addresses: [\"2001:db8::1\"]\n"
                "      track: {interfaces: [eth1], checks: [web]}\n"
                "      fencing: {commands: fence}\n"
                "checks:\n"
                "  web: {type: http, address: 10.0.0.2, status: 204, headers: {X-A: b, X-C: d}, http_version: 11}\n"
                "  fence: {type: exec, command: /bin/true, on_demand: yes}\n"
                "zookeeper: {hosts: \"a:1,b:2\"}\n"
                "virtual_servers:\n"
                "  - address: 10.0.0.1\n    port: 80\n    sorry_server: {address: 10.0.0.9}\n"
                "    persistence: {timeout: 90, netmask: 0.0.0.0}\n"
                "    real_servers: [{address: 10.0.1.1, port: 8080, check: web}]\n");
        const VrrpInstanceConf *i = &c->instances[0];
        assert_false(i->preempt);
        assert_true(i->accept);
        assert_int_equal(i->family, AF_INET6);
        assert_int_equal(i->virtual_addresses[0].addr.prefixlen, 128);
        assert_string_equal(i->track_interfaces[0].name, "eth1");
        assert_string_equal(i->track_checks[0].name, "web");
        assert_int_equal(i->fencing.policy, FENCE_POLICY_BEST_EFFORT); /* commands without a policy */
        assert_string_equal(i->fencing.commands[0], "fence");
        const CheckConf *k = config_find_check(c, "web");
        assert_int_equal(k->n_status, 1);
        assert_int_equal(k->status[0].lo, 204);
        assert_int_equal(k->status[0].hi, 204);
        assert_string_equal(k->headers[0], "X-A: b");
        assert_string_equal(k->headers[1], "X-C: d");
        assert_int_equal(k->http_version, 11);
        assert_int_equal(k->port, 80);
        assert_string_equal(k->method, "GET");
        assert_string_equal(k->path, "/");
        k = config_find_check(c, "fence");
        assert_string_equal(k->command[0], "/bin/true");
        assert_null(k->command[1]);
        assert_string_equal(c->zookeeper.root, "/vigil");
        assert_int_equal(c->zookeeper.session_timeout, 6 * USEC_PER_SEC);
        const VirtualServerConf *vs = &c->virtual_servers[0];
        assert_int_equal(vs->sorry_port, 80); /* the service's port */
        assert_int_equal(vs->persistence_timeout, 90 * USEC_PER_SEC);
        assert_int_equal(vs->persistence_prefix, 0);
        assert_string_equal(vs->scheduler, "wlc");
        assert_int_equal(vs->forwarding, FORWARDING_NAT);
        assert_int_equal(vs->delay_loop, 6 * USEC_PER_SEC);
        assert_true(vs->inhibit_on_failure);
        assert_string_equal(vs->real_servers[0].check_ref, "web");
        assert_int_equal(vs->real_servers[0].weight, 1);
        assert_true(vs->real_servers[0].inhibit_on_failure);
        /* defaults of ipvs */
        assert_null(c->ipvs.sync_instance);
        assert_int_equal(c->ipvs.timeout_tcp, 0);
}

/* the sync daemon follows its instance unless told otherwise */
static void test_ipvs_sync_defaults(void **state) {
        _cleanup_config_ Config *c = load_ok(
                "vrrp:\n  instances:\n    VI_1: {interface: bond0, virtual_router_id: 42, virtual_addresses: [10.0.0.1/24]}\n"
                "ipvs:\n  sync_daemon: {instance: VI_1}\n");
        assert_string_equal(c->ipvs.sync_instance, "VI_1");
        assert_string_equal(c->ipvs.sync_interface, "bond0");
        assert_int_equal(c->ipvs.sync_id, 42);
}

/* strings that YAML would misread, or that need escapes, survive the dump */
static void test_dump_quoting(void **state) {
        const char *yaml = "global:\n  router_id: \"yes\\\"quoted\\\\ back\\ttab\\x01 é \\u2028 \\U0001F600 #x: [y]\"\n"
                           "checks:\n  \"null\": {type: udp, address: 10.0.0.1, port: 9, payload: \"\\r\\n\\x7f\", expect: \"~\"}\n";
        _cleanup_config_ Config *c = load_ok(yaml);
        assert_string_equal(c->global.router_id, "yes\"quoted\\ back\ttab\x01 é \xe2\x80\xa8 \xf0\x9f\x98\x80 #x: [y]");
        _cleanup_free_ char *d1 = dump_text(c);
        _cleanup_config_ Config *c2 = load_ok(d1);
        assert_string_equal(c2->global.router_id, c->global.router_id);
        assert_non_null(config_find_check(c2, "null"));
        assert_string_equal(config_find_check(c2, "null")->payload, "\r\n\x7f");
        assert_string_equal(config_find_check(c2, "null")->expect, "~");
        _cleanup_free_ char *d2 = dump_text(c2);
        assert_string_equal(d1, d2);
}

/* only the sections asked for */
static void test_dump_sections(void **state) {
        _cleanup_config_ Config *c = load_fixture("full.yaml");
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(config_dump(c, CONF_SECTION_CHECKS | CONF_SECTION_IPVS, f), 0);
        fclose(f);
        assert_non_null(strstr(buf, "\nchecks:\n"));
        assert_non_null(strstr(buf, "\nipvs:\n"));
        assert_null(strstr(buf, "vrrp:"));
        assert_null(strstr(buf, "virtual_servers:"));
        assert_null(strstr(buf, "zookeeper:"));
        assert_null(strstr(buf, "notify:"));
        assert_null(strstr(buf, "global:"));
        free(buf);
}

static void test_enum_strings(void **state) {
        for (int t = 0; t < _CHECK_TYPE_MAX; t++)
                assert_int_equal(check_type_from_string(check_type_to_string((CheckType) t)), t);
        assert_int_equal(check_type_from_string("gopher"), -EINVAL);
        for (int f = FORWARDING_DR; f < _FORWARDING_MAX; f++)
                assert_int_equal(forwarding_from_string(forwarding_to_string((Forwarding) f)), f);
        assert_int_equal(forwarding_from_string("inherit"), -EINVAL);
        assert_string_equal(ipvs_protocol_to_string(IPVS_PROTO_SCTP), "sctp");
        assert_int_equal(ipvs_protocol_from_string("udp"), IPVS_PROTO_UDP);
        assert_null(config_find_instance(NULL, "x"));
}

/* full.yaml must spell out every key of the schema: every key the normalized
 * dump writes (which is every key, defaults included) has to appear as a key
 * in the fixture too. Keeps the fixture honest when the schema grows. */
static bool text_has_key(const char *text, const char *key) {
        size_t n = strlen(key);
        for (const char *p = strstr(text, key); p; p = strstr(p + 1, key)) {
                char before = p == text ? '\n' : p[-1];
                if (p[n] == ':' && (before == ' ' || before == '\n' || before == '{' || before == ','))
                        return true;
        }
        return false;
}

static void test_full_covers_every_key(void **state) {
        _cleanup_config_ Config *c = load_fixture("full.yaml");
        _cleanup_free_ char *dump = dump_text(c);
        _cleanup_free_ char *full = fixture_read("full.yaml", NULL);
        unsigned checked = 0;
        for (char *line = dump; line && *line;) {
                char *nl = strchr(line, '\n');
                const char *p = line;
                while (*p == ' ' || *p == '-')
                        p++;
                size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
                if (n > 0 && p[n] == ':') {
                        char key[64];
                        snprintf(key, sizeof key, "%.*s", (int) n, p);
                        if (!text_has_key(full, key))
                                fail_msg("key '%s' (dump line: %.*s) is not set in full.yaml", key,
                                         (int) (nl ? nl - line : (ptrdiff_t) strlen(line)), line);
                        checked++;
                }
                line = nl ? nl + 1 : NULL;
        }
        assert_true(checked > 150);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_design_example),
                cmocka_unit_test(test_roundtrip_minimal),
                cmocka_unit_test(test_roundtrip_design),
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_full_dump_reloaded),
                cmocka_unit_test(test_roundtrip_full),
                cmocka_unit_test(test_notify_map_form),
                cmocka_unit_test(test_alternative_forms),
                cmocka_unit_test(test_ipvs_sync_defaults),
                cmocka_unit_test(test_dump_quoting),
                cmocka_unit_test(test_dump_sections),
                cmocka_unit_test(test_enum_strings),
                cmocka_unit_test(test_full_covers_every_key),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
