/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "vrrp-packet.h"

static union in_addr_union a4(const char *s) {
        union in_addr_union u = {};
        assert_int_equal(inet_pton(AF_INET, s, &u.in), 1);
        return u;
}
static union in_addr_union a6(const char *s) {
        union in_addr_union u = {};
        assert_int_equal(inet_pton(AF_INET6, s, &u.in6), 1);
        return u;
}

/* A reference sum written independently of the code under test: plain
 * 16-bit big-endian words, carries folded at the end. */
static uint16_t ref_csum(const uint8_t *const *parts, const size_t *lens, size_t n) {
        uint64_t sum = 0;
        uint8_t all[4096];
        size_t off = 0;
        for (size_t i = 0; i < n; i++) {
                memcpy(all + off, parts[i], lens[i]);
                off += lens[i];
        }
        if (off & 1)
                all[off++] = 0;
        for (size_t i = 0; i < off; i += 2)
                sum += (uint64_t) (all[i] * 256 + all[i + 1]);
        while (sum > 0xffff)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t) ~sum;
}

/* VRRPv2 advert of a real router (Wireshark sample capture): VRID 1, prio 100,
 * 1 address 192.168.0.1, no auth, interval 1 s, checksum 0xba52. */
static const uint8_t v2_ref[] = { 0x21, 0x01, 0x64, 0x01, 0x00, 0x01, 0xba, 0x52, 0xc0, 0xa8, 0x00, 0x01,
                                  0, 0, 0, 0, 0, 0, 0, 0 };

static void test_v2_reference_decode(void **state) {
        union in_addr_union src = a4("192.168.0.2"), dst = a4("224.0.0.18");
        VrrpPacket p;
        assert_int_equal(vrrp_packet_decode(AF_INET, &src, &dst, 255, v2_ref, sizeof v2_ref, &p), VRRP_RX_OK);
        assert_int_equal(p.version, 2);
        assert_int_equal(p.vrid, 1);
        assert_int_equal(p.priority, 100);
        assert_int_equal(p.n_addrs, 1);
        assert_int_equal(p.interval_cs, 100);
        assert_int_equal(p.auth_type, 0);
        assert_int_equal(p.checksum, 0xba52);
        assert_true(address_equal(AF_INET, &p.addrs[0], &(union in_addr_union) { .in = a4("192.168.0.1").in }));
}

static void test_v2_reference_encode(void **state) {
        union in_addr_union addr = a4("192.168.0.1");
        VrrpAdvert a = { .family = AF_INET, .version = 2, .vrid = 1, .priority = 100, .interval_cs = 100,
                         .addrs = &addr, .n_addrs = 1, .src = a4("192.168.0.2"), .dst = a4("224.0.0.18") };
        uint8_t buf[64];
        int r = vrrp_packet_encode(&a, buf, sizeof buf);
        assert_int_equal(r, sizeof v2_ref);
        assert_memory_equal(buf, v2_ref, sizeof v2_ref);
}

static void test_v2_pass_auth(void **state) {
        union in_addr_union addrs[2] = { a4("10.0.0.100"), a4("10.0.0.101") };
        VrrpAdvert a = { .family = AF_INET, .version = 2, .vrid = 51, .priority = 150, .interval_cs = 300,
                         .auth_pass = "1111", .addrs = addrs, .n_addrs = 2,
                         .src = a4("10.0.0.1"), .dst = a4("224.0.0.18") };
        uint8_t buf[64];
        int r = vrrp_packet_encode(&a, buf, sizeof buf);
        assert_int_equal(r, 8 + 8 + 8);
        assert_int_equal(buf[4], VRRP_AUTH_PASS);
        assert_int_equal(buf[5], 3);
        assert_memory_equal(buf + 16, "1111\0\0\0\0", 8);
        /* v2 checksum covers only the VRRP message */
        uint8_t copy[64];
        memcpy(copy, buf, (size_t) r);
        copy[6] = copy[7] = 0;
        const uint8_t *parts[] = { copy };
        size_t lens[] = { (size_t) r };
        assert_int_equal(buf[6] << 8 | buf[7], ref_csum(parts, lens, 1));

        VrrpPacket p;
        assert_int_equal(vrrp_packet_decode(AF_INET, &a.src, &a.dst, 255, buf, (size_t) r, &p), VRRP_RX_OK);
        VrrpExpect e = { .family = AF_INET, .version = 2, .vrid = 51, .interval_cs = 300, .auth_pass = "1111",
                         .addrs = addrs, .n_addrs = 2 };
        bool anyway;
        assert_int_equal(vrrp_packet_check(&p, &e, &anyway), VRRP_RX_OK);
        e.auth_pass = "2222";
        assert_int_equal(vrrp_packet_check(&p, &e, &anyway), VRRP_RX_AUTH);
        e.auth_pass = NULL;
        assert_int_equal(vrrp_packet_check(&p, &e, &anyway), VRRP_RX_AUTH_TYPE);
        e.auth_pass = "1111";
        e.interval_cs = 100;
        assert_int_equal(vrrp_packet_check(&p, &e, &anyway), VRRP_RX_INTERVAL);
        assert_false(anyway); /* v2: interval mismatch is dropped */
        /* over-long password is refused at encode time */
        a.auth_pass = "123456789";
        assert_int_equal(vrrp_packet_encode(&a, buf, sizeof buf), -EINVAL);
}

