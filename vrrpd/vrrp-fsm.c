/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "vrrp-fsm.h"

static const char *const state_names[_VRRP_STATE_MAX] = {
        [VRRP_STATE_INIT] = "init",
        [VRRP_STATE_BACKUP] = "backup",
        [VRRP_STATE_MASTER] = "master",
        [VRRP_STATE_FAULT] = "fault",
        [VRRP_STATE_STOPPED] = "stopped",
};

const char *vrrp_state_to_string(VrrpState s) {
        if ((unsigned) s >= _VRRP_STATE_MAX)
                return NULL;
        return state_names[s];
}

void vrrp_fsm_init(VrrpFsm *f, const VrrpFsmParams *p) {
        *f = (VrrpFsm) {
                .p = *p,
                .state = VRRP_STATE_INIT,
                .effective_priority = p->priority,
                .master_adver_interval = p->advert_interval,
                .master_down_deadline = USEC_INFINITY,
                .advert_deadline = USEC_INFINITY,
                .preempt_since = USEC_INFINITY,
        };
}

static void out_reset(VrrpFsmOutput *out) {
        *out = (VrrpFsmOutput) {};
}

_printf_(4, 5) static void transition(VrrpFsm *f, VrrpState to, VrrpFsmOutput *out, const char *fmt, ...) {
        va_list ap;

        if (f->state == to)
                return;
        if (to != VRRP_STATE_BACKUP)
                f->promotion_pending = false;
        out->changed = true;
        out->from = f->state;
        out->to = to;
        va_start(ap, fmt);
        vsnprintf(out->reason, sizeof out->reason, fmt, ap);
        va_end(ap);
        f->state = to;
}

static void send_advert(VrrpFsmOutput *out, uint8_t priority) {
        out->send_advert = true;
        out->advert_priority = priority;
}

usec_t vrrp_fsm_skew_time(const VrrpFsm *f) {
        /* RFC 5798 §6.1: ((256 - Priority) * Master_Adver_Interval) / 256.
         * RFC 3768 §6.1: (256 - Priority) / 256 seconds. */
        usec_t base = f->p.version == 2 ? USEC_PER_SEC : f->master_adver_interval;
        return (256 - (usec_t) f->effective_priority) * base / 256;
}

usec_t vrrp_fsm_master_down_interval(const VrrpFsm *f) {
        return 3 * f->master_adver_interval + vrrp_fsm_skew_time(f);
}

usec_t vrrp_fsm_next_deadline(const VrrpFsm *f) {
        switch (f->state) {
        case VRRP_STATE_MASTER:
                return f->advert_deadline;
        case VRRP_STATE_BACKUP:
                return f->master_down_deadline;
        default:
                return USEC_INFINITY;
        }
}

static void become_master(VrrpFsm *f, usec_t now, VrrpFsmOutput *out) {
        send_advert(out, f->effective_priority);
        f->advert_deadline = now + f->p.advert_interval;
        f->master_down_deadline = USEC_INFINITY;
        f->preempt_since = USEC_INFINITY;
        f->preempting = false;
        f->claimed = false;
        f->master_released = false;
        f->demoted = false;
        f->has_master = true;
        f->master_addr = f->p.self;
        f->master_priority = f->effective_priority;
}

/* With fencing, promotions wait for the fence: stay BACKUP, ask once. */
_printf_(4, 5) static bool gate(VrrpFsm *f, usec_t now, VrrpFsmOutput *out, const char *fmt, ...) {
        va_list ap;
        if (!f->gate_promotion)
                return false;
        va_start(ap, fmt);
        vsnprintf(f->promotion_reason, sizeof f->promotion_reason, fmt, ap);
        va_end(ap);
        if (!f->promotion_pending) {
                f->promotion_pending = true;
                out->promotion_requested = true;
        }
        /* no timer while the fence runs: the daemon's fence timeout bounds it */
        f->master_down_deadline = USEC_INFINITY;
        return true;
}

static void become_backup(VrrpFsm *f, usec_t now) {
        f->advert_deadline = USEC_INFINITY;
        f->master_down_deadline = now + vrrp_fsm_master_down_interval(f);
        f->preempt_since = USEC_INFINITY;
        f->preempting = false;
        f->claimed = false;
        f->master_released = false;
}

