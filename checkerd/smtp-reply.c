/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "smtp-reply.h"

static bool digit(char c) {
        return c >= '0' && c <= '9';
}

int smtp_reply_parse(const char *buf, size_t len, size_t *ret_consumed) {
        size_t off = 0;
        int code = -1;

        for (;;) {
                const char *nl = memchr(buf + off, '\n', len - off);
                if (!nl)
                        return len > SMTP_REPLY_MAX ? -E2BIG : 0;
                size_t end = (size_t) (nl - buf) + 1;
                size_t n = end - off - 1; /* without \n */
                const char *l = buf + off;
                if (n > 0 && l[n - 1] == '\r')
                        n--;
                if (end > SMTP_REPLY_MAX)
                        return -E2BIG;
                if (n < 3 || !digit(l[0]) || !digit(l[1]) || !digit(l[2]) || l[0] < '2' || l[0] > '5')
                        return -EBADMSG;
                int c = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
                if (code >= 0 && c != code)
                        return -EBADMSG; /* every line of a reply has the same code */
                code = c;
                if (n > 3 && l[3] != ' ' && l[3] != '-')
                        return -EBADMSG;
                off = end;
                if (n == 3 || l[3] == ' ') {
                        *ret_consumed = off;
                        return code;
                }
        }
}
