/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigil-vrrpd: the VRRP speaker. This file is the glue: it feeds the pure
 * state machine (vrrp-fsm.c) with packets (vrrp-net.c, vrrp-packet.c),
 * timers and tracking, and carries out what it decides: adverts, VIPs with
 * their kernel and nftables leases (vrrp-addr.c, vrrp-lease.c), gratuitous
 * ARP/NA, bus signals (vrrp-bus.c). */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup-libs.h"
#include "vrrp-net.h"
#include "vrrpd.h"

static const char *const counter_names[_VRRP_COUNTER_MAX - _VRRP_RX_ERROR_MAX] = {
        [VRRP_COUNTER_RX_ADVERTS - _VRRP_RX_ERROR_MAX] = "rx_adverts",
        [VRRP_COUNTER_RX_PRIORITY_ZERO - _VRRP_RX_ERROR_MAX] = "rx_priority_zero",
        [VRRP_COUNTER_TX_ADVERTS - _VRRP_RX_ERROR_MAX] = "tx_adverts",
        [VRRP_COUNTER_TX_PRIORITY_ZERO - _VRRP_RX_ERROR_MAX] = "tx_priority_zero",
        [VRRP_COUNTER_TX_ERRORS - _VRRP_RX_ERROR_MAX] = "tx_errors",
        [VRRP_COUNTER_MASTER_TRANSITIONS - _VRRP_RX_ERROR_MAX] = "master_transitions",
        [VRRP_COUNTER_GARP_SENT - _VRRP_RX_ERROR_MAX] = "garp_sent",
        [VRRP_COUNTER_VIP_ERRORS - _VRRP_RX_ERROR_MAX] = "vip_errors",
};

const char *vrrp_counter_to_string(unsigned c) {
        if (c == VRRP_RX_OK)
                return NULL;
        if (c < _VRRP_RX_ERROR_MAX)
                return vrrp_rx_error_to_string(c);
        if (c < _VRRP_COUNTER_MAX)
                return counter_names[c - _VRRP_RX_ERROR_MAX];
        return NULL;
}

static void instance_handle(Instance *i, const VrrpFsmOutput *o);
static void instance_vips_down(Instance *i);
static void instance_arm_timer(Instance *i);

static usec_t now_mono(void) {
        return now_usec(CLOCK_MONOTONIC);
}

Instance *manager_find_instance(Manager *m, const char *name) {
        for (size_t k = 0; k < m->n_instances; k++)
                if (streq(m->instances[k]->name, name))
                        return m->instances[k];
        return NULL;
}

static void count(Instance *i, unsigned c) {
        i->counters[c]++;
        i->counters_dirty = true;
}

static void set_last_error(Instance *i, const char *fmt, ...) _printf_(2, 3);
static void set_last_error(Instance *i, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        free(i->last_error);
        i->last_error = s;
        vrrp_bus_emit_properties(i, "LastError", NULL);
}

/* ---- adverts ---------------------------------------------------------- */

static void instance_send_advert(Instance *i, uint8_t priority) {
        union in_addr_union dsts[64];
        size_t n_dst = 0;
        uint8_t buf[VRRP_PACKET_MAX];
        static uint16_t ip_id;
        int r;

        if (i->fd < 0 || !i->has_source)
                return;

        if (i->conf->unicast) {
                for (size_t k = 0; k < i->conf->n_unicast_peers && n_dst < ELEMENTSOF(dsts); k++)
                        dsts[n_dst++] = i->conf->unicast_peers[k].addr;
        } else {
                dsts[0] = (union in_addr_union) {};
                (void) inet_pton(i->conf->family, i->conf->family == AF_INET ? VRRP_MCAST_IPV4 : VRRP_MCAST_IPV6,
                                 &dsts[0]);
                n_dst = 1;
        }

        for (size_t k = 0; k < n_dst; k++) {
                VrrpAdvert a = {
                        .family = i->conf->family,
                        .version = (uint8_t) i->conf->version,
                        .vrid = i->conf->virtual_router_id,
                        .priority = priority,
                        .interval_cs = i->interval_cs,
                        .auth_pass = i->conf->version == 2 ? i->conf->auth_pass : NULL,
                        .addrs = i->advert_addrs,
                        .n_addrs = i->n_advert_addrs,
                        .src = i->source,
                        .dst = dsts[k],
                };
                r = i->conf->family == AF_INET ? vrrp_packet_encode_ipv4(&a, ++ip_id, buf, sizeof buf)
                                               : vrrp_packet_encode(&a, buf, sizeof buf);
                if (r >= 0)
                        r = vrrp_socket_send(i->fd, i->conf->family, i->ifindex, &i->source, &dsts[k], buf, (size_t) r);
                if (r < 0) {
                        count(i, VRRP_COUNTER_TX_ERRORS);
                        if (ratelimit_below(&i->rx_ratelimit))
                                log_instance(LOG_WARNING, r, i->name, "Sending advertisement on %s failed: %m", i->ifname);
                        continue;
                }
                count(i, VRRP_COUNTER_TX_ADVERTS);
                if (priority == 0)
                        count(i, VRRP_COUNTER_TX_PRIORITY_ZERO);
        }
}

/* ---- VIPs -------------------------------------------------------------- */

static int vip_ifindex(Instance *i, const VipConf *v) {
        if (isempty(v->device) || (streq(v->device, i->conf->interface) && i->conf->use_vmac))
                return i->ifindex;
        VrrpLinkInfo li;
        if (vrrp_nl_link_by_name(i->manager->nl, v->device, &li) < 0)
                return 0;
        return li.ifindex;
}

static const VipConf *managed_vip(const Instance *i, size_t k) {
        if (k < i->conf->n_virtual_addresses)
                return &i->conf->virtual_addresses[k];
        return &i->conf->excluded_addresses[k - i->conf->n_virtual_addresses];
}

static void manager_evaluate_later(Manager *m);

static void on_vip_added(int error, void *userdata, unsigned tag) {
        Instance *i = userdata;
        const VipConf *v;
        char buf[ADDR_STR_MAX];

        if (error >= 0 || tag >= i->n_managed)
                return;
        v = managed_vip(i, tag);
        count(i, VRRP_COUNTER_VIP_ERRORS);
        i->vip_error = error;
        log_instance(LOG_ERR, error, i->name, "%s:%u:%u: the kernel refused VIP %s on %s: %m",
                     strna(v->loc.file), v->loc.line, v->loc.col, format_address_prefix(buf, sizeof buf, &v->addr),
                     isempty(v->device) ? i->ifname : v->device);
        set_last_error(i, "VIP %s on %s refused by the kernel: %s", format_address_prefix(buf, sizeof buf, &v->addr),
                       isempty(v->device) ? i->ifname : v->device, strerror(-error));
        /* The instance cannot do its job: FAULT, the others carry on. */
        manager_evaluate_later(i->manager);
}

static void on_vip_removed(int error, void *userdata, unsigned tag) {
        Instance *i = userdata;
        char buf[ADDR_STR_MAX];

        if (error >= 0 || error == -EADDRNOTAVAIL || error == -ENODEV || tag >= i->n_managed)
                return;
        log_instance(LOG_WARNING, error, i->name, "Removing VIP %s failed: %m",
                     format_address_prefix(buf, sizeof buf, &managed_vip(i, tag)->addr));
}

