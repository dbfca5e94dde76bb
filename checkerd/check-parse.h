/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Small pure parsers used by the probe types (fuzzed by tests/fuzz/checker). */

#include <stddef.h>
#include <stdint.h>

/* udp payload: "\n" "\r" "\t" "\0" "\\" and "\xHH" escapes decoded. Returns 0
 * with *ret_len, -EINVAL for a bad escape (err says which byte), -E2BIG when
 * the result is over outmax. */
int udp_payload_decode(const char *s, uint8_t *out, size_t outmax, size_t *ret_len);

/* file checks: the first line, an optional sign and decimal digits, blanks
 * around allowed; the range is -65535..65535. 0 or -EINVAL/-ERANGE. */
int file_weight_parse(const char *buf, size_t len, int *ret);
