/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Generic netlink client for the kernel's "IPVS" family. One socket, the
 * family resolved once; changes are packed many messages to a sendmsg() with
 * one ACK each, so a 10,000-entry table costs a handful of syscalls instead of
 * ipvsadm's socket-per-operation. Functions return 0 or a negative errno. */

#include <linux/netlink.h>
#include <stdint.h>

#include "ipvs-model.h"

typedef struct IpvsGenl IpvsGenl;

/* -EPROTONOSUPPORT with *ret NULL when the kernel has no IPVS family (ip_vs
 * not loaded); the caller can say "modprobe ip_vs". */
int ipvs_genl_open(IpvsGenl **ret);
IpvsGenl *ipvs_genl_free(IpvsGenl *g);
static inline void ipvs_genl_freep(IpvsGenl **g) {
        if (*g)
                ipvs_genl_free(*g);
}
#define _cleanup_ipvs_genl_ __attribute__((cleanup(ipvs_genl_freep)))

/* A human sentence for open()'s failure. */
const char *ipvs_genl_open_strerror(int r);

typedef struct IpvsInfo {
        uint32_t version;        /* 0x010201 = 1.2.1 */
        uint32_t conn_tab_size;
} IpvsInfo;
int ipvs_genl_get_info(IpvsGenl *g, IpvsInfo *ret);

/* The whole table: services, their dests, 64-bit stats and rates. Sorted. */
int ipvs_genl_dump(IpvsGenl *g, IpvsTable *ret);

/* One service with its dests and stats, fresh from the kernel; -ESRCH/-ENOENT when gone. */
int ipvs_genl_get_service(IpvsGenl *g, const IpvsServiceKey *key, IpvsTable *ret);

/* Applies ops in order, pipelined. Every op is attempted: a failure of one
 * does not stop the others (the dests of a service whose add failed then
 * fail with -ESRCH; callers report them under the service's error).
 * errors[i] receives 0 or -errno per op; returns the number of failed ops,
 * or a negative errno when the socket itself failed. */
int ipvs_genl_apply(IpvsGenl *g, const IpvsOp *ops, size_t n, int *errors);
/* Number of sendmsg() calls made so far (for the benchmark and tests). */
uint64_t ipvs_genl_sendmsg_count(const IpvsGenl *g);

/* "tcp:10.0.0.1:80: add-service: scheduler 'foo' is not available (module ip_vs_foo not loaded?)" */
void ipvs_op_strerror(const IpvsOp *op, int error, char *buf, size_t len);

/* key NULL: every service (ipvsadm -Z). */
int ipvs_genl_zero(IpvsGenl *g, const IpvsServiceKey *key);
/* Removes every service. Only on explicit request, never at startup. */
int ipvs_genl_flush(IpvsGenl *g);

typedef struct IpvsTimeouts {
        uint32_t tcp, tcp_fin, udp; /* seconds; 0 = unchanged on set */
} IpvsTimeouts;
int ipvs_genl_get_timeouts(IpvsGenl *g, IpvsTimeouts *ret);
int ipvs_genl_set_timeouts(IpvsGenl *g, const IpvsTimeouts *t);

typedef struct IpvsSyncDaemon {
        uint32_t state;          /* IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP */
        char mcast_ifn[IP_VS_IFNAME_MAXLEN];
        uint32_t sync_id;
} IpvsSyncDaemon;
/* Up to two (master and backup); *n set to how many run. */
int ipvs_genl_get_daemons(IpvsGenl *g, IpvsSyncDaemon ret[2], size_t *n);
int ipvs_genl_start_daemon(IpvsGenl *g, const IpvsSyncDaemon *d);
int ipvs_genl_stop_daemon(IpvsGenl *g, uint32_t state);

/* ---- pure codec (ipvs-genl-parse.c), fuzzed ---- */

/* Parse one GET_SERVICE / GET_DEST reply message (any nlmsg type; the genl
 * header is skipped). -EBADMSG on malformed input. */
int ipvs_parse_service_msg(const struct nlmsghdr *nlh, IpvsService *ret);
int ipvs_parse_dest_msg(const struct nlmsghdr *nlh, IpvsDest *ret);