static void instance_vips_refresh_kernel(Instance *i) {
        Manager *m = i->manager;

        for (size_t k = 0; k < i->n_managed; k++) {
                const VipConf *v = managed_vip(i, k);
                int ifindex = vip_ifindex(i, v);
                if (ifindex <= 0)
                        continue;
                VrrpAddrSpec s = {
                        .ifindex = ifindex,
                        .addr = v->addr,
                        .label = v->label,
                        .scope = v->scope,
                        .broadcast = v->has_broadcast ? &v->broadcast : NULL,
                        .lifetime = i->kernel_lease,
                };
                int r = vrrp_nl_addr_add(m->nl, &s, on_vip_added, i, (unsigned) k);
                if (r < 0)
                        on_vip_added(r, i, (unsigned) k);
        }
        i->last_kernel_refresh = now_mono();
}

static void instance_lease_refresh(Instance *i) {
        i->last_lease_refresh = now_mono();
        if (i->fine_lease > 0 && i->manager->lease) {
                int r = vrrp_lease_refresh(i->manager->lease, i->managed, i->n_managed, i->fine_lease);
                if (r < 0 && ratelimit_below(&i->rx_ratelimit))
                        log_instance(LOG_ERR, r, i->name, "Refreshing the nftables VIP lease failed: %m");
        }
}

static void garp_send_one(Instance *i) {
        for (size_t k = 0; k < i->n_managed; k++) {
                const VipConf *v = managed_vip(i, k);
                int ifindex = vip_ifindex(i, v), r;
                VrrpLinkInfo li;
                if (ifindex <= 0 || vrrp_nl_link_by_index(i->manager->nl, ifindex, &li) < 0)
                        continue;
                if (v->addr.family == AF_INET)
                        r = vrrp_send_garp(ifindex, li.mac, &v->addr.addr.in);
                else
                        r = vrrp_send_unsolicited_na(ifindex, li.mac, &v->addr.addr.in6);
                if (r < 0) {
                        if (ratelimit_below(&i->rx_ratelimit))
                                log_instance(LOG_WARNING, r, i->name, "Gratuitous ARP/NA failed: %m");
                } else
                        count(i, VRRP_COUNTER_GARP_SENT);
        }
}

static int on_garp_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Instance *i = userdata;
        const GarpConf *g = &i->conf->garp;
        usec_t next;

        if (i->fsm.state != VRRP_STATE_MASTER || !i->vips_up)
                return 0;
        garp_send_one(i);
        if (i->garp_left > 0)
                i->garp_left--;
        if (i->garp_left > 0)
                next = g->interval;
        else if (!i->garp_second_burst_done && g->master_delay > 0) {
                /* keepalived's garp_master_delay: a second burst for switches that were slow to learn. */
                i->garp_second_burst_done = true;
                i->garp_left = MAX(g->repeat, 1u);
                next = g->master_delay;
        } else if (g->refresh > 0) {
                i->garp_left = MAX(g->refresh_repeat, 1u);
                next = g->refresh;
        } else
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        (void) sd_event_source_set_time(s, usec + MAX(next, (usec_t) 1));
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static void instance_garp_start(Instance *i) {
        Manager *m = i->manager;
        int r;

        i->garp_left = MAX(i->conf->garp.repeat, 1u);
        i->garp_second_burst_done = false;
        if (!i->garp_timer) {
                r = sd_event_add_time(m->event, &i->garp_timer, CLOCK_MONOTONIC, 0, 1, on_garp_timer, i);
                if (r < 0) {
                        log_instance(LOG_ERR, r, i->name, "Cannot schedule gratuitous ARP: %m");
                        return;
                }
        }
        /* The first burst goes out now, back to back when no interval is set. */
        while (i->garp_left > 1 && i->conf->garp.interval == 0) {
                garp_send_one(i);
                i->garp_left--;
        }
        (void) sd_event_source_set_time(i->garp_timer, now_mono());
        (void) sd_event_source_set_enabled(i->garp_timer, SD_EVENT_ON);
}

static void instance_vips_install(Instance *i) {
        if (i->fsm.state != VRRP_STATE_MASTER)
                return;
        instance_lease_refresh(i);
        instance_vips_refresh_kernel(i);
        instance_garp_start(i);
}

static int on_vip_wait(sd_event_source *s, uint64_t usec, void *userdata) {
        Instance *i = userdata;
        /* done waiting: the refresh path tests for this source */
        i->vip_wait_timer = sd_event_source_disable_unref(i->vip_wait_timer);
        log_instance(LOG_INFO, 0, i->name, "Previous master's VIP lease has run out, adding VIPs.");
        instance_vips_install(i);
        return 0;
}

static void instance_vips_up(Instance *i, const char *reason) {
        usec_t now = now_mono(), wait = 0;

        i->vips_up = true;
        i->lease_lapsed = false;
        i->last_advert_tx = now;
        if (!i->manager->lease || i->fine_lease == 0) {
                /* Without the fine lease, a frozen previous master keeps answering until
                 * its kernel lease (whole seconds, up to one more of timer slack) runs
                 * out: wait that out when we promoted ourselves on silence. */
                if (i->lease_wait && streq(reason, "master-down") && i->last_advert_rx > 0) {
                        usec_t end = i->last_advert_rx + (usec_t) i->kernel_lease * USEC_PER_SEC + USEC_PER_SEC;
                        if (end > now)
                                wait = end - now;
                }
        }
        if (wait == 0) {
                instance_vips_install(i);
                return;
        }
        log_instance(LOG_INFO, 0, i->name, "Waiting %llums for the previous master's VIP lease before adding VIPs.",
                     (unsigned long long) (wait / USEC_PER_MSEC));
        i->vip_wait_timer = sd_event_source_disable_unref(i->vip_wait_timer);
        int r = sd_event_add_time_relative(i->manager->event, &i->vip_wait_timer, CLOCK_MONOTONIC, wait, 1, on_vip_wait, i);
        if (r < 0)
                instance_vips_install(i);
}

static void instance_vips_down(Instance *i) {
        Manager *m = i->manager;

        i->vip_wait_timer = sd_event_source_disable_unref(i->vip_wait_timer);
        if (i->garp_timer)
                (void) sd_event_source_set_enabled(i->garp_timer, SD_EVENT_OFF);
        if (!i->vips_up)
                return;
        i->vips_up = false;
        /* Stop answering first (nft), then drop the addresses. */
        if (m->lease && i->fine_lease > 0)
                (void) vrrp_lease_revoke(m->lease, i->managed, i->n_managed);
        for (size_t k = 0; k < i->n_managed; k++) {
                const VipConf *v = managed_vip(i, k);
                int ifindex = vip_ifindex(i, v);
                if (ifindex <= 0)
                        continue;
                int r = vrrp_nl_addr_del(m->nl, ifindex, &v->addr, on_vip_removed, i, (unsigned) k);
                if (r < 0)
                        on_vip_removed(r, i, (unsigned) k);
        }
}

/* At start (and when an interface appears): VIPs of ours left on the
 * interfaces by an earlier run go before we speak VRRP. Permanent addresses
 * are left alone: with a lease we only ever add finite ones, so a permanent
 * one was put there by someone else (or by us with vip_lease: off). */
