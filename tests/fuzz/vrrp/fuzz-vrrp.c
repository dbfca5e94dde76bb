/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzzes the VRRP decoder as vrrpd uses it: byte 0 selects the path (IPv4
 * datagram with header, or an IPv6 message with its hop limit), the rest is
 * the packet. A decoded packet is checked against an instance and re-encoded;
 * the re-encoding must decode to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vrrpd/vrrp-packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static VrrpPacket p, q;
        union in_addr_union src = {}, dst = {};
        VrrpRxError e;

        if (size < 1 || size > VRRP_PACKET_MAX + 1)
                return 0;

        if (data[0] & 1)
                e = vrrp_packet_decode(AF_INET6, &src, &dst, data[0] & 2 ? 255 : 254, data + 1, size - 1, &p);
        else
                e = vrrp_packet_decode_ipv4(data + 1, size - 1, &p);
        if (e != VRRP_RX_OK)
                return 0;

        union in_addr_union expect_addrs[2] = {};
        VrrpExpect x = { .family = p.family, .version = p.version, .vrid = p.vrid, .interval_cs = 100,
                         .auth_pass = "1111", .addrs = expect_addrs, .n_addrs = 2 };
        bool anyway;
        (void) vrrp_packet_check(&p, &x, &anyway);

        /* Round trip: what we decoded we can encode, and it decodes the same. */
        VrrpAdvert a = { .family = p.family, .version = p.version, .vrid = p.vrid, .priority = p.priority,
                         .interval_cs = p.interval_cs, .addrs = p.addrs, .n_addrs = p.n_addrs,
                         .src = p.src, .dst = p.dst };
        uint8_t buf[VRRP_PACKET_MAX];
        int r = vrrp_packet_encode(&a, buf, sizeof buf);
        if (r < 0)
                return 0; /* e.g. v2 interval > 255 s cannot come from decoding, v3 interval 0 can */
        if (vrrp_packet_decode(p.family, &p.src, &p.dst, 255, buf, (size_t) r, &q) != VRRP_RX_OK)
                abort();
        if (q.vrid != p.vrid || q.priority != p.priority || q.n_addrs != p.n_addrs || q.interval_cs != p.interval_cs)
                abort();
        return 0;
}
