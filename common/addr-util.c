/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr-util.h"
#include "macro.h"

size_t family_address_size(int family) {
        return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int parse_address(const char *s, int *ret_family, union in_addr_union *ret) {
        union in_addr_union a = {};

        if (!s)
                return -EINVAL;
        if (inet_pton(AF_INET, s, &a.in) == 1) {
                if (ret_family)
                        *ret_family = AF_INET;
        } else if (inet_pton(AF_INET6, s, &a.in6) == 1) {
                if (ret_family)
                        *ret_family = AF_INET6;
        } else
                return -EINVAL;
        if (ret)
                *ret = a;
        return 0;
}

int parse_address_prefix(const char *s, InAddrPrefix *ret) {
        char buf[INET6_ADDRSTRLEN + 8];
        InAddrPrefix p = {};
        const char *slash;
        int r;

        if (!s || strlen(s) >= sizeof buf)
                return -EINVAL;
        strcpy(buf, s);
        slash = strchr(buf, '/');
        if (slash)
                buf[slash - buf] = 0;
        r = parse_address(buf, &p.family, &p.addr);
        if (r < 0)
                return r;
        unsigned max = p.family == AF_INET ? 32 : 128;
        if (slash) {
                char *end;
                const char *num = s + (slash - buf) + 1;
                if (!isdigit((unsigned char) *num))
                        return -EINVAL;
                errno = 0;
                unsigned long l = strtoul(num, &end, 10);
                if (errno || *end || l > max)
                        return -ERANGE;
                p.prefixlen = (uint8_t) l;
        } else
                p.prefixlen = (uint8_t) max;
        if (ret)
                *ret = p;
        return 0;
}

int parse_address_port(const char *s, int *ret_family, union in_addr_union *ret_addr, uint16_t *ret_port) {
        char buf[INET6_ADDRSTRLEN + 8];
        const char *host, *port;
        char *colon;

        if (!s || strlen(s) >= sizeof buf)
                return -EINVAL;
        strcpy(buf, s);
        if (buf[0] == '[') {
                char *close = strchr(buf, ']');
                if (!close || close[1] != ':')
                        return -EINVAL;
                *close = 0;
                host = buf + 1;
                port = close + 2;
        } else {
                colon = strrchr(buf, ':');
                if (!colon || strchr(buf, ':') != colon)
                        return -EINVAL;
                *colon = 0;
                host = buf;
                port = colon + 1;
        }
        char *end;
        if (!isdigit((unsigned char) *port))
                return -EINVAL;
        errno = 0;
        unsigned long l = strtoul(port, &end, 10);
        if (errno || *end || l > 65535)
                return -ERANGE;
        int r = parse_address(host, ret_family, ret_addr);
        if (r < 0)
                return r;
        if (ret_port)
                *ret_port = (uint16_t) l;
        return 0;
}

bool address_equal(int family, const union in_addr_union *a, const union in_addr_union *b) {
        return memcmp(a, b, family_address_size(family)) == 0;
}

int address_compare(int family, const union in_addr_union *a, const union in_addr_union *b) {
        return memcmp(a, b, family_address_size(family));
}

bool address_is_null(int family, const union in_addr_union *a) {
        static const union in_addr_union null = {};
        return address_equal(family, a, &null);
}

bool address_is_multicast(int family, const union in_addr_union *a) {
        if (family == AF_INET)
                return IN_MULTICAST(ntohl(a->in.s_addr));
        if (family == AF_INET6)
                return IN6_IS_ADDR_MULTICAST(&a->in6);
        return false;
}

const char *format_address(char *buf, size_t len, int family, const union in_addr_union *a) {
        if (!inet_ntop(family, a, buf, (socklen_t) len))
                snprintf(buf, len, "(invalid)");
        return buf;
}

const char *format_address_prefix(char *buf, size_t len, const InAddrPrefix *p) {
        char a[INET6_ADDRSTRLEN];
        snprintf(buf, len, "%s/%u", format_address(a, sizeof a, p->family, &p->addr), p->prefixlen);
        return buf;
}

bool ifname_valid(const char *s) {
        if (isempty(s) || strlen(s) >= IFNAMSIZ)
                return false;
        if (streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *c = s; *c; c++)
                if (*c == '/' || *c == ':' || isspace((unsigned char) *c) || !isprint((unsigned char) *c))
                        return false;
        return true;
}

bool iflabel_valid(const char *label, const char *device) {
        if (isempty(label) || strlen(label) >= IFNAMSIZ)
                return false;
        if (device && strncmp(label, device, strlen(device)) != 0)
                return false;
        for (const char *c = label; *c; c++)
                if (isspace((unsigned char) *c) || !isprint((unsigned char) *c))
                        return false;
        return true;
}