static void instance_cleanup_leftovers(Instance *i) {
        if (i->fsm.p.priority == 255)
                return; /* the owner's addresses are its own */
        for (size_t k = 0; k < i->n_managed; k++) {
                const VipConf *v = managed_vip(i, k);
                int ifindex = vip_ifindex(i, v);
                uint32_t lft;
                char buf[ADDR_STR_MAX];
                if (ifindex <= 0 || !vrrp_nl_has_address(i->manager->nl, ifindex, &v->addr, &lft))
                        continue;
                if (lft == UINT32_MAX && i->conf->vip_lease != VIP_LEASE_OFF)
                        continue;
                log_instance(LOG_NOTICE, 0, i->name, "Removing VIP %s left by an earlier run.",
                             format_address_prefix(buf, sizeof buf, &v->addr));
                (void) vrrp_nl_addr_del(i->manager->nl, ifindex, &v->addr, on_vip_removed, i, (unsigned) k);
        }
        /* rtnetlink requests complete in the sender's context; waiting for the
         * answers makes "removed before any advert" a fact, not a hope. */
        (void) vrrp_nl_wait(i->manager->nl, 500 * USEC_PER_MSEC);
}

/* ---- sync groups ----------------------------------------------------- */

static void group_propagate(Instance *i, VrrpState from, VrrpState to) {
        Manager *m = i->manager;
        SyncGroup *g = i->group;
        char reason[VRRP_REASON_MAX];

        if (!g || m->propagating)
                return;
        if (to != VRRP_STATE_MASTER && !(from == VRRP_STATE_MASTER && to == VRRP_STATE_BACKUP))
                return;
        snprintf(reason, sizeof reason, "sync group %s: %s %s", g->name, i->name, vrrp_state_to_string(to));
        m->propagating = true;
        for (size_t k = 0; k < g->n_members; k++) {
                Instance *o = g->members[k];
                VrrpFsmOutput out;
                if (o == i || o->stopped)
                        continue;
                vrrp_fsm_force(&o->fsm, now_mono(), to, reason, &out);
                instance_handle(o, &out);
        }
        m->propagating = false;
}

/* ---- state handling -------------------------------------------------- */

static void instance_on_transition(Instance *i, VrrpState from, VrrpState to, const char *reason) {
        Manager *m = i->manager;

        i->last_transition = now_usec(CLOCK_REALTIME);
        snprintf(i->last_reason, sizeof i->last_reason, "%s", reason);

        if (from == VRRP_STATE_MASTER) {
                instance_vips_down(i);
                vrrp_fence_left_master(i);
        }
        if (to == VRRP_STATE_MASTER) {
                count(i, VRRP_COUNTER_MASTER_TRANSITIONS);
                instance_vips_up(i, reason);
        }

        {
                /* journalctl MESSAGE_ID=... or VIGIL_EVENT=vrrp-state finds every transition */
                char kv_instance[VRRP_REASON_MAX + 16], kv_from[32], kv_to[32];
                snprintf(kv_instance, sizeof kv_instance, "INSTANCE=%s", i->name);
                snprintf(kv_from, sizeof kv_from, "VIGIL_FROM=%s", vrrp_state_to_string(from));
                snprintf(kv_to, sizeof kv_to, "VIGIL_TO=%s", vrrp_state_to_string(to));
                const char *const fields[] = { kv_instance, "VIGIL_EVENT=vrrp-state",
                                               "MESSAGE_ID=7c1f4e2a9b8d4c6e8f0a3b5d7e9c1a24", kv_from, kv_to, NULL };
                log_full_errno_fields(to == VRRP_STATE_FAULT ? LOG_WARNING : LOG_NOTICE, 0, fields, "%s -> %s (%s)",
                                      vrrp_state_to_string(from), vrrp_state_to_string(to), reason);
        }
        vrrp_bus_emit_state_changed(i, ++m->seq, from, to, reason);
        vrrp_bus_emit_properties(i, "State", "MasterAddress", "LastTransition", "EffectivePriority", NULL);

        group_propagate(i, from, to);
}

static void instance_handle(Instance *i, const VrrpFsmOutput *o) {
        if (o->send_advert) {
                usec_t now = now_mono(), prev_tx = i->last_advert_tx;

                instance_send_advert(i, o->advert_priority);
                if (o->advert_priority > 0 && i->fsm.state == VRRP_STATE_MASTER && i->vips_up &&
                    !i->vip_wait_timer) {
                        i->last_advert_tx = now;
                        /* The master's adverts are the heartbeat of its leases. But if we
                         * went silent for longer than 3 intervals (SIGSTOP, a stalled VM),
                         * a backup may have taken over meanwhile: answer again only from
                         * the next advert on, once this one had the chance to make a
                         * lower-priority master yield. Never two answering at once. */
                        if (i->fine_lease > 0 && i->manager->lease && prev_tx > 0 && !i->lease_lapsed &&
                            now > prev_tx + 3 * i->fsm.p.advert_interval) {
                                log_instance(LOG_WARNING, 0, i->name, "Silent for %llums as master (process stalled?); re-announcing before answering again.",
                                             (unsigned long long) ((now - prev_tx) / USEC_PER_MSEC));
                                i->lease_lapsed = true;
                        } else {
                                instance_lease_refresh(i);
                                if (i->lease_lapsed) {
                                        i->lease_lapsed = false;
                                        instance_garp_start(i); /* clients may have learnt the other MAC */
                                }
                        }
                        usec_t every = MIN(i->fsm.p.advert_interval, 500 * USEC_PER_MSEC);
                        if (i->kernel_lease > 0 && now >= i->last_kernel_refresh + every)
                                instance_vips_refresh_kernel(i);
                }
        }
        if (o->changed)
                instance_on_transition(i, o->from, o->to, o->reason);
        if (o->promotion_requested)
                vrrp_fence_request(i);
        instance_arm_timer(i);
}

void instance_apply(Instance *i, const VrrpFsmOutput *o) {
        instance_handle(i, o);
}

static int on_fsm_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Instance *i = userdata;
        VrrpFsmOutput o;
        vrrp_fsm_timeout(&i->fsm, now_mono(), &o);
        instance_handle(i, &o);
        return 0;
}

static void instance_arm_timer(Instance *i) {
        usec_t t = vrrp_fsm_next_deadline(&i->fsm);
        int r;

        if (t == USEC_INFINITY) {
                if (i->timer)
                        (void) sd_event_source_set_enabled(i->timer, SD_EVENT_OFF);
                return;
        }
        if (!i->timer) {
                /* accuracy 1 µs: sd-event's default 250 ms slack would break 100 ms adverts */
                r = sd_event_add_time(i->manager->event, &i->timer, CLOCK_MONOTONIC, t, 1, on_fsm_timer, i);
                if (r < 0)
                        log_instance(LOG_ERR, r, i->name, "Cannot arm the VRRP timer: %m");
                return;
        }
        (void) sd_event_source_set_time(i->timer, t);
        (void) sd_event_source_set_enabled(i->timer, SD_EVENT_ONESHOT);
}

/* ---- receive --------------------------------------------------------- */

static bool is_own_address(Instance *i, const union in_addr_union *a) {
        return i->has_source && address_equal(i->conf->family, a, &i->source);
}

static void instance_rx_error(Instance *i, VrrpRxError e, const VrrpPacket *p, bool accepted) {
        char buf[ADDR_STR_MAX];
        count(i, e);
        if (e == VRRP_RX_VRID)
                return; /* other routers on the LAN: normal */
        if (ratelimit_below(&i->rx_ratelimit))
                log_instance(accepted ? LOG_NOTICE : LOG_WARNING, 0, i->name,
                             /* accepted: a v3 interval mismatch (a backup learns the master's,
                              * RFC 5798 §6.4.2) or an address owner's differing list (RFC 3768 §7.1) */
                             "%s advert from %s on %s: %s (vrid %u, version %u, priority %u, interval %ucs, ttl %u)",
                             accepted ? "Accepted, but counted," : "Dropped",
                             format_address(buf, sizeof buf, p->family, &p->src), i->ifname, vrrp_rx_error_to_string(e),
                             p->vrid, p->version, p->priority, p->interval_cs, p->ttl);
}