static void test_v3_ipv4_checksum_pseudo_header(void **state) {
        union in_addr_union addr = a4("192.168.1.100");
        VrrpAdvert a = { .family = AF_INET, .version = 3, .vrid = 7, .priority = 200, .interval_cs = 10,
                         .addrs = &addr, .n_addrs = 1, .src = a4("192.168.1.1"), .dst = a4("224.0.0.18") };
        uint8_t buf[64];
        int r = vrrp_packet_encode(&a, buf, sizeof buf);
        assert_int_equal(r, 12);
        assert_int_equal(buf[0], 0x31);
        assert_int_equal(buf[4], 0);
        assert_int_equal(buf[5], 10);

        uint8_t copy[64];
        memcpy(copy, buf, 12);
        copy[6] = copy[7] = 0;
        uint8_t ph[4] = { 0, 112, 0, 12 };
        const uint8_t *parts[] = { a.src.bytes, a.dst.bytes, ph, copy };
        size_t lens[] = { 4, 4, 4, 12 };
        assert_int_equal(buf[6] << 8 | buf[7], ref_csum(parts, lens, 4));

        /* the same bytes from another source fail the checksum: the pseudo-header counts */
        VrrpPacket p;
        union in_addr_union other = a4("192.168.1.2");
        assert_int_equal(vrrp_packet_decode(AF_INET, &other, &a.dst, 255, buf, 12, &p), VRRP_RX_CHECKSUM);
        assert_int_equal(vrrp_packet_decode(AF_INET, &a.src, &a.dst, 255, buf, 12, &p), VRRP_RX_OK);
        assert_int_equal(p.interval_cs, 10);
        assert_int_equal(p.priority, 200);
}

static void test_v3_ipv6(void **state) {
        union in_addr_union addrs[2] = { a6("fe80::1"), a6("2001:db8::100") };
        VrrpAdvert a = { .family = AF_INET6, .version = 3, .vrid = 9, .priority = 100, .interval_cs = 100,
                         .addrs = addrs, .n_addrs = 2, .src = a6("fe80::abcd"), .dst = a6("ff02::12") };
        uint8_t buf[128];
        int r = vrrp_packet_encode(&a, buf, sizeof buf);
        assert_int_equal(r, 8 + 32);
        uint8_t copy[64];
        memcpy(copy, buf, (size_t) r);
        copy[6] = copy[7] = 0;
        uint8_t ph[8] = { 0, 0, 0, (uint8_t) r, 0, 0, 0, 112 };
        const uint8_t *parts[] = { a.src.bytes, a.dst.bytes, ph, copy };
        size_t lens[] = { 16, 16, 8, (size_t) r };
        assert_int_equal(buf[6] << 8 | buf[7], ref_csum(parts, lens, 4));

        VrrpPacket p;
        assert_int_equal(vrrp_packet_decode(AF_INET6, &a.src, &a.dst, 255, buf, (size_t) r, &p), VRRP_RX_OK);
        assert_int_equal(p.n_addrs, 2);
        assert_true(address_equal(AF_INET6, &p.addrs[1], &addrs[1]));
        /* hop limit */
        assert_int_equal(vrrp_packet_decode(AF_INET6, &a.src, &a.dst, 254, buf, (size_t) r, &p), VRRP_RX_TTL);
        /* VRRPv2 over IPv6 does not exist */
        a.version = 2;
        a.interval_cs = 100;
        assert_int_equal(vrrp_packet_encode(&a, buf, sizeof buf), -EINVAL);
}

