/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "kconf-tree.h"

/* Reads PATH ("-" = stdin) and everything it includes into a tree. Returns 0,
 * or a negative errno with the reasons (file:line) in diags. */
int kc_read_file(const char *path, const char *config_id, KcDiags *diags, KcTree **ret);