static void instance_receive(Instance *i, const VrrpPacket *p) {
        bool anyway = false;
        VrrpRxError e;

        if (is_own_address(i, &p->src))
                return;
        if (p->vrid != i->conf->virtual_router_id) {
                count(i, VRRP_RX_VRID);
                return;
        }
        if (i->conf->unicast) {
                bool known = false;
                for (size_t k = 0; k < i->conf->n_unicast_peers && !known; k++)
                        known = address_equal(p->family, &p->src, &i->conf->unicast_peers[k].addr);
                if (!known) {
                        instance_rx_error(i, VRRP_RX_SOURCE, p, false);
                        return;
                }
        }

        VrrpExpect x = {
                .family = i->conf->family,
                .version = (uint8_t) i->conf->version,
                .vrid = i->conf->virtual_router_id,
                .interval_cs = i->interval_cs,
                .auth_pass = i->conf->version == 2 ? i->conf->auth_pass : NULL,
                .addrs = i->advert_addrs,
                .n_addrs = i->n_advert_addrs,
                .owner = i->fsm.p.priority == 255,
        };
        e = vrrp_packet_check(p, &x, &anyway);
        if (e != VRRP_RX_OK) {
                instance_rx_error(i, e, p, anyway);
                if (!anyway)
                        return;
        }

        count(i, VRRP_COUNTER_RX_ADVERTS);
        if (p->priority == 0)
                count(i, VRRP_COUNTER_RX_PRIORITY_ZERO);

        VrrpState before = i->fsm.state;
        union in_addr_union before_master = i->fsm.master_addr;
        VrrpFsmOutput o;
        usec_t now = now_mono();
        vrrp_fsm_advert(&i->fsm, now, &p->src, p->priority, vrrp_interval_cs_to_usec(p->interval_cs), &o);
        if (i->fsm.state == VRRP_STATE_BACKUP && p->priority > 0)
                i->last_advert_rx = now;
        instance_handle(i, &o);
        if (before == i->fsm.state && !address_equal(i->conf->family, &before_master, &i->fsm.master_addr))
                vrrp_bus_emit_properties(i, "MasterAddress", NULL);
}

static int on_packet(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Instance *i = userdata;
        uint8_t buf[VRRP_PACKET_MAX + 64];

        for (unsigned n = 0; n < 64; n++) { /* bounded per wakeup: a flood cannot starve the timers */
                union in_addr_union src, dst;
                uint8_t hop;
                VrrpPacket p;
                VrrpRxError e;
                ssize_t len = vrrp_socket_recv(fd, i->conf->family, buf, sizeof buf, &src, &dst, &hop);
                if (len == -EAGAIN || len == -EWOULDBLOCK)
                        break;
                if (len < 0) {
                        if (len == -EMSGSIZE) {
                                count(i, VRRP_RX_LENGTH);
                                continue;
                        }
                        if (ratelimit_below(&i->rx_ratelimit))
                                log_instance(LOG_WARNING, (int) len, i->name, "Receive on %s failed: %m", i->ifname);
                        break;
                }
                if (i->conf->family == AF_INET)
                        e = vrrp_packet_decode_ipv4(buf, (size_t) len, &p);
                else
                        e = vrrp_packet_decode(AF_INET6, &src, &dst, hop, buf, (size_t) len, &p);
                if (e != VRRP_RX_OK) {
                        if (!is_own_address(i, &p.src))
                                instance_rx_error(i, e, &p, false);
                        continue;
                }
                instance_receive(i, &p);
        }
        return 0;
}

/* ---- interface / fault evaluation ----------------------------------- */

static void instance_close_socket(Instance *i) {
        i->io_source = sd_event_source_disable_unref(i->io_source);
        i->fd = safe_close(i->fd);
}

static int sysctl_iface(const char *ifname, const char *key, int value, int *ret_old) {
        char path[128];
        _cleanup_fclose_ FILE *f = NULL;

        snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/%s", ifname, key);
        if (ret_old) {
                _cleanup_fclose_ FILE *r = fopen(path, "re");
                if (!r || fscanf(r, "%d", ret_old) != 1)
                        *ret_old = -1;
        }
        f = fopen(path, "we");
        if (!f)
                return -errno;
        if (fprintf(f, "%d\n", value) < 0 || fflush(f) != 0)
                return -errno;
        return 0;
}

/* With a VMAC the VIP lives on the macvlan, but the parent would answer ARP
 * for it too, with the real MAC (any local address, arp_ignore=0): make both
 * answer only for addresses on themselves (arp_ignore=1). Not arp_filter: the
 * route back to the asker goes through the parent, so the VMAC would not
 * answer at all. */
static void vmac_setup_arp(Instance *i) {
        int r = 0;
        if (i->base_arp_ignore == -2)
                r = sysctl_iface(i->conf->interface, "arp_ignore", 1, &i->base_arp_ignore);
        if (r >= 0)
                r = sysctl_iface(i->ifname, "arp_ignore", 1, NULL);
        if (r < 0)
                log_instance(LOG_WARNING, r, i->name, "Setting arp_ignore for VMAC %s failed: %m", i->ifname);
}

static void vmac_name(const Instance *i, char ret[IFNAMSIZ]) {
        if (!isempty(i->conf->vmac_interface))
                snprintf(ret, IFNAMSIZ, "%s", i->conf->vmac_interface);
        else
                snprintf(ret, IFNAMSIZ, "%s.%u", i->conf->family == AF_INET6 ? "vrrp6" : "vrrp",
                         i->conf->virtual_router_id);
}

/* Looks at the interface as the kernel reports it now; returns a fault
 * reason, or NULL when the instance can run. */
