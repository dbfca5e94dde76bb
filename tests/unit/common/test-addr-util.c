/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "addr-util.h"

static void test_prefix(void **state) {
        InAddrPrefix p;
        char buf[ADDR_STR_MAX];

        assert_int_equal(parse_address_prefix("192.168.182.100/32", &p), 0);
        assert_int_equal(p.family, AF_INET);
        assert_int_equal(p.prefixlen, 32);
        assert_string_equal(format_address_prefix(buf, sizeof buf, &p), "192.168.182.100/32");

        assert_int_equal(parse_address_prefix("10.0.0.1", &p), 0);
        assert_int_equal(p.prefixlen, 32);
        assert_int_equal(parse_address_prefix("10.0.0.1/24", &p), 0);
        assert_int_equal(p.prefixlen, 24);
        assert_int_equal(parse_address_prefix("fe80::1/64", &p), 0);
        assert_int_equal(p.family, AF_INET6);
        assert_int_equal(p.prefixlen, 64);
        assert_int_equal(parse_address_prefix("2001:db8::1", &p), 0);
        assert_int_equal(p.prefixlen, 128);

        assert_true(parse_address_prefix("10.0.0.1/33", &p) < 0);
        assert_true(parse_address_prefix("fe80::1/129", &p) < 0);
        assert_true(parse_address_prefix("10.0.0.1/", &p) < 0);
        assert_true(parse_address_prefix("10.0.0.1/-1", &p) < 0);
        assert_true(parse_address_prefix("10.0.0.256", &p) < 0);
        assert_true(parse_address_prefix("eth0", &p) < 0);
        assert_true(parse_address_prefix("", &p) < 0);
        assert_true(parse_address_prefix(NULL, &p) < 0);
}

static void test_port(void **state) {
        int family;
        union in_addr_union a;
        uint16_t port;
        assert_int_equal(parse_address_port("10.0.0.1:80", &family, &a, &port), 0);
        assert_int_equal(family, AF_INET);
        assert_int_equal(port, 80);
        assert_int_equal(parse_address_port("[::1]:8080", &family, &a, &port), 0);
        assert_int_equal(family, AF_INET6);
        assert_int_equal(port, 8080);
        assert_true(parse_address_port("::1:80", &family, &a, &port) < 0);
        assert_true(parse_address_port("10.0.0.1:65536", &family, &a, &port) < 0);
        assert_true(parse_address_port("10.0.0.1", &family, &a, &port) < 0);
}

static void test_predicates(void **state) {
        union in_addr_union a, b;
        int f;
        assert_int_equal(parse_address("224.0.0.18", &f, &a), 0);
        assert_true(address_is_multicast(f, &a));
        assert_int_equal(parse_address("ff02::12", &f, &b), 0);
        assert_true(address_is_multicast(f, &b));
        assert_int_equal(parse_address("10.0.0.1", &f, &a), 0);
        assert_false(address_is_multicast(f, &a));
        assert_int_equal(parse_address("10.0.0.2", &f, &b), 0);
        assert_true(address_compare(f, &a, &b) < 0);
        assert_false(address_equal(f, &a, &b));
        assert_int_equal(parse_address("0.0.0.0", &f, &a), 0);
        assert_true(address_is_null(f, &a));
}

static void test_ifname(void **state) {
        assert_true(ifname_valid("eth0"));
        assert_true(ifname_valid("enp0s31f6"));
        assert_true(ifname_valid("vrrp.51"));
        assert_false(ifname_valid(""));
        assert_false(ifname_valid(NULL));
        assert_false(ifname_valid("a-very-long-interface"));
        assert_false(ifname_valid("eth0:1"));
        assert_false(ifname_valid("et h0"));
        assert_false(ifname_valid("a/b"));
        assert_false(ifname_valid(".."));
        assert_true(iflabel_valid("eth0:7", "eth0"));
        assert_false(iflabel_valid("eth1:7", "eth0"));
        assert_false(iflabel_valid("eth0:1234567890123", "eth0"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prefix),
                cmocka_unit_test(test_port),
                cmocka_unit_test(test_predicates),
                cmocka_unit_test(test_ifname),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
