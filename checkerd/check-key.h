/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Identity of a check for sharing (dedup) and for keeping state over a
 * reload: two CheckConfs with the same type, target and options produce the
 * same key and are run as one probe. The name and the config location are not
 * part of it. Pure code. */

#include "conf.h"

/* The effective target: the check's own address/port, or for inline checks
 * the real server's (the caller resolves that and passes it here). */
typedef struct CheckTarget {
        InAddrPrefix address; /* family AF_UNSPEC: none (exec, file) */
        uint16_t port;
} CheckTarget;

/* "tcp", "http", ... (the conf model's names, kept here so pure checker code
 * does not need the conf implementation). */
const char *check_type_name(CheckType t);

/* Returns 0 and a malloc'd canonical string in *ret, or -ENOMEM. */
int check_key(const CheckConf *c, const CheckTarget *t, char **ret);

/* "10.0.0.1:80", "[fe80::1]:443", "10.0.0.1" (no port), or "" (no address). */
const char *check_target_to_string(const CheckTarget *t, char *buf, size_t len);