static const char *instance_check_interface(Instance *i, char *buf, size_t len) {
        Manager *m = i->manager;
        VrrpLinkInfo li, base;
        int r;

        r = vrrp_nl_link_by_name(m->nl, i->conf->interface, &base);
        if (r < 0) {
                if (i->ifindex != 0)
                        instance_close_socket(i);
                i->ifindex = 0;
                snprintf(buf, len, "interface %s missing", i->conf->interface);
                return buf;
        }

        if (i->conf->use_vmac) {
                char name[IFNAMSIZ];
                vmac_name(i, name);
                snprintf(i->ifname, sizeof i->ifname, "%s", name);
                if (vrrp_nl_link_by_name(m->nl, name, &li) < 0) {
                        uint8_t mac[6] = { 0x00, 0x00, 0x5e, 0x00, i->conf->family == AF_INET6 ? 0x02 : 0x01,
                                           i->conf->virtual_router_id };
                        r = vrrp_nl_macvlan_create(m->nl, name, base.ifindex, mac);
                        if (r < 0 && r != -EEXIST) {
                                snprintf(buf, len, "cannot create VMAC interface %s: %s", name, strerror(-r));
                                return buf;
                        }
                        i->vmac_created = true;
                        log_instance(LOG_INFO, 0, i->name, "Created VMAC interface %s on %s.", name, i->conf->interface);
                        /* rtnl_link_add() was synchronous: refresh the cache and look again */
                        (void) vrrp_nl_resync(m->nl);
                        if (vrrp_nl_link_by_name(m->nl, name, &li) < 0) {
                                snprintf(buf, len, "VMAC interface %s did not appear", name);
                                return buf;
                        }
                        vmac_setup_arp(i);
                } else if (!i->vmac_created && streq(li.kind, "macvlan") && li.mac[0] == 0 && li.mac[1] == 0 &&
                           li.mac[2] == 0x5e && li.mac[5] == i->conf->virtual_router_id) {
                        /* left by an earlier run of ours: adopt it, so it goes when we stop */
                        i->vmac_created = true;
                        vmac_setup_arp(i);
                }
        } else {
                snprintf(i->ifname, sizeof i->ifname, "%s", i->conf->interface);
                li = base;
        }

        if (i->ifindex != li.ifindex) {
                /* new or re-created interface; a VIP refusal was about the old
                 * one (ENODEV when it vanished under an address change) */
                instance_close_socket(i);
                i->ifindex = li.ifindex;
                i->vip_error = 0;
                instance_cleanup_leftovers(i);
        }
        memcpy(i->mac, li.mac, 6);

        if (!base.up) {
                snprintf(buf, len, "interface %s down", i->conf->interface);
                return buf;
        }

        if (i->conf->unicast && i->conf->unicast_source.family != AF_UNSPEC) {
                i->source = i->conf->unicast_source.addr;
                i->has_source = true;
        } else {
                r = vrrp_nl_primary_address(m->nl, i->ifindex, i->conf->family, i->managed, i->n_managed, &i->source);
                if (r < 0 && i->conf->use_vmac)
                        r = vrrp_nl_primary_address(m->nl, base.ifindex, i->conf->family, i->managed, i->n_managed,
                                                    &i->source);
                i->has_source = r >= 0;
                if (!i->has_source) {
                        snprintf(buf, len, "no %s address on %s to send adverts from", i->conf->family == AF_INET6 ?
                                 "link-local IPv6" : "IPv4", i->conf->interface);
                        return buf;
                }
        }
        i->fsm.p.self = i->source;

        if (i->fd < 0) {
                r = vrrp_socket_open(i->conf->family, i->ifindex, i->ifname, i->conf->unicast);
                if (r < 0) {
                        snprintf(buf, len, "cannot open VRRP socket on %s: %s", i->ifname, strerror(-r));
                        return buf;
                }
                i->fd = r;
                r = sd_event_add_io(m->event, &i->io_source, i->fd, EPOLLIN, on_packet, i);
                if (r < 0) {
                        instance_close_socket(i);
                        snprintf(buf, len, "cannot watch VRRP socket: %s", strerror(-r));
                        return buf;
                }
        }
        return NULL;
}

static int track_weight_applies(bool up, int weight) {
        /* keepalived semantics: a positive weight is added while up, a negative one while down. */
        if (weight > 0)
                return up ? weight : 0;
        return up ? 0 : weight;
}

/* Own faults (not the sync group's) and the tracking weight. */
static const char *instance_own_fault(Instance *i, int *ret_weight, char *buf, size_t len) {
        Manager *m = i->manager;
        const char *reason;
        int weight = 0;

        *ret_weight = 0;
        if (i->n_advert_addrs == 0) {
                /* RFC 5798 §5.2.5: an advert carries at least one address. */
                snprintf(buf, len, "no virtual_addresses to advertise");
                return buf;
        }
        reason = instance_check_interface(i, buf, len);
        if (reason)
                return reason;

        for (size_t k = 0; k < i->conf->n_track_interfaces; k++) {
                const TrackInterfaceConf *t = &i->conf->track_interfaces[k];
                VrrpLinkInfo li;
                bool up = vrrp_nl_link_by_name(m->nl, t->name, &li) >= 0 && li.up;
                if (!t->has_weight && !up) {
                        snprintf(buf, len, "interface %s down", t->name);
                        return buf;
                }
                if (t->has_weight)
                        weight += track_weight_applies(up, t->weight);
        }
        for (size_t k = 0; k < i->conf->n_track_checks; k++) {
                const TrackCheckConf *t = &i->conf->track_checks[k];
                const char *st = vrrp_track_check_state(m, t->name);
                if (streq(st, "missing")) {
                        if (i->conf->on_missing == ON_MISSING_FAULT) {
                                snprintf(buf, len, "check %s missing (checkerd %s)", t->name,
                                         m->checker_present ? "does not know it" : "not running");
                                return buf;
                        }
                        continue;
                }
                if (streq(st, "unknown"))
                        continue; /* not run yet: neither up nor down */
                bool up = streq(st, "up");
                if (!t->has_weight && !up) {
                        snprintf(buf, len, "check %s down", t->name);
                        return buf;
                }
                if (t->has_weight)
                        weight += track_weight_applies(up, t->weight);
        }
        if (i->vip_error < 0) {
                snprintf(buf, len, "VIP refused by the kernel: %s", strerror(-i->vip_error));
                return buf;
        }
        reason = vrrp_fence_fault(i);
        if (reason) {
                snprintf(buf, len, "%s", reason);
                return buf;
        }
        *ret_weight = weight;
        return NULL;
}

uint8_t instance_effective_priority(const Instance *i) {
        return i->fsm.effective_priority;
}

void manager_evaluate(Manager *m) {
        usec_t now = now_mono();
        int *weights = calloc(MAX(m->n_instances, 1u), sizeof(int));
        if (!weights) {
                log_oom();
                return;
        }

        for (size_t k = 0; k < m->n_instances; k++) {
                Instance *i = m->instances[k];
                char buf[VRRP_REASON_MAX];
                const char *reason;
                if (i->stopped)
                        continue;
                reason = instance_own_fault(i, &weights[k], buf, sizeof buf);
                i->own_fault = reason != NULL;
                if (reason)
                        snprintf(i->fault_reason, sizeof i->fault_reason, "%s", reason);
        }

        for (size_t k = 0; k < m->n_instances; k++) {
                Instance *i = m->instances[k];
                VrrpFsmOutput o;
                char reason[VRRP_REASON_MAX];
                bool fault = i->own_fault;

                if (i->stopped)
                        continue;
                if (fault)
                        snprintf(reason, sizeof reason, "%s", i->fault_reason);
                for (size_t g = 0; !fault && i->group && g < i->group->n_members; g++) {
                        Instance *o2 = i->group->members[g];
                        if (o2 != i && o2->own_fault) {
                                fault = true;
                                snprintf(reason, sizeof reason, "sync group %s: %s fault", i->group->name, o2->name);
                        }
                }

                /* Priority first, so leaving FAULT uses the right one. */
                int base = i->priority_override ? i->priority_override : i->conf->priority;
                int prio = base == 255 ? 255 : CLAMP(base + weights[k], 1, 254);
                if (prio != i->fsm.effective_priority) {
                        vrrp_fsm_set_priority(&i->fsm, now, (uint8_t) prio, &o);
                        instance_handle(i, &o);
                        vrrp_bus_emit_properties(i, "EffectivePriority", NULL);
                }

                if (i->fsm.state == VRRP_STATE_INIT) {
                        if (fault)
                                vrrp_fsm_set_fault(&i->fsm, now, true, reason, &o);
                        vrrp_fsm_startup(&i->fsm, now, &o);
                        instance_handle(i, &o);
                } else if (fault && i->fsm.state != VRRP_STATE_FAULT) {
                        vrrp_fsm_set_fault(&i->fsm, now, true, reason, &o);
                        instance_handle(i, &o);
                } else if (!fault && i->fsm.state == VRRP_STATE_FAULT) {
                        char why[VRRP_REASON_MAX + 32];
                        snprintf(why, sizeof why, "recovered from: %s", i->fsm.fault_reason);
                        vrrp_fsm_set_fault(&i->fsm, now, false, why, &o);
                        instance_handle(i, &o);
                }
        }
        free(weights);
}

