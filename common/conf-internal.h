/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Private to the config model (conf-*.c): not for daemons. The loader records
 * where each field's value came from in a ConfLocs table keyed by the field's
 * address, so validation can point at the offending value long after the YAML
 * document is gone. Arrays in the model are allocated once with their final
 * size (the YAML node tells how many items there are), so field addresses are
 * stable while validation runs. */

#include "conf.h"

/* Diagnostics kept at most (more are counted in n_errors, not stored). */
#define CONF_DIAGS_MAX 1000

typedef struct ConfLocEntry {
        const void *key;
        ConfLoc loc;
} ConfLocEntry;

typedef struct ConfLocs {
        ConfLocEntry *items;
        size_t n, allocated;
        /* open-addressing index into items by key (index + 1, 0 = empty):
         * the loader alternates adds and lookups, so both must be O(1) */
        size_t *index;
        size_t index_size;     /* a power of two, kept at most half full */
} ConfLocs;

int conf_locs_add(ConfLocs *l, const void *key, const ConfLoc *loc);
/* The location recorded for key, or fallback when none was. */
const ConfLoc *conf_locs_get(ConfLocs *l, const void *key, const ConfLoc *fallback);
/* Whether the config file set this field (as opposed to a default). */
bool conf_locs_has(ConfLocs *l, const void *key);
void conf_locs_free(ConfLocs *l);

/* Semantic checks and derived fields (conf-validate.c). Every problem goes to d. */
void config_validate(Config *c, ConfLocs *locs, ConfDiags *d);

/* "did you mean" helper: the candidate closest to s (edit distance ≤ 2, or a
 * third of the length for long words), or NULL. */
const char *conf_suggest(const char *s, const char *const *candidates);

/* The id of a real server inside its service: "10.0.0.1:80", "[fe80::1]:80". */
void conf_format_addr_port(char *buf, size_t len, const InAddrPrefix *a, uint16_t port);
#define ADDR_PORT_STR_MAX (INET6_ADDRSTRLEN + 10)

/* Value tables, indexed by the enums of conf.h. */
extern const char *const vrrp_initial_state_table[];
extern const char *const fence_policy_table[];
extern const char *const on_missing_table[];
extern const char *const check_initial_state_table[];
extern const char *const tunnel_type_table[];
extern const char *const vip_scope_table[];
extern const char *const ipvs_scheduler_table[];
extern const char *const ipvs_flag_table[];
extern const char *const dns_query_type_table[];
extern const char *const notify_kind_table[];
