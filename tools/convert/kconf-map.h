/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* keepalived tree → vigil.yaml text (DESIGN.md §5, key names as in
 * common/conf-load.c). Pure: no I/O. Keepalived defaults that differ from
 * vigil's (VRRP version 2, delay_loop 60s, retry 1, real servers removed on
 * failure, accept mode on, ...) are written out explicitly so the result
 * means the same thing. */

#include "kconf-tree.h"

typedef struct KcMapOptions {
        const char *source;    /* named in the header comment */
        const char *config_id; /* named in the header when given */
} KcMapOptions;

/* Returns 0 and the YAML in *ret (warnings in diags), or -EINVAL when the
 * input has errors (diags say where). */
int kc_map(KcTree *t, const KcMapOptions *o, KcDiags *diags, char **ret);
