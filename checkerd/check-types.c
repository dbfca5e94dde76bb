/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check-types.h"

const ProbeOps *probe_ops_for(CheckType t) {
        switch (t) {
        case CHECK_TCP:
                return &probe_ops_tcp;
        case CHECK_HTTP:
        case CHECK_HTTPS:
                return &probe_ops_http;
        case CHECK_EXEC:
                return &probe_ops_exec;
        case CHECK_SMTP:
                return &probe_ops_smtp;
        case CHECK_UDP:
                return &probe_ops_udp;
        case CHECK_PING:
                return &probe_ops_ping;
        case CHECK_FILE:
                return &probe_ops_file;
        case CHECK_DNS:
                return &probe_ops_dns;
        default:
                return NULL;
        }
}

int probe_connect_failed(Probe *p, int r) {
        char detail[CHECK_DETAIL_MAX];

        if (errno_is_local(r))
                return r;
        snprintf(detail, sizeof detail, "connect: %s", strerror(-r));
        probe_attempt_done(p, CHECK_RESULT_DOWN, 0, detail);
        return 0;
}
