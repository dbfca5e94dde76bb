/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "conf.h"

/* Reads FIXTURES_DIR/name into a malloc'd buffer (fails the test otherwise). */
char *fixture_read(const char *name, size_t *ret_len);
/* Loads YAML text under the name "t.yaml"; returns config_load_string's result,
 * *ret_diags the printed diagnostics (caller frees). */
int load_text(const char *yaml, Config **ret, char **ret_diags, size_t *ret_errors);
/* config_dump to a string (caller frees). */
char *dump_text(const Config *c);