static void initialize(VrrpFsm *f, usec_t now, const char *why, VrrpFsmOutput *out) {
        /* RFC 5798 §6.4.1 */
        f->master_adver_interval = f->p.advert_interval;
        f->has_master = false;
        if (f->fault) {
                transition(f, VRRP_STATE_FAULT, out, "%s", f->fault_reason);
                return;
        }
        if (f->effective_priority == 255) {
                become_backup(f, now);
                if (gate(f, now, out, "address-owner")) {
                        transition(f, VRRP_STATE_BACKUP, out, "%s (fencing before address-owner takeover)", why);
                        return;
                }
                become_master(f, now, out);
                transition(f, VRRP_STATE_MASTER, out, "address-owner");
        } else if (f->p.initial_master) {
                become_backup(f, now);
                if (gate(f, now, out, "initial-state master")) {
                        transition(f, VRRP_STATE_BACKUP, out, "%s (fencing before initial-state master)", why);
                        return;
                }
                become_master(f, now, out);
                transition(f, VRRP_STATE_MASTER, out, "initial-state master");
        } else {
                become_backup(f, now);
                transition(f, VRRP_STATE_BACKUP, out, "%s", why);
        }
}

void vrrp_fsm_startup(VrrpFsm *f, usec_t now, VrrpFsmOutput *out) {
        out_reset(out);
        if (f->state != VRRP_STATE_INIT)
                return;
        initialize(f, now, "startup", out);
}

/* Preemption, first step: tell the live lower-priority master (it yields
 * to a higher-priority advert at once, RFC 5798 §6.4.3) and wait one of its
 * intervals plus skew for its adverts to stop. */
static void claim(VrrpFsm *f, usec_t now, VrrpFsmOutput *out) {
        send_advert(out, f->effective_priority);
        f->claimed = true;
        f->master_down_deadline = now + f->master_adver_interval + vrrp_fsm_skew_time(f);
}

void vrrp_fsm_timeout(VrrpFsm *f, usec_t now, VrrpFsmOutput *out) {
        out_reset(out);
        switch (f->state) {
        case VRRP_STATE_MASTER:
                if (now < f->advert_deadline)
                        return;
                send_advert(out, f->effective_priority);
                f->advert_deadline = now + f->p.advert_interval;
                return;
        case VRRP_STATE_BACKUP:
                if (now < f->master_down_deadline)
                        return;
                {
                        bool released = f->master_released, preempting = f->preempting;
                        uint8_t mp = f->master_priority;
                        if (preempting && !released && !f->claimed) {
                                claim(f, now, out);
                                return;
                        }
                        if (released ? gate(f, now, out, "master-released")
                                     : preempting ? gate(f, now, out, "preempt (priority %u > master priority %u)",
                                                         f->effective_priority, mp)
                                                  : gate(f, now, out, "master-down"))
                                return;
                        become_master(f, now, out);
                        if (released)
                                transition(f, VRRP_STATE_MASTER, out, "master-released");
                        else if (preempting)
                                transition(f, VRRP_STATE_MASTER, out, "preempt (priority %u > master priority %u)",
                                           f->effective_priority, mp);
                        else
                                transition(f, VRRP_STATE_MASTER, out, "master-down");
                }
                return;
        default:
                return;
        }
}

static void accept_master(VrrpFsm *f, usec_t now, const union in_addr_union *src, uint8_t priority, usec_t interval) {
        /* RFC 5798 §6.4.2: learn the master's interval (v3 only), restart the down timer. */
        if (f->p.version == 3 && interval > 0)
                f->master_adver_interval = interval;
        f->master_down_deadline = now + vrrp_fsm_master_down_interval(f);
        f->has_master = true;
        f->master_addr = *src;
        f->master_priority = priority;
        f->master_released = false;
        f->preempting = false;
        f->claimed = false;
        f->promotion_pending = false; /* a live master: no promotion to fence for */
}

void vrrp_fsm_advert(VrrpFsm *f, usec_t now, const union in_addr_union *src, uint8_t priority, usec_t interval,
                     VrrpFsmOutput *out) {
        out_reset(out);

        /* RFC 5798 §7.1: the address owner discards every advertisement. */
        if (f->p.priority == 255)
                return;

        switch (f->state) {
        case VRRP_STATE_BACKUP:
                if (priority == 0) {
                        /* The master is leaving: take over after Skew_Time. */
                        f->master_down_deadline = now + vrrp_fsm_skew_time(f);
                        f->master_released = true;
                        return;
                }
                if (!f->p.preempt || f->demoted || priority >= f->effective_priority) {
                        f->preempt_since = USEC_INFINITY;
                        accept_master(f, now, src, priority, interval);
                        return;
                }
                /* Lower priority and we may preempt. preempt_delay tolerates the
                 * lower-priority master for a while (e.g. to let our services warm up). */
                if (f->p.preempt_delay > 0) {
                        if (f->preempt_since == USEC_INFINITY)
                                f->preempt_since = now;
                        if (now < f->preempt_since + f->p.preempt_delay) {
                                usec_t since = f->preempt_since;
                                accept_master(f, now, src, priority, interval);
                                f->preempt_since = since;
                                return;
                        }
                }
                /* Discard the advert: the down timer runs out and we take over. */
                f->preempting = true;
                f->master_priority = priority;
                /* Claimed, and the old master still speaks: it has not heard
                 * us yet. Claim again and keep waiting (it is alive: taking
                 * the VIP now would make two masters). */
                if (f->claimed)
                        claim(f, now, out);
                return;

        case VRRP_STATE_MASTER:
                if (priority == 0) {
                        /* A peer leaving while we are master: assert ourselves at once. */
                        send_advert(out, f->effective_priority);
                        f->advert_deadline = now + f->p.advert_interval;
                        return;
                }
                if (priority > f->effective_priority ||
                    (priority == f->effective_priority &&
                     address_compare(f->p.family, src, &f->p.self) > 0)) {
                        char buf[ADDR_STR_MAX];
                        uint8_t ours = f->effective_priority;
                        become_backup(f, now);
                        accept_master(f, now, src, priority, interval);
                        transition(f, VRRP_STATE_BACKUP, out, "preempted by %s (priority %u, ours %u)",
                                   format_address(buf, sizeof buf, f->p.family, src), priority, ours);
                }
                /* else: discard, a lower-priority master will yield to our adverts. */
                return;

        default:
                return;
        }
}

