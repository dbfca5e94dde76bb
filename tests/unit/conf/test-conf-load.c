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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_design_example),
                cmocka_unit_test(test_roundtrip_minimal),
                cmocka_unit_test(test_roundtrip_design),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