static void test_ipv4_datagram(void **state) {
        union in_addr_union addr = a4("10.1.1.10");
        VrrpAdvert a = { .family = AF_INET, .version = 3, .vrid = 42, .priority = 120, .interval_cs = 100,
                         .addrs = &addr, .n_addrs = 1, .src = a4("10.1.1.2"), .dst = a4("224.0.0.18") };
        uint8_t buf[128];
        int r = vrrp_packet_encode_ipv4(&a, 0x1234, buf, sizeof buf);
        assert_int_equal(r, 20 + 12);
        assert_int_equal(buf[0], 0x45);
        assert_int_equal(buf[8], 255);
        assert_int_equal(buf[9], 112);
        assert_int_equal(buf[2] << 8 | buf[3], 32);
        /* IP header checksum verifies to zero */
        assert_int_equal(vrrp_csum_fold(vrrp_csum_partial(buf, 20, 0)), 0);

        VrrpPacket p;
        assert_int_equal(vrrp_packet_decode_ipv4(buf, (size_t) r, &p), VRRP_RX_OK);
        assert_int_equal(p.vrid, 42);
        assert_true(address_equal(AF_INET, &p.src, &a.src));

        /* link-layer padding beyond the IP total length is ignored */
        uint8_t padded[128];
        memcpy(padded, buf, (size_t) r);
        memset(padded + r, 0xee, 14);
        assert_int_equal(vrrp_packet_decode_ipv4(padded, (size_t) r + 14, &p), VRRP_RX_OK);

        /* each malformed kind maps to its own error */
        uint8_t bad[128];
        memcpy(bad, buf, (size_t) r);
        bad[8] = 64;
        assert_int_equal(vrrp_packet_decode_ipv4(bad, (size_t) r, &p), VRRP_RX_TTL);
        memcpy(bad, buf, (size_t) r);
        bad[20] = 0x41; /* version 4 */
        assert_int_equal(vrrp_packet_decode_ipv4(bad, (size_t) r, &p), VRRP_RX_VERSION);
        memcpy(bad, buf, (size_t) r);
        bad[20] = 0x32; /* type 2 */
        assert_int_equal(vrrp_packet_decode_ipv4(bad, (size_t) r, &p), VRRP_RX_TYPE);
        memcpy(bad, buf, (size_t) r);
        bad[31] ^= 1;   /* address byte flipped */
        assert_int_equal(vrrp_packet_decode_ipv4(bad, (size_t) r, &p), VRRP_RX_CHECKSUM);
        memcpy(bad, buf, (size_t) r);
        bad[23] = 2;    /* count says 2 addresses, only 1 present */
        assert_int_equal(vrrp_packet_decode_ipv4(bad, (size_t) r, &p), VRRP_RX_LENGTH);
        memcpy(bad, buf, (size_t) r);
        bad[9] = 6;
        assert_int_equal(vrrp_packet_decode_ipv4(bad, (size_t) r, &p), VRRP_RX_IP_HEADER);
        memcpy(bad, buf, (size_t) r);
        bad[3] = 200;   /* total length beyond the buffer */
        assert_int_equal(vrrp_packet_decode_ipv4(bad, (size_t) r, &p), VRRP_RX_IP_HEADER);
        for (size_t n = 0; n < (size_t) r; n++)
                assert_int_not_equal(vrrp_packet_decode_ipv4(buf, n, &p), VRRP_RX_OK);
}

