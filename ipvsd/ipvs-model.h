/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The IPVS table as plain data, independent of netlink: what the kernel holds
 * (filled by ipvs-genl.c from a dump) and what the config asks for (built by
 * ipvs_desired_build() from virtual_servers plus a health/override map), and
 * the minimal ordered operation list that turns one into the other.
 * Pure code: no I/O, unit tested without a kernel. */

#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addr-util.h"
#include "conf.h"

/* What identifies a service in the kernel: (af, protocol, addr, port) or (af, fwmark). */
typedef struct IpvsServiceKey {
        int af;                  /* AF_INET / AF_INET6 */
        uint16_t protocol;       /* IPPROTO_TCP/UDP/SCTP; 0 with fwmark */
        union in_addr_union addr;
        uint16_t port;           /* host order */
        uint32_t fwmark;         /* != 0: fwmark service */
} IpvsServiceKey;

typedef struct IpvsStats {
        uint64_t conns, inpkts, outpkts, inbytes, outbytes;
        uint64_t cps, inpps, outpps, inbps, outbps;
} IpvsStats;

typedef struct IpvsDest {
        int af;
        union in_addr_union addr;
        uint16_t port;           /* host order */
        uint32_t conn_flags;     /* IP_VS_CONN_F_MASQ/TUNNEL/DROUTE (| others the kernel reports) */
        int weight;
        uint32_t u_threshold, l_threshold;
        uint8_t tun_type;        /* IP_VS_CONN_F_TUNNEL_TYPE_*, with TUNNEL */
        uint16_t tun_port;       /* host order, gue */
        uint16_t tun_flags;      /* IP_VS_TUNNEL_ENCAP_FLAG_* */

        /* kernel dumps only */
        uint32_t active_conns, inact_conns, persist_conns;
        IpvsStats stats;

        /* desired state only */
        bool fullnat;
        InAddrPrefix snat_address;  /* AF_UNSPEC: the egress address */
        const ConfLoc *loc;

        bool gone;               /* internal to ipvs_table_apply_ops() */
} IpvsDest;

typedef struct IpvsService {
        IpvsServiceKey key;
        char sched_name[IP_VS_SCHEDNAME_MAXLEN];
        uint32_t flags;          /* IP_VS_SVC_F_* without HASHED */
        uint32_t timeout;        /* persistence, seconds */
        uint32_t netmask;        /* v4: network-order mask; v6: prefix length */
        char pe_name[IP_VS_PENAME_MAXLEN];

        IpvsDest *dests;
        size_t n_dests;

        /* kernel dumps only */
        IpvsStats stats;

        /* desired state only */
        char *id;                /* the config's stable id, e.g. "tcp:10.0.0.1:80" */
        const ConfLoc *loc;

        bool gone;               /* internal to ipvs_table_apply_ops() */
} IpvsService;

typedef struct IpvsTable {
        IpvsService *services;
        size_t n_services;
} IpvsTable;

void ipvs_table_done(IpvsTable *t);
static inline void ipvs_table_donep(IpvsTable *t) {
        ipvs_table_done(t);
}
#define _cleanup_ipvs_table_ __attribute__((cleanup(ipvs_table_donep)))

/* Append a service (copied, dests not) and return it; NULL on OOM. */
IpvsService *ipvs_table_add_service(IpvsTable *t, const IpvsService *s);
/* Append a dest (copied) to s; NULL on OOM. */
IpvsDest *ipvs_service_add_dest(IpvsService *s, const IpvsDest *d);
int ipvs_table_copy(const IpvsTable *src, IpvsTable *ret);

int ipvs_service_key_compare(const IpvsServiceKey *a, const IpvsServiceKey *b);
bool ipvs_dest_key_equal(const IpvsDest *a, const IpvsDest *b);
IpvsService *ipvs_table_find(const IpvsTable *t, const IpvsServiceKey *key);
IpvsDest *ipvs_service_find_dest(const IpvsService *s, int af, const union in_addr_union *addr, uint16_t port);
/* Sort services by key and dests by (af, addr, port): lookups become bsearch, output stable. */
void ipvs_table_sort(IpvsTable *t);

/* "tcp:10.0.0.1:80", "udp:[2001:db8::1]:53", "sctp:...", "fwmark:1", "fwmark6:1" */
int ipvs_service_key_format(const IpvsServiceKey *k, char *buf, size_t len);
int ipvs_service_key_parse(const char *s, IpvsServiceKey *ret);
/* "10.0.0.1:80", "[2001:db8::1]:80" */
const char *ipvs_dest_format(char *buf, size_t len, int af, const union in_addr_union *a, uint16_t port);
#define IPVS_KEY_STR_MAX (ADDR_STR_MAX + 16)

const char *ipvs_protocol_name(uint16_t proto);            /* "tcp" / "udp" / "sctp" */
const char *ipvs_fwd_name(uint32_t conn_flags);             /* "Masq" / "Route" / "Tunnel" / "Local" */
int ipvs_sched_flags_from_string(const char *sched, const char *flag, uint32_t *ret);
/* Comma separated scheduler flag names ("sh-fallback,sh-port") into buf ("" when none). */
const char *ipvs_sched_flags_format(char *buf, size_t len, const char *sched, uint32_t flags);

/* ---- health and manual overrides ---- */

