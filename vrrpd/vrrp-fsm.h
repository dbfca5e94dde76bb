/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The VRRP state machine of RFC 5798 §6.4 (and RFC 3768 §6.4 for v2), pure:
 * time is passed in, nothing is sent. Every entry point fills a
 * VrrpFsmOutput telling the caller what to do: send one advertisement (with
 * which priority) and/or apply a state transition (with its reason). The
 * caller (vrrpd.c) owns sockets, addresses and timers; it arms one timer at
 * vrrp_fsm_next_deadline() and calls vrrp_fsm_timeout() when it fires.
 *
 * Beyond the RFC: FAULT (tracked interfaces/checks, missing interface),
 * STOPPED (after shutdown), preempt_delay, Demote() and forced transitions
 * for sync groups. */

#include <stdbool.h>
#include <stdint.h>

#include "addr-util.h"
#include "time-util.h"

typedef enum VrrpState {
        VRRP_STATE_INIT,
        VRRP_STATE_BACKUP,
        VRRP_STATE_MASTER,
        VRRP_STATE_FAULT,
        VRRP_STATE_STOPPED,
        _VRRP_STATE_MAX,
} VrrpState;

const char *vrrp_state_to_string(VrrpState s);

#define VRRP_REASON_MAX 128

typedef struct VrrpFsmParams {
        uint8_t version;          /* 2 or 3 */
        uint8_t priority;         /* configured, 1..255; 255 = address owner */
        usec_t advert_interval;   /* configured, already in the version's unit */
        bool preempt;
        usec_t preempt_delay;     /* a lower-priority master is tolerated this long before we preempt it */
        bool initial_master;      /* initial_state: master (keepalived 'state MASTER') */
        int family;
        union in_addr_union self; /* our primary address: tie-break and MasterAddress while master */
} VrrpFsmParams;

typedef struct VrrpFsm {
        VrrpFsmParams p;
        VrrpState state;
        uint8_t effective_priority;
        bool fault;
        char fault_reason[VRRP_REASON_MAX];
        bool demoted;               /* after Demote(): do not preempt until we are master again */
        bool master_released;       /* the master sent priority 0: next master-down is a release */
        bool preempting;            /* we are ignoring a lower-priority master's adverts */
        /* Preempting a live master: we first claim (send our advert, stay
         * BACKUP) and take the VIP only once a full interval has passed
         * without an advert from the old master, i.e. it has yielded. Taking
         * it at once would let both answer until the old master has read
         * our first advert. */
        bool claimed;
        usec_t master_adver_interval;
        usec_t master_down_deadline; /* BACKUP only */
        usec_t advert_deadline;      /* MASTER only */
        usec_t preempt_since;        /* first lower-priority advert seen, USEC_INFINITY = none */
        bool has_master;
        union in_addr_union master_addr;
        uint8_t master_priority;
        /* Fencing (DESIGN §1): with gate_promotion set, BACKUP→MASTER does not
         * happen by itself; the FSM stays BACKUP with promotion_pending and asks
         * (VrrpFsmOutput.promotion_requested). The daemon runs the fence and calls
         * vrrp_fsm_promote() when it is granted. A master heard meanwhile
         * cancels the request (the master is alive after all). */
        bool gate_promotion;
        bool promotion_pending;
        char promotion_reason[VRRP_REASON_MAX];
} VrrpFsm;

typedef struct VrrpFsmOutput {
        bool send_advert;
        uint8_t advert_priority;
        bool changed;
        VrrpState from, to;
        char reason[VRRP_REASON_MAX];
        bool promotion_requested;   /* gate_promotion: run the fence, then vrrp_fsm_promote() */
} VrrpFsmOutput;

void vrrp_fsm_init(VrrpFsm *f, const VrrpFsmParams *p);

/* RFC 5798 §6.4.1 Initialize: to MASTER (address owner or initial_state
 * master), to BACKUP, or to FAULT when a fault is already set. */
void vrrp_fsm_startup(VrrpFsm *f, usec_t now, VrrpFsmOutput *out);
/* Timers: Adver_Timer (MASTER), Master_Down_Timer (BACKUP). Call when
 * now >= vrrp_fsm_next_deadline(); calling early is harmless. */
void vrrp_fsm_timeout(VrrpFsm *f, usec_t now, VrrpFsmOutput *out);
/* A validated advertisement for this instance. interval: the sender's
 * advertisement interval (v3: Max Adver Interval; v2: ignored). */
void vrrp_fsm_advert(VrrpFsm *f, usec_t now, const union in_addr_union *src, uint8_t priority, usec_t interval,
                     VrrpFsmOutput *out);
/* Tracked interface/check state: fault true enters FAULT (a master first
 * sends priority 0 so a backup takes over after skew time); false leaves it
 * through Initialize. reason is used for the transition. */
void vrrp_fsm_set_fault(VrrpFsm *f, usec_t now, bool fault, const char *reason, VrrpFsmOutput *out);
/* New effective priority (weights, SetPriority). Address owners keep 255.
 * Clears a pending Demote(). */
void vrrp_fsm_set_priority(VrrpFsm *f, usec_t now, uint8_t priority, VrrpFsmOutput *out);
/* Graceful handover: a master sends priority 0 and becomes BACKUP, and does
 * not preempt until it is master again. Returns -EBUSY if not master. */
int vrrp_fsm_demote(VrrpFsm *f, usec_t now, VrrpFsmOutput *out);
/* Graceful stop: a master sends priority 0; the state becomes STOPPED. */
void vrrp_fsm_shutdown(VrrpFsm *f, usec_t now, VrrpFsmOutput *out);
/* Sync groups: move a BACKUP to MASTER or a MASTER to BACKUP because a
 * group member did. Other states are left alone. */
void vrrp_fsm_force(VrrpFsm *f, usec_t now, VrrpState to, const char *reason, VrrpFsmOutput *out);

/* The fence granted a pending promotion: BACKUP → MASTER with the reason
 * recorded when it was requested. No-op when nothing is pending any more. */
void vrrp_fsm_promote(VrrpFsm *f, usec_t now, const char *suffix, VrrpFsmOutput *out);

usec_t vrrp_fsm_next_deadline(const VrrpFsm *f);
usec_t vrrp_fsm_skew_time(const VrrpFsm *f);
usec_t vrrp_fsm_master_down_interval(const VrrpFsm *f);
