/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "time-util.h"

static const struct {
        const char *suffix;
        usec_t mult;
} units[] = {
        { "us", 1 },           { "usec", 1 },
        { "ms", USEC_PER_MSEC }, { "msec", USEC_PER_MSEC },
        { "s", USEC_PER_SEC },   { "sec", USEC_PER_SEC },
        { "m", USEC_PER_MINUTE }, { "min", USEC_PER_MINUTE },
        { "h", USEC_PER_HOUR },  { "hr", USEC_PER_HOUR },
        { "d", 24 * USEC_PER_HOUR },
};

int parse_duration(const char *s, usec_t *ret) {
        usec_t total = 0;
        bool any = false;

        if (!s)
                return -EINVAL;
        while (isspace((unsigned char) *s))
                s++;
        if (!*s)
                return -EINVAL;

        while (*s) {
                uint64_t whole = 0, frac = 0, frac_div = 1;
                const char *start = s;

                if (!isdigit((unsigned char) *s) && *s != '.')
                        return -EINVAL;
                while (isdigit((unsigned char) *s)) {
                        if (whole > (UINT64_MAX - 9) / 10)
                                return -ERANGE;
                        whole = whole * 10 + (uint64_t) (*s++ - '0');
                }
                if (*s == '.') {
                        s++;
                        while (isdigit((unsigned char) *s)) {
                                if (frac_div < 1000000000ULL) {
                                        frac = frac * 10 + (uint64_t) (*s - '0');
                                        frac_div *= 10;
                                }
                                s++;
                        }
                }
                if (s == start || (s == start + 1 && *start == '.'))
                        return -EINVAL;

                while (*s == ' ' || *s == '\t')
                        s++;
                const char *u = s;
                while (isalpha((unsigned char) *s))
                        s++;
                size_t ulen = (size_t) (s - u);
                usec_t mult = 0;
                if (ulen == 0) {
                        /* bare number: seconds, only as the whole string */
                        if (any || *s)
                                return -EINVAL;
                        mult = USEC_PER_SEC;
                } else {
                        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                                if (strlen(units[i].suffix) == ulen && strneq(u, units[i].suffix, ulen)) {
                                        mult = units[i].mult;
                                        break;
                                }
                        if (mult == 0)
                                return -EINVAL;
                }
                if (whole > UINT64_MAX / mult)
                        return -ERANGE;
                usec_t v = whole * mult + frac * mult / frac_div;
                if (total > UINT64_MAX - v)
                        return -ERANGE;
                total += v;
                any = true;
                while (isspace((unsigned char) *s))
                        s++;
        }
        *ret = total;
        return 0;
}

const char *format_duration(char *buf, size_t len, usec_t u) {
        if (u == USEC_INFINITY)
                snprintf(buf, len, "infinity");
        else if (u == 0)
                snprintf(buf, len, "0s");
        else if (u % USEC_PER_SEC == 0)
                snprintf(buf, len, "%llus", (unsigned long long) (u / USEC_PER_SEC));
        else if (u % USEC_PER_MSEC == 0)
                snprintf(buf, len, "%llums", (unsigned long long) (u / USEC_PER_MSEC));
        else
                snprintf(buf, len, "%lluus", (unsigned long long) u);
        return buf;
}