void vrrp_fsm_set_fault(VrrpFsm *f, usec_t now, bool fault, const char *reason, VrrpFsmOutput *out) {
        out_reset(out);
        f->fault = fault;
        if (fault)
                /* Kept for startup: INIT enters FAULT there, with this reason. */
                snprintf(f->fault_reason, sizeof f->fault_reason, "%s", reason);

        if (fault) {
                switch (f->state) {
                case VRRP_STATE_MASTER:
                        send_advert(out, 0);
                        __attribute__((fallthrough));
                case VRRP_STATE_BACKUP:
                        f->advert_deadline = f->master_down_deadline = USEC_INFINITY;
                        f->has_master = false;
                        transition(f, VRRP_STATE_FAULT, out, "%s", reason);
                        return;
                default:
                        return;
                }
        }

        if (f->state == VRRP_STATE_FAULT) {
                f->state = VRRP_STATE_INIT;
                initialize(f, now, reason, out);
                out->from = VRRP_STATE_FAULT;
        }
}

void vrrp_fsm_set_priority(VrrpFsm *f, usec_t now, uint8_t priority, VrrpFsmOutput *out) {
        out_reset(out);
        if (f->p.priority == 255)
                priority = 255; /* the address owner stays the owner */
        else
                priority = CLAMP(priority, 1, 254);
        f->demoted = false;
        if (priority == f->effective_priority)
                return;
        f->effective_priority = priority;
        if (f->state == VRRP_STATE_MASTER) {
                /* Tell the backups now rather than at the next interval, so a
                 * higher-priority backup preempts as soon as the RFC lets it. */
                send_advert(out, priority);
                f->advert_deadline = now + f->p.advert_interval;
        }
}

int vrrp_fsm_demote(VrrpFsm *f, usec_t now, VrrpFsmOutput *out) {
        out_reset(out);
        if (f->state != VRRP_STATE_MASTER)
                return -EBUSY;
        send_advert(out, 0);
        become_backup(f, now);
        f->demoted = true;
        f->has_master = false;
        transition(f, VRRP_STATE_BACKUP, out, "demoted");
        return 0;
}

void vrrp_fsm_shutdown(VrrpFsm *f, usec_t now, VrrpFsmOutput *out) {
        out_reset(out);
        if (f->state == VRRP_STATE_STOPPED)
                return;
        if (f->state == VRRP_STATE_MASTER)
                send_advert(out, 0); /* RFC 5798 §6.4.3 Shutdown */
        f->advert_deadline = f->master_down_deadline = USEC_INFINITY;
        f->has_master = false;
        transition(f, VRRP_STATE_STOPPED, out, "shutdown");
}

void vrrp_fsm_force(VrrpFsm *f, usec_t now, VrrpState to, const char *reason, VrrpFsmOutput *out) {
        out_reset(out);
        if (to == VRRP_STATE_MASTER && f->state == VRRP_STATE_BACKUP) {
                if (gate(f, now, out, "%s", reason))
                        return;
                become_master(f, now, out);
                transition(f, VRRP_STATE_MASTER, out, "%s", reason);
        } else if (to == VRRP_STATE_BACKUP && f->state == VRRP_STATE_MASTER) {
                /* Priority 0 lets the peer's member take over after skew time. */
                send_advert(out, 0);
                become_backup(f, now);
                f->has_master = false;
                transition(f, VRRP_STATE_BACKUP, out, "%s", reason);
        }
}

void vrrp_fsm_promote(VrrpFsm *f, usec_t now, const char *suffix, VrrpFsmOutput *out) {
        out_reset(out);
        if (f->state != VRRP_STATE_BACKUP || !f->promotion_pending)
                return;
        f->promotion_pending = false;
        become_master(f, now, out);
        transition(f, VRRP_STATE_MASTER, out, "%s%s", f->promotion_reason, strempty(suffix));
}