static void test_check(void **state) {
        union in_addr_union addrs[2] = { a4("10.0.0.100"), a4("10.0.0.101") };
        union in_addr_union swapped[2] = { addrs[1], addrs[0] };
        VrrpAdvert a = { .family = AF_INET, .version = 3, .vrid = 5, .priority = 100, .interval_cs = 100,
                         .addrs = swapped, .n_addrs = 2, .src = a4("10.0.0.1"), .dst = a4("224.0.0.18") };
        uint8_t buf[64];
        int r = vrrp_packet_encode(&a, buf, sizeof buf);
        VrrpPacket p;
        assert_int_equal(vrrp_packet_decode(AF_INET, &a.src, &a.dst, 255, buf, (size_t) r, &p), VRRP_RX_OK);

        VrrpExpect e = { .family = AF_INET, .version = 3, .vrid = 5, .interval_cs = 100, .addrs = addrs, .n_addrs = 2 };
        bool anyway = true;
        assert_int_equal(vrrp_packet_check(&p, &e, &anyway), VRRP_RX_OK); /* order does not matter */
        assert_false(anyway);
        e.vrid = 6;
        assert_int_equal(vrrp_packet_check(&p, &e, &anyway), VRRP_RX_VRID);
        e.vrid = 5;
        e.version = 2;
        assert_int_equal(vrrp_packet_check(&p, &e, &anyway), VRRP_RX_VERSION);
        e.version = 3;
        e.family = AF_INET6;
        assert_int_equal(vrrp_packet_check(&p, &e, &anyway), VRRP_RX_FAMILY);
        e.family = AF_INET;
        e.n_addrs = 1;
        assert_int_equal(vrrp_packet_check(&p, &e, &anyway), VRRP_RX_ADDR_LIST);
        assert_false(anyway);
        /* from the address owner: counted, but processed */
        p.priority = 255;
        assert_int_equal(vrrp_packet_check(&p, &e, &anyway), VRRP_RX_ADDR_LIST);
        assert_true(anyway);
        p.priority = 100;
        e.n_addrs = 2;
        /* v3 interval mismatch: counted, processed (the backup learns it) */
        e.interval_cs = 50;
        assert_int_equal(vrrp_packet_check(&p, &e, &anyway), VRRP_RX_INTERVAL);
        assert_true(anyway);
}

static void test_intervals(void **state) {
        uint16_t cs;
        assert_int_equal(vrrp_interval_usec_to_cs(3, 100 * USEC_PER_MSEC, &cs), 0);
        assert_int_equal(cs, 10);
        assert_int_equal(vrrp_interval_usec_to_cs(3, 40950 * USEC_PER_MSEC, &cs), 0);
        assert_int_equal(cs, 4095);
        assert_int_equal(vrrp_interval_usec_to_cs(3, 41 * USEC_PER_SEC, &cs), -ERANGE);
        assert_int_equal(vrrp_interval_usec_to_cs(3, 1 * USEC_PER_MSEC, &cs), -ERANGE);
        assert_int_equal(vrrp_interval_usec_to_cs(2, 1 * USEC_PER_SEC, &cs), 0);
        assert_int_equal(cs, 100);
        assert_int_equal(vrrp_interval_usec_to_cs(2, 256 * USEC_PER_SEC, &cs), -ERANGE);
        assert_int_equal(vrrp_interval_cs_to_usec(37), 370 * USEC_PER_MSEC);
        assert_string_equal(vrrp_rx_error_to_string(VRRP_RX_CHECKSUM), "rx_checksum_error");
        for (int i = 0; i < _VRRP_RX_ERROR_MAX; i++)
                assert_non_null(vrrp_rx_error_to_string(i));
        assert_null(vrrp_rx_error_to_string(_VRRP_RX_ERROR_MAX));
}

static void test_encode_limits(void **state) {
        union in_addr_union addrs[VRRP_MAX_ADDRS] = {};
        VrrpAdvert a = { .family = AF_INET6, .version = 3, .vrid = 1, .priority = 100, .interval_cs = 100,
                         .addrs = addrs, .n_addrs = VRRP_MAX_ADDRS };
        uint8_t buf[VRRP_PACKET_MAX];
        assert_int_equal(vrrp_packet_encode(&a, buf, sizeof buf), 8 + 255 * 16);
        assert_int_equal(vrrp_packet_encode(&a, buf, 100), -ENOBUFS);
        a.n_addrs = 0;
        assert_int_equal(vrrp_packet_encode(&a, buf, sizeof buf), -EINVAL);
        a.n_addrs = 1;
        a.vrid = 0;
        assert_int_equal(vrrp_packet_encode(&a, buf, sizeof buf), -EINVAL);
        a.vrid = 1;
        a.interval_cs = 4096;
        assert_int_equal(vrrp_packet_encode(&a, buf, sizeof buf), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_v2_reference_decode),
                cmocka_unit_test(test_v2_reference_encode),
                cmocka_unit_test(test_v2_pass_auth),
                cmocka_unit_test(test_v3_ipv4_checksum_pseudo_header),
                cmocka_unit_test(test_v3_ipv6),
                cmocka_unit_test(test_ipv4_datagram),
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_intervals),
                cmocka_unit_test(test_encode_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
