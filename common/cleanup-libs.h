/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Cleanup helpers for the libraries vigil uses. Kept apart from macro.h so
 * pure code (the config model, packet codec) does not pull in sd-bus or libnl. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <yaml.h>

#include "macro.h"

/* sd_bus_unrefp, sd_bus_flush_close_unrefp, sd_bus_message_unrefp, sd_bus_slot_unrefp,
 * sd_bus_creds_unrefp, sd_event_unrefp, sd_event_source_unrefp and
 * sd_event_source_disable_unrefp come from libsystemd's own headers. */
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock *, nl_socket_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_msg *, nlmsg_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_cache *, nl_cache_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_addr *, rtnl_addr_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link *, rtnl_link_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_addr *, nl_addr_put);

static inline void sd_bus_error_freep(sd_bus_error *e) {
        sd_bus_error_free(e);
}
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_freep)

static inline void yaml_parser_deletep(yaml_parser_t *p) {
        yaml_parser_delete(p);
}
static inline void yaml_event_deletep(yaml_event_t *e) {
        yaml_event_delete(e);
}
static inline void yaml_document_deletep(yaml_document_t *d) {
        yaml_document_delete(d);
}

/* libnl returns NLE_* codes, not errno. Convert at the boundary. */
int nl_error_to_errno(int nle);
