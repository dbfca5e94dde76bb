/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Fencing before promotion: see vrrp-fence.c. */

typedef struct Instance Instance;
typedef struct Manager Manager;
typedef struct FenceState FenceState;

/* Sets the FSM's promotion gate from the instance's fencing config. */
void vrrp_fence_configure(Instance *i);
/* The FSM asked for a promotion: run the fence round. */
void vrrp_fence_request(Instance *i);
/* Leaving MASTER: Release(instance) on every agent. */
void vrrp_fence_left_master(Instance *i);
/* The fence-failed / fence-revoked fault while backing off, or NULL. */
const char *vrrp_fence_fault(const Instance *i);
void vrrp_fence_free(Instance *i);
int vrrp_fence_start(Manager *m);
void vrrp_fence_stop(Manager *m);
