/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* rtnetlink for vrrpd: a libnl cache manager that mirrors links and
 * addresses (interface presence, link state, MAC, primary address) and
 * tells the daemon about every change, and a nonblocking request socket for
 * VIP add/refresh/remove whose acknowledgements (or errors) come back per
 * request through a callback. The kernel is the source of truth: the caches
 * are what it reported, nothing is assumed. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "addr-util.h"
#include "time-util.h"

typedef struct VrrpNl VrrpNl;

/* Called after any link or address change was folded into the caches. */
typedef void (*vrrp_nl_change_t)(void *userdata);
/* Result of one request: 0 or a negative errno from the kernel. */
typedef void (*vrrp_nl_done_t)(int error, void *userdata, unsigned tag);

int vrrp_nl_new(sd_event *e, vrrp_nl_change_t on_change, void *userdata, VrrpNl **ret);
VrrpNl *vrrp_nl_free(VrrpNl *nl);

/* Links. Returns -ENODEV when there is no such interface. */
typedef struct VrrpLinkInfo {
        int ifindex;
        bool up;          /* IFF_UP and carrier (IFF_RUNNING) */
        uint8_t mac[6];
        char kind[16];    /* "macvlan", "veth", ... or "" */
} VrrpLinkInfo;
int vrrp_nl_link_by_name(VrrpNl *nl, const char *name, VrrpLinkInfo *ret);
int vrrp_nl_link_by_index(VrrpNl *nl, int ifindex, VrrpLinkInfo *ret);

/* The address adverts are sent from: IPv4 the first address of ifindex that
 * is not in exclude (our VIPs), IPv6 the link-local one. -EADDRNOTAVAIL if none. */
int vrrp_nl_primary_address(VrrpNl *nl, int ifindex, int family, const InAddrPrefix *exclude, size_t n_exclude,
                            union in_addr_union *ret);
/* Whether addr (exact address and prefix length) is on ifindex; ret_lifetime
 * gets its valid lifetime in seconds (UINT32_MAX = permanent). */
bool vrrp_nl_has_address(VrrpNl *nl, int ifindex, const InAddrPrefix *addr, uint32_t *ret_lifetime);

typedef struct VrrpAddrSpec {
        int ifindex;
        InAddrPrefix addr;
        const char *label;        /* IPv4 only, NULL/"" = none */
        const char *scope;        /* NULL = global */
        const struct in_addr *broadcast; /* IPv4 only, NULL = none */
        uint32_t lifetime;        /* seconds, valid and preferred; 0 = permanent */
} VrrpAddrSpec;

/* Adds, or refreshes the lifetime of, an address (NLM_F_CREATE|NLM_F_REPLACE;
 * IPv6 gets IFA_F_NODAD). done is called with the kernel's answer unless
 * cancelled first. */
int vrrp_nl_addr_add(VrrpNl *nl, const VrrpAddrSpec *s, vrrp_nl_done_t done, void *userdata, unsigned tag);
int vrrp_nl_addr_del(VrrpNl *nl, int ifindex, const InAddrPrefix *addr, vrrp_nl_done_t done, void *userdata,
                     unsigned tag);
/* Forget the callbacks of userdata (it is going away); the requests still complete. */
void vrrp_nl_cancel(VrrpNl *nl, void *userdata);
/* Blocks until every request is answered or timeout passes (used on stop,
 * after the event loop no longer runs for us). */
int vrrp_nl_wait(VrrpNl *nl, usec_t timeout);

/* Re-reads links and addresses from the kernel (after our own synchronous changes). */
int vrrp_nl_resync(VrrpNl *nl);

/* Links: creates a macvlan (mode private) named name on parent with mac;
 * removes a link by name (only ones vrrpd created). Synchronous. */
int vrrp_nl_macvlan_create(VrrpNl *nl, const char *name, int parent_ifindex, const uint8_t mac[6]);
int vrrp_nl_link_delete(VrrpNl *nl, const char *name);
