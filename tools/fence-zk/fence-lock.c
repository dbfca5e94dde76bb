/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fence-lock.h"
#include "macro.h"

bool fence_instance_name_valid(const char *name) {
        size_t n;

        if (isempty(name))
                return false;
        n = strlen(name);
        if (n > FENCE_INSTANCE_NAME_MAX || streq(name, ".") || streq(name, ".."))
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("_.:-", *p)))
                        return false;
        return true;
}

void fence_lock_node_prefix(uint64_t session, char buf[static FENCE_LOCK_NODE_PREFIX_MAX]) {
        snprintf(buf, FENCE_LOCK_NODE_PREFIX_MAX, FENCE_LOCK_PREFIX "%016" PRIx64 "-", session);
}

static int parse_digits(const char *p, size_t n, unsigned base, uint64_t *ret) {
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) {
                unsigned d;
                if (p[i] >= '0' && p[i] <= '9')
                        d = (unsigned) (p[i] - '0');
                else if (base == 16 && p[i] >= 'a' && p[i] <= 'f')
                        d = (unsigned) (p[i] - 'a' + 10);
                else
                        return -EINVAL;
                v = v * base + d;
        }
        *ret = v;
        return 0;
}

int fence_lock_parse(const char *child, uint64_t *ret_session, uint64_t *ret_seq) {
        const size_t plen = strlen(FENCE_LOCK_PREFIX);
        uint64_t session, seq;

        /* exactly: prefix, 16 lowercase hex digits, '-', 10 decimal digits
         * (ZooKeeper's sequence suffix; a wrapped negative counter is refused) */
        if (!child || strlen(child) != plen + 16 + 1 + 10 || !strneq(child, FENCE_LOCK_PREFIX, plen) ||
            child[plen + 16] != '-')
                return -EINVAL;
        if (parse_digits(child + plen, 16, 16, &session) < 0 || parse_digits(child + plen + 17, 10, 10, &seq) < 0)
                return -EINVAL;
        if (ret_session)
                *ret_session = session;
        if (ret_seq)
                *ret_seq = seq;
        return 0;
}

void fence_lock_evaluate(char *const *children, size_t n, uint64_t session, FenceLockView *ret) {
        FenceLockView v = {};
        uint64_t lowest = UINT64_MAX, ours_seq = UINT64_MAX;

        for (size_t i = 0; i < n; i++) {
                uint64_t sess, seq;
                if (fence_lock_parse(children[i], &sess, &seq) < 0) {
                        v.n_ignored++;
                        continue;
                }
                v.n_locks++;
                if (seq < lowest) {
                        lowest = seq;
                        v.holder = children[i];
                        v.holder_session = sess;
                }
                if (sess == session) {
                        v.n_ours++;
                        if (seq < ours_seq) {
                                ours_seq = seq;
                                v.ours = children[i];
                        }
                }
        }
        v.held = v.ours && ours_seq == lowest;
        *ret = v;
}

int fence_node_data_format(const char *router_id, const char *host, int pid, char **ret) {
        char *s;
        if (asprintf(&s, "router_id=%s host=%s pid=%d", strempty(router_id), strempty(host), pid) < 0)
                return -ENOMEM;
        if (strlen(s) > FENCE_NODE_DATA_MAX)
                s[FENCE_NODE_DATA_MAX] = 0;
        *ret = s;
        return 0;
}

char *fence_node_data_describe(const char *data, size_t len) {
        if (!data || len == 0)
                return strdup("(no data)");
        len = MIN(len, (size_t) FENCE_NODE_DATA_MAX);
        char *s = malloc(len + 1);
        if (!s)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) data[i];
                s[i] = c >= 0x20 && c < 0x7f ? (char) c : '?';
        }
        s[len] = 0;
        return s;
}

usec_t fence_lease_revoke_after(usec_t t) {
        return t / 2;
}

usec_t fence_lease_heartbeat_interval(usec_t t) {
        return MAX(t / 6, 50 * USEC_PER_MSEC);
}

bool fence_lease_safe(usec_t t, usec_t revoke_after, usec_t vip_lease) {
        return revoke_after < t && vip_lease != USEC_INFINITY && vip_lease < t - revoke_after;
}

usec_t fence_vip_lease_bound(bool lease_off, usec_t fixed_lease, usec_t advert_interval) {
        if (lease_off)
                return USEC_INFINITY;
        return fixed_lease > 0 ? fixed_lease : advert_interval;
}

usec_t fence_wait_budget(usec_t caller_timeout) {
        /* a tenth, at least 100ms and at most 1s, for the reply to travel */
        usec_t margin = CLAMP(caller_timeout / 10, 100 * USEC_PER_MSEC, USEC_PER_SEC);
        return caller_timeout > margin ? caller_timeout - margin : caller_timeout / 2;
}
