/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* keepalived.conf → vigil.yaml, the whole way: read (with includes), parse,
 * map. Returns 0 and the YAML text (warnings in diags), or a negative errno
 * with every problem in diags as FILE:LINE. */

#include "kconf-map.h"
#include "kconf-read.h"
#include "kconf-tree.h"

int kc_convert_file(const char *path, const char *config_id, KcDiags *diags, char **ret_yaml);
/* From memory, no includes (tests, fuzzing). */
int kc_convert_string(const char *name, const char *data, size_t len, const char *config_id, KcDiags *diags,
                      char **ret_yaml);