static int on_evaluate_later(sd_event_source *s, void *userdata) {
        manager_evaluate(userdata);
        return 0;
}

static void manager_evaluate_later(Manager *m) {
        /* From inside callbacks: one defer source, armed once, runs it on the next iteration. */
        if (!m->evaluate_source) {
                int r = sd_event_add_defer(m->event, &m->evaluate_source, on_evaluate_later, m);
                if (r < 0) {
                        log_error_errno(r, "Cannot schedule re-evaluation: %m");
                        return;
                }
        }
        (void) sd_event_source_set_enabled(m->evaluate_source, SD_EVENT_ONESHOT);
}

static void on_nl_change(void *userdata) {
        manager_evaluate(userdata);
}

/* ---- bus-facing operations ------------------------------------------ */

int instance_set_priority(Instance *i, uint32_t priority, sd_bus_error *error) {
        if (priority < 1 || priority > 254)
                return sd_bus_error_setf(error, VIGIL_ERROR_INVALID_ARGS,
                                         "SetPriority: argument 1 (priority) must be 1..254, got %u", priority);
        if (i->conf->priority == 255)
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED,
                                         "SetPriority: instance %s is the address owner (priority 255)", i->name);
        i->priority_override = (uint8_t) priority;
        /* an explicit priority ends a Demote() */
        i->fsm.demoted = false;
        log_instance(LOG_NOTICE, 0, i->name, "Priority set to %u over the bus.", priority);
        vrrp_bus_emit_properties(i, "Priority", NULL);
        manager_evaluate(i->manager);
        return 0;
}

int instance_demote(Instance *i, sd_bus_error *error) {
        VrrpFsmOutput o;
        int r = vrrp_fsm_demote(&i->fsm, now_mono(), &o);
        if (r < 0)
                return sd_bus_error_setf(error, VIGIL_ERROR_FAILED, "Demote: instance %s is %s, not master", i->name,
                                         vrrp_state_to_string(i->fsm.state));
        /* A sync group hands over as a whole: its other members must not
         * preempt back either (they follow to backup through propagation). */
        for (size_t k = 0; i->group && k < i->group->n_members; k++)
                i->group->members[k]->fsm.demoted = true;
        log_instance(LOG_NOTICE, 0, i->name, "Demoted over the bus.");
        instance_handle(i, &o);
        return 0;
}

/* ---- instance lifecycle --------------------------------------------- */

static Instance *instance_free(Instance *i) {
        if (!i)
                return NULL;
        if (i->manager && i->manager->nl)
                vrrp_nl_cancel(i->manager->nl, i);
        instance_close_socket(i);
        vrrp_fence_free(i);
        sd_event_source_disable_unref(i->timer);
        sd_event_source_disable_unref(i->vip_wait_timer);
        sd_event_source_disable_unref(i->garp_timer);
        free(i->advert_addrs);
        free(i->managed);
        free(i->last_error);
        free(i->name);
        free(i->path);
        free(i);
        return NULL;
}

static uint32_t auto_kernel_lease(usec_t interval, bool *ret_wait) {
        /* Shorter than the peers' Master_Down_Interval (at least 3 × interval),
         * with a second of slack for the kernel's whole-second lifetime timer. */
        usec_t down = 3 * interval;
        if (down >= 2 * USEC_PER_SEC) {
                *ret_wait = false;
                return (uint32_t) (down / USEC_PER_SEC - 1);
        }
        *ret_wait = true;
        return 1;
}

static void instance_compute_leases(Instance *i) {
        usec_t interval = i->fsm.p.advert_interval;

        i->lease_wait = false;
        if (i->conf->vip_lease == VIP_LEASE_OFF || i->conf->priority == 255) {
                i->kernel_lease = 0;
                i->fine_lease = 0;
                return;
        }
        if (i->conf->vip_lease == VIP_LEASE_FIXED) {
                usec_t d = MAX(i->conf->vip_lease_duration, USEC_PER_SEC);
                i->kernel_lease = (uint32_t) ((d + USEC_PER_SEC - 1) / USEC_PER_SEC);
                i->lease_wait = (usec_t) (i->kernel_lease + 1) * USEC_PER_SEC > 3 * interval;
        } else
                i->kernel_lease = auto_kernel_lease(interval, &i->lease_wait);
        /* 2.5 adverts: one lost advert is tolerated, and it stays below 3 × interval. */
        i->fine_lease = interval * 5 / 2;
}

static int instance_new(Manager *m, const VrrpInstanceConf *c, Instance **ret) {
        Instance *i;
        int r;

        i = calloc(1, sizeof *i);
        if (!i)
                return -ENOMEM;
        i->manager = m;
        i->conf = c;
        i->fd = -EBADF;
        i->base_arp_ignore = -2; /* not touched yet */
        i->rx_ratelimit = (RateLimit) RATELIMIT_INIT(10 * USEC_PER_SEC, 20);
        i->name = strdup(c->name);
        if (!i->name) {
                instance_free(i);
                return -ENOMEM;
        }
        r = sd_bus_path_encode(VRRP_BUS_INSTANCE_PREFIX, c->name, &i->path);
        if (r < 0) {
                instance_free(i);
                return r;
        }

        r = vrrp_interval_usec_to_cs(c->version, c->advert_interval, &i->interval_cs);
        if (r < 0) {
                log_instance(LOG_ERR, r, c->name, "%s:%u:%u: advert_interval cannot be represented in VRRPv%d",
                             strna(c->loc.file), c->loc.line, c->loc.col, c->version);
                instance_free(i);
                return r;
        }

        i->n_advert_addrs = c->n_virtual_addresses;
        i->advert_addrs = calloc(MAX(i->n_advert_addrs, 1u), sizeof *i->advert_addrs);
        i->n_managed = c->n_virtual_addresses + c->n_excluded_addresses;
        i->managed = calloc(MAX(i->n_managed, 1u), sizeof *i->managed);
        if (!i->advert_addrs || !i->managed) {
                instance_free(i);
                return -ENOMEM;
        }
        for (size_t k = 0; k < c->n_virtual_addresses; k++)
                i->advert_addrs[k] = c->virtual_addresses[k].addr.addr;
        for (size_t k = 0; k < i->n_managed; k++)
                i->managed[k] = managed_vip(i, k)->addr;

        VrrpFsmParams p = {
                .version = (uint8_t) c->version,
                .priority = c->priority,
                .advert_interval = vrrp_interval_cs_to_usec(i->interval_cs),
                .preempt = c->preempt,
                .preempt_delay = c->preempt_delay,
                .initial_master = c->initial_state == VRRP_INITIAL_MASTER,
                .family = c->family,
        };
        vrrp_fsm_init(&i->fsm, &p);
        vrrp_fence_configure(i);
        instance_compute_leases(i);

        snprintf(i->ifname, sizeof i->ifname, "%s", c->interface);
        *ret = i;
        return 0;
}

