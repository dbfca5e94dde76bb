/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* vigil-fence-zk's pure logic (no I/O, no ZooKeeper client): the lock recipe
 * over the children of ROOT/INSTANCE, the lock node's data, and the lease
 * arithmetic that decides when the agent must revoke. Unit tested in
 * tests/unit/tools/test-fence-lock.c.
 *
 * Lock recipe: each contender creates an ephemeral sequential node
 * ROOT/INSTANCE/lock-SSSSSSSSSSSSSSSS-NNNNNNNNNN (S: its session id in hex,
 * N: the sequence ZooKeeper appends); the contender whose node has the
 * lowest sequence number holds the lock. The session id in the name lets a
 * contender find its own node again after a create whose answer was lost
 * (connection loss): no orphan node of ours can hold the lock unseen.
 * Children that are not lock nodes are ignored (never taken for a holder).
 *
 * Lease (why Revoked comes in time). Let t be the session timeout the server
 * negotiated. The server expires our session, deleting our ephemeral node,
 * no earlier than t after the last request of ours it processed; every
 * request it answered was sent by us at a time we record, so with
 * L = the send time of the last request the server answered,
 *         a peer can acquire the lock no earlier than L + t.
 * The agent heartbeats every t/6 while it holds a lock and revokes at
 * L + revoke_after with revoke_after = t/2, so vrrpd has t - t/2 = t/2 to
 * leave MASTER and for the VIP to be gone:
 *         revoke_after + signal_delay + vip_lease_remaining < t
 * With vrrpd's VIP lease (about one advert interval when vrrpd is hung) and a
 * 6 s session timeout this leaves 3 s for a lease of ~1 s. A connection blip
 * shorter than t/2 - t/6 does not revoke. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "time-util.h"

#define FENCE_LOCK_PREFIX "lock-"
#define FENCE_INSTANCE_NAME_MAX 64
#define FENCE_NODE_DATA_MAX 256   /* bytes of a lock node's data we read at most */

/* An instance name usable as one znode path component: [A-Za-z0-9_.:-], 1..64, not "." or "..". */
bool fence_instance_name_valid(const char *name);

#define FENCE_LOCK_NODE_PREFIX_MAX 32
/* "lock-<session, 16 hex digits>-": the name given to zoo_create with ZOO_SEQUENCE. */
void fence_lock_node_prefix(uint64_t session, char buf[static FENCE_LOCK_NODE_PREFIX_MAX]);
/* "lock-00000000000000ab-0000000042" → session 0xab, seq 42. Returns 0, or -EINVAL for anything else. */
int fence_lock_parse(const char *child, uint64_t *ret_session, uint64_t *ret_seq);

typedef struct FenceLockView {
        const char *ours;         /* child name of our (lowest) node, NULL when none */
        size_t n_ours;            /* nodes of our session: > 1 only after a lost create answer */
        bool held;                /* our node has the lowest sequence */
        const char *holder;       /* child name of the lowest lock node, NULL when none */
        uint64_t holder_session;
        size_t n_locks;           /* lock nodes seen */
        size_t n_ignored;         /* children that are not lock nodes */
} FenceLockView;

/* Pointers in ret point into children. */
void fence_lock_evaluate(char *const *children, size_t n, uint64_t session, FenceLockView *ret);

/* The data stored in our lock node: "router_id=ID host=HOST pid=PID". */
int fence_node_data_format(const char *router_id, const char *host, int pid, char **ret);
/* Makes a lock node's data printable and bounded for use in messages: at most
 * FENCE_NODE_DATA_MAX bytes, control and non-ASCII bytes as '?', "" → "(no data)". */
char *fence_node_data_describe(const char *data, size_t len);

/* Lease arithmetic, see above. t = negotiated session timeout. */
usec_t fence_lease_revoke_after(usec_t t);        /* t/2 */
usec_t fence_lease_heartbeat_interval(usec_t t);  /* t/6, at least 50ms */
/* True when revoke_after + vip_lease < t: the VIP is gone before a peer can get the lock. */
bool fence_lease_safe(usec_t t, usec_t revoke_after, usec_t vip_lease);
/* How long a VIP can outlive vrrpd's decision to drop it if vrrpd hangs right
 * then: vip_lease off → forever (USEC_INFINITY); a fixed vip_lease → that;
 * auto → about one advert interval (the fine nftables lease is refreshed
 * with each advert, DESIGN §1). */
usec_t fence_vip_lease_bound(bool lease_off, usec_t fixed_lease, usec_t advert_interval);
/* The Fence wait: the caller's timeout (the instance's fencing.timeout) minus a
 * margin so the answer reaches the caller before its own method call times out. */
usec_t fence_wait_budget(usec_t caller_timeout);
