/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* vigil-vrrpd's runtime objects: the Manager (one per process) and one
 * Instance per configured VRRP instance. vrrpd.c owns the glue (events,
 * sockets, VIPs, leases), vrrp-bus.c the D-Bus view, vrrp-track.c the
 * subscriptions to checkerd. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "vrrp-addr.h"
#include "vrrp-fence.h"
#include "vrrp-fsm.h"
#include "vrrp-lease.h"
#include "vrrp-packet.h"

#define VRRP_BUS_PATH "/org/vigil/Vrrp1"
#define VRRP_BUS_INSTANCE_PREFIX "/org/vigil/Vrrp1/instance"
#define VRRP_BUS_MANAGER_IFACE "org.vigil.Vrrp1.Manager"
#define VRRP_BUS_INSTANCE_IFACE "org.vigil.Vrrp1.Instance"

typedef enum VrrpCounter {
        /* receive errors: indexes of VrrpRxError (VRRP_RX_OK unused) */
        VRRP_COUNTER_RX_ADVERTS = _VRRP_RX_ERROR_MAX,
        VRRP_COUNTER_RX_PRIORITY_ZERO,
        VRRP_COUNTER_TX_ADVERTS,
        VRRP_COUNTER_TX_PRIORITY_ZERO,
        VRRP_COUNTER_TX_ERRORS,
        VRRP_COUNTER_MASTER_TRANSITIONS,
        VRRP_COUNTER_GARP_SENT,
        VRRP_COUNTER_VIP_ERRORS,
        _VRRP_COUNTER_MAX,
} VrrpCounter;

const char *vrrp_counter_to_string(unsigned c);

typedef struct Manager Manager;
typedef struct Instance Instance;
typedef struct SyncGroup SyncGroup;
typedef struct TrackedCheck TrackedCheck;

struct Instance {
        Manager *manager;
        char *name;
        char *path;                       /* bus object path */
        const VrrpInstanceConf *conf;     /* points into manager->daemon->config */
        SyncGroup *group;

        VrrpFsm fsm;
        uint16_t interval_cs;
        union in_addr_union *advert_addrs; /* virtual_addresses, as carried in adverts */
        size_t n_advert_addrs;
        InAddrPrefix *managed;            /* virtual + excluded addresses */
        size_t n_managed;

        /* interface */
        char ifname[IFNAMSIZ];            /* where adverts and VIPs go: the interface or the VMAC */
        int ifindex;                      /* 0 = not present */
        uint8_t mac[6];
        bool vmac_created;
        int base_arp_ignore;              /* parent's value before VMAC setup; -2 untouched */
        int fd;
        sd_event_source *io_source;
        union in_addr_union source;       /* advert source */
        bool has_source;

        sd_event_source *timer;           /* FSM deadline */
        sd_event_source *vip_wait_timer;  /* lease wait-out before adding VIPs */
        sd_event_source *garp_timer;
        unsigned garp_left;               /* GARPs left in the current burst */
        bool garp_second_burst_done;

        /* leases */
        uint32_t kernel_lease;            /* seconds, 0 = permanent */
        usec_t fine_lease;                /* nft alive timeout, 0 = off */
        bool lease_wait;                  /* promoting waits out the previous master's kernel lease */
        usec_t last_kernel_refresh;
        usec_t last_lease_refresh;        /* monotonic, last nft alive refresh */
        usec_t last_advert_tx;            /* monotonic, last advert sent as master */
        bool lease_lapsed;                /* our alive lease ran out while master (we were frozen) */
        usec_t last_advert_rx;            /* monotonic, last accepted advert */
        bool vips_up;                     /* we hold (or are adding) the VIPs */
        bool noaccept;                    /* accept mode off: traffic to the VIPs is dropped */

        /* faults and priority */
        bool own_fault;
        char fault_reason[VRRP_REASON_MAX];
        int vip_error;                    /* last kernel refusal, 0 = none */
        char *last_error;
        uint8_t priority_override;        /* SetPriority(), 0 = none */

        uint64_t counters[_VRRP_COUNTER_MAX];
        bool counters_dirty;
        usec_t last_transition;           /* CLOCK_REALTIME usec */
        char last_reason[VRRP_REASON_MAX];
        RateLimit rx_ratelimit;
        bool stopped;
        FenceState *fence;                /* vrrp-fence.c, NULL until the first fence round */
};

struct SyncGroup {
        char *name;
        Instance **members;
        size_t n_members;
};

struct TrackedCheck {
        char *name;
        char *path;                       /* checkerd's object, NULL = unknown to checkerd */
        char state[16];                   /* unknown|up|down|missing */
};

struct Manager {
        Daemon *daemon;
        sd_event *event;
        sd_bus *bus;
        VrrpNl *nl;
        VrrpLease *lease;                 /* NULL when nftables is unavailable */
        Instance **instances;
        size_t n_instances;
        SyncGroup *groups;
        size_t n_groups;
        uint64_t seq;                     /* StateChanged sequence, monotonic for the process */
        bool strict;                      /* global.vrrp_strict of the running config */
        bool propagating;                 /* applying sync-group moves: do not recurse */
        sd_event_source *counters_timer;
        sd_event_source *evaluate_source;

        /* checkerd */
        const char *checker_name;
        bool checker_present;
        bool checker_pending;             /* a query to checkerd is in flight */
        TrackedCheck *checks;
        size_t n_checks;
        sd_bus_slot *checker_signal_slot, *checker_owner_slot;
};

Instance *manager_find_instance(Manager *m, const char *name);
int instance_set_priority(Instance *i, uint32_t priority, sd_bus_error *error);
int instance_demote(Instance *i, sd_bus_error *error);
uint8_t instance_effective_priority(const Instance *i);
/* Acts on a state machine output (adverts, transitions, fence requests). */
void instance_apply(Instance *i, const VrrpFsmOutput *o);
/* Re-evaluates faults and priorities of every instance (tracking changed). */
void manager_evaluate(Manager *m);

/* vrrp-bus.c */
extern const sd_bus_vtable vrrp_manager_vtable[];
int vrrp_bus_register(Manager *m);
void vrrp_bus_emit_state_changed(Instance *i, uint64_t seq, VrrpState from, VrrpState to, const char *reason);
void vrrp_bus_emit_properties(Instance *i, const char *first, ...) __attribute__((sentinel));

/* vrrp-track.c */
int vrrp_track_start(Manager *m);
/* On each bus connection (daemon attach/detach): subscribe and resync / drop the subscriptions. */
int vrrp_track_attach(Manager *m);
void vrrp_track_detach(Manager *m);
int vrrp_track_reload(Manager *m);
void vrrp_track_free(Manager *m);
/* "up", "down", "unknown", or "missing" (checkerd absent or check unknown to it). */
const char *vrrp_track_check_state(Manager *m, const char *name);