typedef enum IpvsDestState {
        IPVS_DEST_UP,            /* in rotation with the configured (or override) weight */
        IPVS_DEST_DOWN,          /* out: weight 0 when inhibit_on_failure, else removed */
} IpvsDestState;

/* One entry of the health map: checkerd's verdict or an operator's SetWeight,
 * keyed by service id and real server, so the config structs stay untouched. */
typedef struct IpvsHealthEntry {
        char *service_id;
        int af;
        union in_addr_union addr;
        uint16_t port;
        IpvsDestState state;
        bool has_weight;         /* weight overrides the configured one */
        int weight;
} IpvsHealthEntry;

typedef struct IpvsHealth {
        IpvsHealthEntry *entries;
        size_t n;
} IpvsHealth;

void ipvs_health_done(IpvsHealth *h);
/* Creates or updates the entry for (service_id, dest). */
IpvsHealthEntry *ipvs_health_set(IpvsHealth *h, const char *service_id, int af,
                                 const union in_addr_union *addr, uint16_t port);
const IpvsHealthEntry *ipvs_health_get(const IpvsHealth *h, const char *service_id, int af,
                                       const union in_addr_union *addr, uint16_t port);

/* ---- desired state ---- */

/* Builds the desired table from the config's virtual_servers and the health
 * map (may be NULL). Problems the generic config validation does not know
 * about (IPVS-specific combinations) are added to diags with their location;
 * returns -EINVAL if any, 0 otherwise. */
int ipvs_desired_build(const Config *c, const IpvsHealth *health, IpvsTable *ret, ConfDiags *diags);

/* ---- ownership ---- */

/* The keys of services vigil created or adopted (persisted in the state file). */
typedef struct IpvsOwned {
        IpvsServiceKey *keys;
        size_t n;
        bool sorted;             /* lookups bsearch when set (ipvs_owned_sort) */
} IpvsOwned;

void ipvs_owned_done(IpvsOwned *o);
bool ipvs_owned_contains(const IpvsOwned *o, const IpvsServiceKey *k);
int ipvs_owned_add(IpvsOwned *o, const IpvsServiceKey *k);
void ipvs_owned_remove(IpvsOwned *o, const IpvsServiceKey *k);
/* One key per line ("tcp:10.0.0.1:80"); '#' comments. Unparsable lines are an error (-EBADMSG) with *ret_line set. */
int ipvs_owned_parse(const char *text, IpvsOwned *ret, unsigned *ret_line);
int ipvs_owned_format(const IpvsOwned *o, FILE *f);
/* Sort and drop duplicates: lookups become O(log n) (a 10k-service table
 * would otherwise cost 10^8 key compares per reconcile). */
void ipvs_owned_sort(IpvsOwned *o);
/* The ownership after a reconcile, in O(n log n): the old keys still in the
 * kernel or the config, plus every configured service the kernel has now
 * (created or adopted). Returns 1 when it differs from old, 0 if not. */
int ipvs_owned_update(const IpvsOwned *old, const IpvsTable *desired, const IpvsTable *kernel, IpvsOwned *ret);

/* ---- diff ---- */

typedef enum IpvsOpType {
        IPVS_OP_DEL_SERVICE,     /* its dests go with it */
        IPVS_OP_ADD_SERVICE,
        IPVS_OP_EDIT_SERVICE,
        IPVS_OP_DEL_DEST,
        IPVS_OP_ADD_DEST,
        IPVS_OP_EDIT_DEST,
        _IPVS_OP_MAX,
} IpvsOpType;

typedef struct IpvsOp {
        IpvsOpType type;
        /* The service as it should be (add/edit) or as the kernel has it (delete). */
        const IpvsService *service;
        /* The dest as it should be (add/edit) or as the kernel has it (delete); NULL for service ops. */
        const IpvsDest *dest;
} IpvsOp;

typedef struct IpvsOps {
        IpvsOp *ops;
        size_t n;
} IpvsOps;

void ipvs_ops_done(IpvsOps *o);
const char *ipvs_op_type_to_string(IpvsOpType t);
/* "add-dest tcp:10.0.0.1:80 -> 10.0.0.5:80 weight 1" (for logs and tests) */
int ipvs_op_format(const IpvsOp *op, char *buf, size_t len);

/* Services in the kernel that vigil may touch: those in owned, those the
 * desired table names (adopted), or all of them with own_table. */
typedef struct IpvsDiffParams {
        const IpvsOwned *owned;
        bool own_table;
} IpvsDiffParams;

/* desired vs kernel → minimal ordered ops. Both tables must be sorted
 * (ipvs_table_sort). Order: deletions of services first, then per service
 * (in key order): add/edit service, delete dests, edit dests, add dests.
 * Pointers in ops point into desired/kernel: keep both alive. */
int ipvs_diff(const IpvsTable *desired, const IpvsTable *kernel, const IpvsDiffParams *p, IpvsOps *ret);

/* The cached kernel table t updated with the ops that succeeded (errors[i] ==
 * 0; errors NULL = all), so the next diff needs no new dump. t is left as it
 * was (ops may point into it): the caller frees it when done with the ops. */
int ipvs_table_apply_ops(const IpvsTable *t, const IpvsOp *ops, size_t n, const int *errors, IpvsTable *ret);

/* ---- ipvsadm-save format ---- */

/* Writes t like `ipvsadm-save -n` (thresholds as -x/-y when set). */
int ipvs_table_format_save(const IpvsTable *t, FILE *f);
