/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* vigil-ipvsd's state shared by its files: ipvsd.c (lifecycle, reconcile),
 * ipvs-bus.c (org.vigil.Ipvs1), ipvs-state.c (ownership file), ipvs-nft.c
 * (FULL-NAT table). */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "daemon.h"
#include "ipvs-genl.h"
#include "ipvs-model.h"

#define IPVS_MANAGER_PATH "/org/vigil/Ipvs1"
#define IPVS_SERVICE_PREFIX "/org/vigil/Ipvs1/service"
#define IPVS_MANAGER_IFACE "org.vigil.Ipvs1.Manager"
#define IPVS_SERVICE_IFACE "org.vigil.Ipvs1.Service"

typedef struct Manager {
        Daemon *daemon;
        IpvsGenl *genl;

        IpvsTable desired;       /* from the running config + health */
        IpvsTable kernel;        /* cache of the kernel table, updated with each applied op */
        bool kernel_stale;       /* the cache cannot be trusted: dump before the next diff */
        IpvsHealth health;       /* checkerd verdicts and SetWeight overrides */
        IpvsOwned owned;         /* services vigil created or adopted */

        char *state_dir;
        char *state_file;

        char **errors;           /* the last reconcile's failures, for the bus (LastErrors) */
        uint64_t reconciles;
        uint64_t ops_applied;
        uint64_t ops_failed;
        uint64_t last_ops;       /* ops of the last reconcile */

        char *nft_applied;       /* the FULL-NAT ruleset last loaded (NULL: no table) */
        bool nft_known;          /* nft_applied reflects the kernel */

        sd_event_source *reconcile_timer;
        sd_bus_slot *service_vtable_slot;
        sd_bus_slot *service_enum_slot;
        sd_bus_slot *object_manager_slot;
} Manager;

/* ipvsd.c */
/* Dump the kernel (dump=true) or use the cache, diff against desired, apply,
 * record ownership, update the FULL-NAT table. Errors on single objects are
 * logged and kept in m->errors; returns how many ops failed, or <0 only
 * when nothing could be done (socket gone). */
int manager_reconcile(Manager *m, bool dump);
/* The same restricted to one service's ops (only == NULL: all). */
int manager_reconcile_one(Manager *m, bool dump, const IpvsServiceKey *only);
/* Rebuild the desired table from config + health; diags filled on IPVS-specific errors. */
int manager_build_desired(Manager *m, const Config *c, IpvsTable *ret, ConfDiags *diags);

/* ipvs-state.c */
int ipvs_state_load(const char *path, IpvsOwned *ret);
int ipvs_state_save(const char *path, const IpvsOwned *o);

/* ipvs-nft.c: FULL-NAT = masquerading + SNAT in table inet vigil_ipvs. */
/* The ruleset for the desired table's fullnat dests, or NULL (*ret) when there are none. */
int ipvs_nft_render(const IpvsTable *desired, char **ret);
/* Loads text (replacing the table atomically) or deletes the table when text is NULL. */
int ipvs_nft_apply(const char *text, char **ret_error);
/* net.ipv4.vs.conntrack=1: IPVS keeps conntrack entries so nftables NAT can see the flows. */
int ipvs_enable_conntrack(void);

/* ipvs-bus.c */
/* ipvs-health.c: checkerd verdicts → health map, quorum/sorry server, sync daemon role from vrrpd. */
int ipvs_health_init(Manager *m, const Config *c);
/* On each bus connection: subscribe and re-read every watched check (fail-static meanwhile). */
int ipvs_health_start(Manager *m);
/* The bus connection is lost: drop the subscriptions, keep every verdict. */
void ipvs_health_detach(void);
int ipvs_health_reload(Manager *m, const Config *c);
int ipvs_health_sync_reconfigure(Manager *m, const Config *c);
void ipvs_health_apply_quorum(const Config *c, IpvsTable *t);
void ipvs_health_free(void);

extern const sd_bus_vtable ipvs_manager_vtable[];
int ipvs_bus_register(Manager *m);
void ipvs_bus_unregister(Manager *m);
/* PropertiesChanged / InterfacesAdded / InterfacesRemoved for what the applied ops changed. */
void ipvs_bus_emit_changes(Manager *m, const IpvsOp *ops, size_t n, const int *errors);
int ipvs_service_path(const IpvsServiceKey *k, char **ret);
