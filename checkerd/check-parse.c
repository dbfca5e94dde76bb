/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>

#include "check-parse.h"

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int udp_payload_decode(const char *s, uint8_t *out, size_t outmax, size_t *ret_len) {
        size_t n = 0;
        for (const char *p = s; *p; p++) {
                uint8_t b;
                if (*p != '\\')
                        b = (uint8_t) *p;
                else {
                        p++;
                        switch (*p) {
                        case 'n':
                                b = '\n';
                                break;
                        case 'r':
                                b = '\r';
                                break;
                        case 't':
                                b = '\t';
                                break;
                        case '0':
                                b = 0;
                                break;
                        case '\\':
                                b = '\\';
                                break;
                        case 'x': {
                                int h = hexval(p[1]), l = h >= 0 ? hexval(p[2]) : -1;
                                if (h < 0 || l < 0)
                                        return -EINVAL;
                                b = (uint8_t) (h * 16 + l);
                                p += 2;
                                break;
                        }
                        default: /* includes the NUL after a trailing backslash */
                                return -EINVAL;
                        }
                }
                if (n >= outmax)
                        return -E2BIG;
                out[n++] = b;
        }
        *ret_len = n;
        return 0;
}

static bool blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

int file_weight_parse(const char *buf, size_t len, int *ret) {
        size_t i = 0;
        bool neg = false;
        long v = 0;
        unsigned digits = 0;

        while (i < len && blank(buf[i]))
                i++;
        if (i < len && (buf[i] == '-' || buf[i] == '+'))
                neg = buf[i++] == '-';
        for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
                if (++digits > 6)
                        return -ERANGE;
                v = v * 10 + (buf[i] - '0');
        }
        if (digits == 0)
                return -EINVAL;
        while (i < len && blank(buf[i]))
                i++;
        if (i < len && buf[i] != '\n')
                return -EINVAL;
        if (v > 65535)
                return -ERANGE;
        *ret = neg ? (int) -v : (int) v;
        return 0;
}
