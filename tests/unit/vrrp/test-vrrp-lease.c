/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nft command text of the fine lease (no nftables calls are made). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "vrrp-lease.h"

static InAddrPrefix P(const char *s) {
        InAddrPrefix p;
        assert_int_equal(parse_address_prefix(s, &p), 0);
        return p;
}

static void test_refresh_rearms(void **state) {
        InAddrPrefix a[] = { P("10.0.0.50/24"), P("10.0.0.51/32"), P("fd00::50/64") };
        char *s = vrrp_lease_format("refresh", a, 3, 250 * USEC_PER_MSEC);
        assert_non_null(s);
        /* add, delete, add again: "add" alone does not re-arm an element's timer */
        assert_string_equal(s,
                "add element inet vigil_vrrp alive4 { 10.0.0.50 timeout 250ms, 10.0.0.51 timeout 250ms }\n"
                "delete element inet vigil_vrrp alive4 { 10.0.0.50, 10.0.0.51 }\n"
                "add element inet vigil_vrrp alive4 { 10.0.0.50 timeout 250ms, 10.0.0.51 timeout 250ms }\n"
                "add element inet vigil_vrrp alive6 { fd00::50 timeout 250ms }\n"
                "delete element inet vigil_vrrp alive6 { fd00::50 }\n"
                "add element inet vigil_vrrp alive6 { fd00::50 timeout 250ms }\n"
                "add element arp vigil_vrrp alive4 { 10.0.0.50 timeout 250ms, 10.0.0.51 timeout 250ms }\n"
                "delete element arp vigil_vrrp alive4 { 10.0.0.50, 10.0.0.51 }\n"
                "add element arp vigil_vrrp alive4 { 10.0.0.50 timeout 250ms, 10.0.0.51 timeout 250ms }\n");
        free(s);
}

static void test_manage_revoke_accept(void **state) {
        InAddrPrefix a[] = { P("fd00::50/64") };
        char *s = vrrp_lease_format("manage", a, 1, 0);
        assert_string_equal(s, "add element inet vigil_vrrp vips6 { fd00::50 }\n");
        free(s);
        s = vrrp_lease_format("revoke", a, 1, 0);
        /* add first so deleting an absent element cannot fail the batch */
        assert_string_equal(s, "add element inet vigil_vrrp alive6 { fd00::50 timeout 1000ms }\n"
                               "delete element inet vigil_vrrp alive6 { fd00::50 }\n");
        free(s);
        InAddrPrefix b[] = { P("192.0.2.1/32") };
        s = vrrp_lease_format("noaccept", b, 1, 0);
        assert_string_equal(s, "add element inet vigil_vrrp noaccept4 { 192.0.2.1 }\n");
        free(s);
        s = vrrp_lease_format("accept", b, 1, 0);
        assert_string_equal(s, "add element inet vigil_vrrp noaccept4 { 192.0.2.1 }\n"
                               "delete element inet vigil_vrrp noaccept4 { 192.0.2.1 }\n");
        free(s);
        /* sub-millisecond timeouts round up, never to 0 (which means "no timeout") */
        s = vrrp_lease_format("refresh", b, 1, 1);
        assert_non_null(strstr(s, "192.0.2.1 timeout 1ms"));
        free(s);
        s = vrrp_lease_format("manage", b, 0, 0);
        assert_string_equal(s, "");
        free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_refresh_rearms),
                cmocka_unit_test(test_manage_revoke_accept),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