/* Graceful: priority 0 if master, VIPs and leases gone, VMAC removed. */
static void instance_stop(Instance *i, const char *reason) {
        VrrpFsmOutput o;
        Manager *m = i->manager;

        if (i->stopped)
                return;
        vrrp_fsm_shutdown(&i->fsm, now_mono(), &o);
        if (o.send_advert)
                instance_send_advert(i, 0);
        if (o.changed) {
                if (strcmp(reason, "shutdown") != 0)
                        snprintf(o.reason, sizeof o.reason, "%s", reason);
                m->propagating = true; /* stopping one member must not move the others */
                instance_on_transition(i, o.from, o.to, o.reason);
                m->propagating = false;
        }
        instance_vips_down(i);
        if (m->lease && i->fine_lease > 0)
                (void) vrrp_lease_manage(m->lease, i->managed, i->n_managed, false);
        if (m->lease && i->noaccept)
                (void) vrrp_lease_set_accept(m->lease, i->managed, i->n_managed, true);
        if (i->vmac_created) {
                if (i->base_arp_ignore >= 0)
                        (void) sysctl_iface(i->conf->interface, "arp_ignore", i->base_arp_ignore, NULL);
                int r = vrrp_nl_link_delete(m->nl, i->ifname);
                if (r < 0 && r != -ENODEV)
                        log_instance(LOG_WARNING, r, i->name, "Removing VMAC interface %s failed: %m", i->ifname);
                i->vmac_created = false;
        }
        instance_close_socket(i);
        i->timer = sd_event_source_disable_unref(i->timer);
        i->stopped = true;
}

static int manager_build_groups(Manager *m, const Config *c) {
        for (size_t g = 0; g < m->n_groups; g++) {
                free(m->groups[g].name);
                free(m->groups[g].members);
        }
        free(m->groups);
        m->groups = NULL;
        m->n_groups = 0;
        for (size_t k = 0; k < m->n_instances; k++)
                m->instances[k]->group = NULL;

        if (c->n_sync_groups == 0)
                return 0;
        m->groups = calloc(c->n_sync_groups, sizeof *m->groups);
        if (!m->groups)
                return -ENOMEM;
        for (size_t g = 0; g < c->n_sync_groups; g++) {
                SyncGroup *sg = &m->groups[g];
                sg->name = strdup(c->sync_groups[g].name);
                sg->members = calloc(strv_length(c->sync_groups[g].members) + 1, sizeof(Instance *));
                m->n_groups++;
                if (!sg->name || !sg->members)
                        return -ENOMEM;
                STRV_FOREACH(n, c->sync_groups[g].members) {
                        Instance *i = manager_find_instance(m, *n);
                        if (!i)
                                continue;
                        i->group = sg;
                        sg->members[sg->n_members++] = i;
                }
        }
        return 0;
}

static int manager_add_instance(Manager *m, const VrrpInstanceConf *c, bool strict) {
        Instance *i;
        int r;

        r = instance_new(m, c, &i);
        if (r < 0)
                return r;
        Instance **a = realloc(m->instances, (m->n_instances + 1) * sizeof *a);
        if (!a) {
                instance_free(i);
                return -ENOMEM;
        }
        m->instances = a;
        m->instances[m->n_instances++] = i;
        if (m->lease && i->fine_lease > 0) {
                r = vrrp_lease_manage(m->lease, i->managed, i->n_managed, true);
                if (r < 0)
                        log_instance(LOG_WARNING, r, i->name, "Cannot register VIPs in the nftables lease table: %m");
        }
        /* RFC 5798 §6.1 Accept_Mode: enforced with vrrp_strict (keepalived's
         * semantics): without it a master accepts traffic to its VIPs, which is
         * what an LVS director needs. The address owner always accepts. */
        i->noaccept = strict && !c->accept && c->priority != 255;
        if (i->noaccept) {
                r = m->lease ? vrrp_lease_set_accept(m->lease, i->managed, i->n_managed, false)
                             : -EOPNOTSUPP;
                if (r < 0)
                        log_instance(LOG_ERR, r, i->name, "Cannot enforce accept: false (nftables): %m");
        }
        return 0;
}

static Manager *manager_get(Daemon *d) {
        return d->userdata;
}

