/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The fine-grained VIP lease (DESIGN §1): kernel address lifetimes count in
 * whole seconds, so vrrpd keeps nftables tables of its own, "inet vigil_vrrp"
 * and "arp vigil_vrrp" (not owner tables: they must outlive a crashed or
 * frozen vrrpd, that is their point), with the set of VIPs it manages and a
 * set "alive" whose elements time out in milliseconds. A master refreshes its
 * VIPs in "alive" with every advert. Rules drop traffic to a managed VIP that
 * is not alive (prerouting, before IPVS sees it), ARP replies for it (arp
 * output) and neighbour advertisements from it (output). So a killed or
 * frozen master stops answering within the lease. */

#include <stddef.h>

#include "addr-util.h"
#include "time-util.h"

#define VRRP_NFT_TABLE "vigil_vrrp"

typedef struct VrrpLease VrrpLease;

/* Creates or updates the tables, chains and rules; empties the managed and
 * alive sets (a starting vrrpd is master of nothing). */
int vrrp_lease_new(VrrpLease **ret);
/* Leaves the tables in place. */
VrrpLease *vrrp_lease_free(VrrpLease *l);

/* Adds (manage = true) or removes VIPs from the managed sets. */
int vrrp_lease_manage(VrrpLease *l, const InAddrPrefix *a, size_t n, bool manage);
/* Puts the VIPs in "alive" for timeout from now (re-arming existing elements). */
int vrrp_lease_refresh(VrrpLease *l, const InAddrPrefix *a, size_t n, usec_t timeout);
/* Takes the VIPs out of "alive" at once (leaving MASTER). */
int vrrp_lease_revoke(VrrpLease *l, const InAddrPrefix *a, size_t n);

/* Accept mode off (RFC 5798 §6.1): traffic to these VIPs is dropped (accept =
 * false), or no longer (accept = true). Neighbour discovery and ARP still work. */
int vrrp_lease_set_accept(VrrpLease *l, const InAddrPrefix *a, size_t n, bool accept);

/* The nft command text the functions above run, for tests and logs.
 * op: "manage", "unmanage", "refresh", "revoke", "noaccept", "accept". Returns a malloc'd string. */
char *vrrp_lease_format(const char *op, const InAddrPrefix *a, size_t n, usec_t timeout);
