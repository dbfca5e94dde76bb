/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* SMTP reply parsing (RFC 5321 §4.2): "NNN-text" continues, "NNN text" or
 * "NNN" ends a reply; every line of one reply carries the same code. Pure and
 * bounded (fuzzed by tests/fuzz/checker). */

#include <stddef.h>

#define SMTP_REPLY_MAX 4096u /* bytes of one reply, all lines */

/* Looks at the first len bytes of buf for one complete reply. Returns the
 * reply code (200..599) with *ret_consumed set when complete, 0 when more
 * input is needed, -EBADMSG for a malformed reply, -E2BIG when it is longer
 * than SMTP_REPLY_MAX. */
int smtp_reply_parse(const char *buf, size_t len, size_t *ret_consumed);