static int on_counters_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        /* Counters move with every packet; PropertiesChanged for them is coalesced to 1/s. */
        for (size_t k = 0; k < m->n_instances; k++)
                if (m->instances[k]->counters_dirty) {
                        m->instances[k]->counters_dirty = false;
                        vrrp_bus_emit_properties(m->instances[k], "Counters", NULL);
                }
        (void) sd_event_source_set_time_relative(s, USEC_PER_SEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static int vrrpd_start(Daemon *d) {
        Manager *m = manager_get(d);
        int r;

        m->daemon = d;
        m->event = d->event;
        /* the first connection is up: startup transitions are signalled
         * (attach() registers the objects right after start()) */
        m->bus = d->bus;

        r = vrrp_nl_new(d->event, on_nl_change, m, &m->nl);
        if (r < 0)
                return log_error_errno(r, "Cannot open rtnetlink: %m");

        /* VIGIL_VRRP_NO_NFT=1 runs without the nftables lease, as on a host
         * without nf_tables: tests use it to exercise the address-lifetime-only path. */
        r = getenv("VIGIL_VRRP_NO_NFT") ? -EOPNOTSUPP : vrrp_lease_new(&m->lease);
        if (r < 0) {
                /* Without nftables the kernel address lifetime still bounds a dead
                 * master's VIPs, only in whole seconds; say so loudly. */
                log_warning_errno(r, "nftables lease table unavailable, VIP leases fall back to address lifetimes only: %m");
                m->lease = NULL;
        }

        m->strict = d->config->global.vrrp_strict;
        for (size_t k = 0; k < d->config->n_instances; k++) {
                r = manager_add_instance(m, &d->config->instances[k], d->config->global.vrrp_strict);
                if (r < 0)
                        return log_error_errno(r, "Cannot set up instance %s: %m", d->config->instances[k].name);
        }
        r = manager_build_groups(m, d->config);
        if (r < 0)
                return log_oom();

        r = vrrp_track_start(m);
        if (r < 0)
                return log_oom();

        r = sd_event_add_time_relative(d->event, &m->counters_timer, CLOCK_MONOTONIC, USEC_PER_SEC, 0,
                                       on_counters_timer, m);
        if (r < 0)
                return r;

        /* Cleanup of leftovers happens as each interface is first seen, before
         * the state machine starts (instance_check_interface). */
        manager_evaluate(m);
        return 0;
}

/* Each bus connection (the first, and after dbus-daemon came back): objects,
 * the subscriptions to checkerd and the fence agents, and a resync of the
 * tracked checks. The instances never stopped: VRRP ran on the wire meanwhile. */
static int vrrpd_attach(Daemon *d) {
        Manager *m = manager_get(d);
        int r;

        m->bus = d->bus;
        r = vrrp_bus_register(m);
        if (r < 0)
                return log_error_errno(r, "Cannot register bus objects: %m");
        r = vrrp_track_attach(m);
        if (r < 0)
                return log_error_errno(r, "Cannot subscribe to checkerd: %m");
        return vrrp_fence_start(m);
}

static void vrrpd_detach(Daemon *d) {
        Manager *m = manager_get(d);

        vrrp_track_detach(m);
        vrrp_fence_stop(m);
        m->bus = NULL;
}

static bool vip_equal(const VipConf *a, const VipConf *b) {
        return a->addr.family == b->addr.family && a->addr.prefixlen == b->addr.prefixlen &&
               address_equal(a->addr.family, &a->addr.addr, &b->addr.addr) && streq(a->device, b->device) &&
               streq(a->label, b->label) && streq(strempty(a->scope), strempty(b->scope)) &&
               a->has_broadcast == b->has_broadcast &&
               (!a->has_broadcast || a->broadcast.s_addr == b->broadcast.s_addr);
}

static bool strv_equal(char **a, char **b) {
        size_t n = strv_length(a);
        if (n != strv_length(b))
                return false;
        for (size_t k = 0; k < n; k++)
                if (!streq(a[k], b[k]))
                        return false;
        return true;
}

/* Everything that changes what the instance does on the wire or on the host. */
static bool instance_conf_equal(const VrrpInstanceConf *a, const VrrpInstanceConf *b) {
        if (!streq(a->interface, b->interface) || a->virtual_router_id != b->virtual_router_id ||
            a->priority != b->priority || a->initial_state != b->initial_state || a->version != b->version ||
            a->advert_interval != b->advert_interval || a->preempt != b->preempt ||
            a->preempt_delay != b->preempt_delay || a->accept != b->accept ||
            !streq(strempty(a->auth_pass), strempty(b->auth_pass)) || a->unicast != b->unicast ||
            a->family != b->family || a->on_missing != b->on_missing || a->vip_lease != b->vip_lease ||
            a->vip_lease_duration != b->vip_lease_duration || a->use_vmac != b->use_vmac ||
            !streq(a->vmac_interface, b->vmac_interface) ||
            memcmp(&a->garp, &b->garp, sizeof a->garp) != 0 ||
            !streq(strempty(a->sync_group), strempty(b->sync_group)))
                return false;
        if (a->unicast_source.family != b->unicast_source.family ||
            (a->unicast_source.family != AF_UNSPEC &&
             !address_equal(a->unicast_source.family, &a->unicast_source.addr, &b->unicast_source.addr)))
                return false;
        if (a->n_unicast_peers != b->n_unicast_peers)
                return false;
        for (size_t k = 0; k < a->n_unicast_peers; k++)
                if (!address_equal(a->unicast_peers[k].family, &a->unicast_peers[k].addr, &b->unicast_peers[k].addr))
                        return false;
        if (a->n_virtual_addresses != b->n_virtual_addresses || a->n_excluded_addresses != b->n_excluded_addresses)
                return false;
        for (size_t k = 0; k < a->n_virtual_addresses; k++)
                if (!vip_equal(&a->virtual_addresses[k], &b->virtual_addresses[k]))
                        return false;
        for (size_t k = 0; k < a->n_excluded_addresses; k++)
                if (!vip_equal(&a->excluded_addresses[k], &b->excluded_addresses[k]))
                        return false;
        if (a->n_track_interfaces != b->n_track_interfaces || a->n_track_checks != b->n_track_checks)
                return false;
        for (size_t k = 0; k < a->n_track_interfaces; k++) {
                const TrackInterfaceConf *x = &a->track_interfaces[k], *y = &b->track_interfaces[k];
                if (!streq(x->name, y->name) || x->has_weight != y->has_weight || x->weight != y->weight)
                        return false;
        }
        for (size_t k = 0; k < a->n_track_checks; k++) {
                const TrackCheckConf *x = &a->track_checks[k], *y = &b->track_checks[k];
                if (!streq(x->name, y->name) || x->has_weight != y->has_weight || x->weight != y->weight)
                        return false;
        }
        if (a->fencing.policy != b->fencing.policy || a->fencing.timeout != b->fencing.timeout ||
            !strv_equal(a->fencing.agents, b->fencing.agents) || !strv_equal(a->fencing.commands, b->fencing.commands))
                return false;
        return true;
}

static int vrrpd_reload(Daemon *d, Config *c, sd_bus_error *error) {
        Manager *m = manager_get(d);
        size_t n_keep = 0;
        Instance **keep;
        int r;

        keep = calloc(MAX(c->n_instances, 1u), sizeof *keep);
        if (!keep)
                return -ENOMEM;

        /* 1. instances gone or changed: stop them (graceful) and drop them */
        for (size_t k = 0; k < m->n_instances; k++) {
                Instance *i = m->instances[k];
                const VrrpInstanceConf *nc = config_find_instance(c, i->name);
                /* vrrp_strict changes what accept: false means: restart them all */
                if (nc && instance_conf_equal(i->conf, nc) && m->strict == c->global.vrrp_strict) {
                        i->conf = nc; /* the old Config is freed after we return */
                        keep[n_keep++] = i;
                        continue;
                }
                log_instance(LOG_NOTICE, 0, i->name, nc ? "Configuration changed, restarting instance." :
                                                          "Removed from the configuration, stopping.");
                instance_stop(i, nc ? "reload: configuration changed" : "reload: removed");
        }
        /* freed only once all are stopped: a stop emits bus signals, and sd-bus
         * looks instances up in m->instances (a freed one was read there) */
        for (size_t k = 0; k < m->n_instances; k++) {
                bool kept = false;
                for (size_t j = 0; j < n_keep && !kept; j++)
                        kept = keep[j] == m->instances[k];
                if (!kept)
                        instance_free(m->instances[k]);
        }
        free(m->instances);
        m->instances = keep;
        m->n_instances = n_keep;

        /* 2. new or changed instances */
        for (size_t k = 0; k < c->n_instances; k++) {
                if (manager_find_instance(m, c->instances[k].name))
                        continue;
                r = manager_add_instance(m, &c->instances[k], c->global.vrrp_strict);
                if (r < 0) {
                        sd_bus_error_setf(error, VIGIL_ERROR_FAILED, "instance %s: %s", c->instances[k].name,
                                          strerror(-r));
                        /* Keep going: the others must still run. */
                }
        }
        m->strict = c->global.vrrp_strict;
        r = manager_build_groups(m, c);
        if (r < 0)
                return r;
        /* reload retries refused VIPs */
        for (size_t k = 0; k < m->n_instances; k++)
                m->instances[k]->vip_error = 0;
        (void) vrrp_track_reload(m);

        /* New instances start once the daemon swapped the config in: defer. */
        manager_evaluate_later(m);
        return 0;
}

static void vrrpd_stop(Daemon *d) {
        Manager *m = manager_get(d);

        for (size_t k = 0; k < m->n_instances; k++)
                instance_stop(m->instances[k], "shutdown");
        /* The loop ends after we return: make sure the VIPs are gone and the
         * signals are out before the process is. */
        if (m->nl)
                (void) vrrp_nl_wait(m->nl, USEC_PER_SEC);
        if (m->bus)
                (void) sd_bus_flush(m->bus);
}

static void vrrpd_free(Daemon *d) {
        Manager *m = manager_get(d);

        vrrp_track_free(m);
        vrrp_fence_stop(m);
        for (size_t k = 0; k < m->n_instances; k++)
                instance_free(m->instances[k]);
        free(m->instances);
        m->instances = NULL;
        m->n_instances = 0;
        for (size_t g = 0; g < m->n_groups; g++) {
                free(m->groups[g].name);
                free(m->groups[g].members);
        }
        free(m->groups);
        m->counters_timer = sd_event_source_disable_unref(m->counters_timer);
        m->evaluate_source = sd_event_source_disable_unref(m->evaluate_source);
        m->nl = vrrp_nl_free(m->nl);
        m->lease = vrrp_lease_free(m->lease);
}

static const DaemonOps vrrpd_ops = {
        .name = "vigil-vrrpd",
        .description = "VRRP speaker: virtual addresses with leases, for the vigil load balancer.",
        .bus_name = "org.vigil.Vrrp1",
        .manager_path = VRRP_BUS_PATH,
        .manager_interface = VRRP_BUS_MANAGER_IFACE,
        .sections = CONF_SECTION_GLOBAL | CONF_SECTION_VRRP,
        .manager_vtable = vrrp_manager_vtable,
        .start = vrrpd_start,
        .attach = vrrpd_attach,
        .detach = vrrpd_detach,
        .reload = vrrpd_reload,
        .stop = vrrpd_stop,
        .free = vrrpd_free,
};

int main(int argc, char **argv) {
        static Manager manager;
        return daemon_main(argc, argv, &vrrpd_ops, &manager);
}
