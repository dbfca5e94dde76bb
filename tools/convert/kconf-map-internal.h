/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by the mapper files (kconf-map*.c): the mapping context, ordered
 * YAML fields, and value parsers that report FILE:LINE on bad values. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kconf-map.h"
#include "kconf-tree.h"
#include "time-util.h"

/* One key of a YAML mapping being built: later statements replace earlier
 * ones (keepalived's "last one wins"); emission follows a fixed key order. */
typedef struct Field {
        const char *key;  /* static string */
        char *value;      /* rendered YAML: a flow value, or "\n"-led block lines with absolute indentation */
} Field;

typedef struct Fields {
        Field *items;
        size_t n;
} Fields;

int fset(Fields *f, const char *key, const char *fmt, ...) _printf_(3, 4);
int fset_str(Fields *f, const char *key, const char *s);     /* quoted */
int fset_strv(Fields *f, const char *key, char *const *v);   /* ["a", ...] */
int fset_usec(Fields *f, const char *key, usec_t u);         /* "3s" */
const char *fget(const Fields *f, const char *key);
bool fhas(const Fields *f, const char *key);
void fdel(Fields *f, const char *key);
void fields_done(Fields *f);
/* Writes "key: value" lines at indent (spaces). With dash, the first line is
 * "- key: value" at indent-2 (a list item). Keys not in order are emitted
 * last in insertion order. */
void femit(FILE *out, const Fields *f, unsigned indent, bool dash, const char *const *order);
/* {k: v, ...} in the given order, for nested small mappings. NULL on OOM. */
char *fflow(const Fields *f, const char *const *order);

/* A growable string: appending stays linear for 10^5 entries. */
typedef struct Str {
        char *s;
        size_t len, cap;
} Str;
int str_appendf(Str *b, const char *fmt, ...) _printf_(2, 3);
void str_done(Str *b);

/* A set of strings (open addressing), for duplicate detection in big lists. */
typedef struct StrSet {
        char **slots;
        size_t n, cap;
} StrSet;
/* 1 = added, 0 = was there already, -ENOMEM */
int strset_add(StrSet *s, const char *key);
void strset_done(StrSet *s);

typedef struct GarpDefaults {
        Fields f; /* keys of the garp: mapping */
} GarpDefaults;

typedef struct KcMap {
        KcDiags *diags;
        const KcMapOptions *opts;
        bool oom;
        size_t split_moves;      /* work spent splitting lines into statements (bounded) */
        bool split_refused;

        /* global_defs that act as defaults elsewhere */
        int vrrp_version;        /* 0 = keepalived's default, 2 */
        bool vrrp_strict;
        Fields garp_defaults;
        char *ssl_ca, *ssl_cert, *ssl_key; /* SSL { } block: used by every SSL_GET */

        /* top-level blocks referenced by name */
        KcNode **scripts;        /* vrrp_script */
        size_t n_scripts;
        KcNode **track_files;    /* track_file / vrrp_track_file */
        size_t n_track_files;
        KcNode **vs_groups;      /* virtual_server_group */
        size_t n_vs_groups;
        bool *vs_group_used;

        /* output sections assembled on the way */
        Fields global;
        FILE *instances; char *instances_buf; size_t instances_len;
        FILE *sync_groups; char *sync_groups_buf; size_t sync_groups_len;
        FILE *checks; char *checks_buf; size_t checks_len;
        FILE *vs; char *vs_buf; size_t vs_len;
        FILE *notify; char *notify_buf; size_t notify_len;
        Fields ipvs_sync;
        const KcNode *ipvs_sync_node;
        Fields ipvs_timeouts;

        /* warnings repeated in the YAML header, and documented no-ops */
        char **notes;
        size_t n_notes, cap_notes;
        size_t n_group_targets;  /* services made from virtual_server_groups (bounded) */
        size_t n_instances, n_sync_groups, n_checks, n_vs, n_notify;
} KcMap;

/* ---- diagnostics ---- */
void map_error(KcMap *m, const KcNode *n, const char *fmt, ...) _printf_(3, 4);
/* "keyword 'x' not supported: reason" (a warning, repeated in the header) */
void map_unsupported(KcMap *m, const KcNode *n, const char *fmt, ...) _printf_(3, 4);
/* A warning about something mapped with a change in meaning. */
void map_warn(KcMap *m, const KcNode *n, const char *fmt, ...) _printf_(3, 4);
/* A documented no-op: a note in the YAML header, no warning. */
void map_noop(KcMap *m, const KcNode *n, const char *reason);
void map_unknown(KcMap *m, const KcNode *n);
void map_oom(KcMap *m);

/* ---- arguments ---- */
/* Checks the argument count of block->children[i]; extra arguments become a
 * statement of their own after it (so "auth_type PASS auth_pass 1111" on one
 * line is two statements, as keepalived reads them). false = error reported. */
bool map_args(KcMap *m, KcNode *block, size_t i, size_t min, size_t max);
bool map_int(KcMap *m, const KcNode *n, const char *s, int64_t min, int64_t max, int64_t *ret);
/* keepalived <TIMER>: seconds with an optional fraction. */
bool map_timer(KcMap *m, const KcNode *n, const char *s, usec_t *ret);
/* keepalived <BOOL>: on|off|true|false|yes|no; a missing argument = true. */
bool map_bool(KcMap *m, const KcNode *n, const char *s, bool *ret);
bool map_address(KcMap *m, const KcNode *n, const char *s, bool allow_prefix, int *ret_family);
bool map_port(KcMap *m, const KcNode *n, const char *s, uint16_t *ret);
/* A script/notify string: argv split on blanks with quotes; with user/group
 * arguments a warning. Sets *shell when it needs /bin/sh (relative program,
 * shell syntax). */
char **map_command(KcMap *m, const KcNode *n, const char *s, bool *shell);

/* list sorted with map_sort_blocks(): the last definition of name, or NULL */
KcNode *map_find_block(KcNode **list, size_t n, const char *name);
void map_sort_blocks(KcNode **list, size_t n);
void map_printf(KcMap *m, FILE *f, const char *fmt, ...) _printf_(3, 4);

/* ---- the sections ---- */
void map_global_defs(KcMap *m, KcNode *n);
void map_ssl(KcMap *m, KcNode *n);
void map_vrrp_script(KcMap *m, KcNode *n);
void map_vrrp_instance(KcMap *m, KcNode *n);
void map_vrrp_sync_group(KcMap *m, KcNode *n);
void map_virtual_server(KcMap *m, KcNode *n);
