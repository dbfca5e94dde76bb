/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <netinet/in.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

union in_addr_union {
        struct in_addr in;
        struct in6_addr in6;
        uint8_t bytes[16];
};

/* An address with its family and prefix length; prefixlen is the full length
 * (32/128) when none was given. */
typedef struct InAddrPrefix {
        int family; /* AF_INET, AF_INET6, or AF_UNSPEC when unset */
        union in_addr_union addr;
        uint8_t prefixlen;
} InAddrPrefix;

#define ADDR_STR_MAX (INET6_ADDRSTRLEN + 5)

int parse_address(const char *s, int *ret_family, union in_addr_union *ret);
/* "10.0.0.1", "10.0.0.1/24", "fe80::1/64". */
int parse_address_prefix(const char *s, InAddrPrefix *ret);
/* "10.0.0.1:80", "[fe80::1]:80" */
int parse_address_port(const char *s, int *ret_family, union in_addr_union *ret_addr, uint16_t *ret_port);
size_t family_address_size(int family);
bool address_equal(int family, const union in_addr_union *a, const union in_addr_union *b);
bool address_is_null(int family, const union in_addr_union *a);
bool address_is_multicast(int family, const union in_addr_union *a);
int address_compare(int family, const union in_addr_union *a, const union in_addr_union *b);
/* Returns buf; "a.b.c.d" or "x::y". */
const char *format_address(char *buf, size_t len, int family, const union in_addr_union *a);
/* "a.b.c.d/p" (always with the prefix). */
const char *format_address_prefix(char *buf, size_t len, const InAddrPrefix *p);

/* Kernel interface name rules: 1..15 bytes, no '/', ':' or whitespace, not "." or "..". */
bool ifname_valid(const char *s);
/* IPv4 address labels: must start with the device name, ≤ 15 bytes (keepalived style "eth0:7"). */
bool iflabel_valid(const char *label, const char *device);
