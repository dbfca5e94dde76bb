/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* VRRP advertisement codec: VRRPv3 (RFC 5798, IPv4 and IPv6) and VRRPv2
 * (RFC 3768, IPv4, authentication type 0 or 1 "simple text password" as
 * keepalived's auth_type PASS). Pure code: no I/O, bounded, fuzzable.
 *
 * Decoding is split in two steps so every RFC receive check maps to one
 * counter:
 *   1. vrrp_packet_decode_ipv4()/vrrp_packet_decode(): the packet on its own
 *      (IP header, TTL/hop limit, version, type, length, checksum).
 *   2. vrrp_packet_check(): the packet against one configured instance
 *      (VRID, interval, address list, authentication). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-util.h"
#include "time-util.h"

#define IPPROTO_VRRP 112
#define VRRP_TYPE_ADVERTISEMENT 1
#define VRRP_HEADER_SIZE 8
#define VRRP_AUTH_DATA_SIZE 8
#define VRRP_MAX_ADDRS 255  /* the count field is one byte */
#define VRRP_V3_MAX_INTERVAL_CS 0xfff
#define VRRP_IPV4_HEADER_SIZE 20
/* Largest packet we ever build or accept: IPv4 header with options + v2 with 255 addresses. */
#define VRRP_PACKET_MAX (60 + VRRP_HEADER_SIZE + VRRP_MAX_ADDRS * 16 + VRRP_AUTH_DATA_SIZE)

#define VRRP_AUTH_NONE 0
#define VRRP_AUTH_PASS 1

/* Receive errors. Each has a counter name (vrrp_rx_error_to_string). */
typedef enum VrrpRxError {
        VRRP_RX_OK = 0,
        VRRP_RX_IP_HEADER,      /* truncated/bad IPv4 header, not protocol 112 */
        VRRP_RX_TTL,            /* TTL / hop limit != 255 */
        VRRP_RX_VERSION,        /* not the configured version (or not 2/3) */
        VRRP_RX_TYPE,           /* not an advertisement */
        VRRP_RX_LENGTH,         /* shorter/longer than its address count implies */
        VRRP_RX_CHECKSUM,
        VRRP_RX_VRID,           /* another virtual router (normal on shared LANs) */
        VRRP_RX_INTERVAL,       /* advert interval differs from ours */
        VRRP_RX_ADDR_LIST,      /* address count/list differs from ours */
        VRRP_RX_AUTH_TYPE,      /* v2 authentication type differs */
        VRRP_RX_AUTH,           /* v2 password differs */
        VRRP_RX_FAMILY,         /* IPv4 packet on an IPv6 instance or vice versa */
        VRRP_RX_SOURCE,         /* unicast: the sender is not a configured peer */
        _VRRP_RX_ERROR_MAX,
} VrrpRxError;

const char *vrrp_rx_error_to_string(VrrpRxError e);

typedef struct VrrpPacket {
        int family;             /* AF_INET or AF_INET6 */
        union in_addr_union src, dst;
        uint8_t ttl;            /* TTL or hop limit */

        uint8_t version;        /* 2 or 3 */
        uint8_t type;
        uint8_t vrid;
        uint8_t priority;
        uint8_t n_addrs;
        uint16_t checksum;      /* as received */
        /* v3: Max Adver Interval in centiseconds; v2: Adver Int in seconds × 100. */
        uint16_t interval_cs;
        uint8_t auth_type;      /* v2 only */
        char auth_data[VRRP_AUTH_DATA_SIZE]; /* v2 only, not NUL-terminated */
        union in_addr_union addrs[VRRP_MAX_ADDRS];
} VrrpPacket;

/* Internet checksum (RFC 1071) over buf, starting from a partial sum. */
uint32_t vrrp_csum_partial(const void *buf, size_t len, uint32_t sum);
uint16_t vrrp_csum_fold(uint32_t sum);

/* The VRRP checksum as it must appear in the packet. v3 includes the
 * IPv4/IPv6 pseudo-header (RFC 5798 §5.2.8); v2 covers the VRRP message only
 * (RFC 3768 §5.3.8). The checksum field in buf must be zero, or call it on a
 * received packet: the result is 0 when the packet's checksum is right. */
uint16_t vrrp_checksum(int version, int family, const union in_addr_union *src, const union in_addr_union *dst,
                       const uint8_t *vrrp, size_t len);

/* Decode the VRRP message only (IPv6 raw sockets give no header: pass the
 * source, destination and hop limit from ancillary data). */
VrrpRxError vrrp_packet_decode(int family, const union in_addr_union *src, const union in_addr_union *dst,
                               uint8_t ttl, const uint8_t *buf, size_t len, VrrpPacket *ret);
/* Decode an IPv4 datagram as a raw IPv4 socket delivers it (header included). */
VrrpRxError vrrp_packet_decode_ipv4(const uint8_t *buf, size_t len, VrrpPacket *ret);

/* What one instance expects, for vrrp_packet_check(). */
typedef struct VrrpExpect {
        int family;
        uint8_t version;
        uint8_t vrid;
        uint16_t interval_cs;
        const char *auth_pass;  /* v2: NULL = no authentication */
        const union in_addr_union *addrs;
        size_t n_addrs;
        bool owner;             /* we are the address owner (priority 255) */
} VrrpExpect;

/* Checks a decoded packet against an instance. Sets *ret_accept_anyway when
 * the RFC says to log the mismatch but still process the packet (v3 interval
 * mismatch: a backup learns the master's interval, RFC 5798 §6.4.2; an
 * address list mismatch from the address owner, RFC 3768 §7.1). */
VrrpRxError vrrp_packet_check(const VrrpPacket *p, const VrrpExpect *e, bool *ret_accept_anyway);

/* Encoding */
typedef struct VrrpAdvert {
        int family;
        uint8_t version;
        uint8_t vrid;
        uint8_t priority;
        uint16_t interval_cs;   /* v2: must be a multiple of 100 */
        const char *auth_pass;  /* v2 only; NULL = auth type 0 */
        const union in_addr_union *addrs;
        size_t n_addrs;
        union in_addr_union src, dst;
} VrrpAdvert;

/* Writes the VRRP message (no IP header) with its checksum. Returns the
 * length, or -EINVAL (bad field) / -ENOBUFS (buffer too small). */
int vrrp_packet_encode(const VrrpAdvert *a, uint8_t *buf, size_t size);
/* Writes an IPv4 header (TTL 255, protocol 112, DSCP CS6, no options) and the
 * message; the IP header checksum is computed too, so the result is exactly
 * what goes on the wire. ip_id is the identification field. */
int vrrp_packet_encode_ipv4(const VrrpAdvert *a, uint16_t ip_id, uint8_t *buf, size_t size);

/* Interval helpers: v2 counts seconds, v3 centiseconds. */
usec_t vrrp_interval_cs_to_usec(uint16_t cs);
/* Rounds to the unit the version carries; returns -ERANGE if it cannot be represented. */
int vrrp_interval_usec_to_cs(int version, usec_t u, uint16_t *ret);
