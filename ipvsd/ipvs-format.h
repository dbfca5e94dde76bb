/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Text in and out, pure: ipvsadm-save import, YAML export, `ipvsadm -Ln`
 * style listings and the /proc/net/ip_vs_conn connection table. Used by
 * vigilctl and fuzzed. */

#include <stdio.h>

#include "ipvs-model.h"

/* `ipvsadm-save -n` (or ipvsadm -R input) into a table. On error returns
 * -EINVAL and err holds "line N: what". */
int ipvs_import_save(const char *text, size_t len, IpvsTable *ret, char *err, size_t errlen);
/* The table as YAML virtual_servers (DESIGN §5), loadable by config_load_*. */
int ipvs_table_format_yaml(const IpvsTable *t, FILE *f);

typedef enum IpvsListFlags {
        IPVS_LIST_STATS = 1 << 0,      /* --stats */
        IPVS_LIST_RATE = 1 << 1,       /* --rate */
        IPVS_LIST_EXACT = 1 << 2,      /* --exact */
        IPVS_LIST_THRESHOLDS = 1 << 3, /* --thresholds */
} IpvsListFlags;

/* Like `ipvsadm -Ln` (without its version line): same columns and widths. */
int ipvs_table_format_list(const IpvsTable *t, IpvsListFlags flags, FILE *f);

typedef struct IpvsConn {
        char protocol[8];        /* "TCP", "UDP", "SCTP", ... as the kernel writes it */
        int af;                  /* of client and virtual address */
        int dest_af;             /* the destination's (tunnels may mix) */
        union in_addr_union client, virt, dest;
        uint16_t cport, vport, dport;
        char state[16];
        unsigned expires;        /* seconds */
} IpvsConn;

/* One line of /proc/net/ip_vs_conn (the header line gives -ENODATA). */
int ipvs_conn_parse_line(const char *line, IpvsConn *ret);
/* `ipvsadm -Lnc` style line. */
void ipvs_conn_format(const IpvsConn *c, FILE *f);
