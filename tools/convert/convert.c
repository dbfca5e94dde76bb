/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "convert.h"

static int convert_tree(KcTree *t, const char *source, const char *config_id, KcDiags *diags, char **ret_yaml) {
        KcMapOptions o = { .source = source, .config_id = config_id };
        return kc_map(t, &o, diags, ret_yaml);
}

int kc_convert_file(const char *path, const char *config_id, KcDiags *diags, char **ret_yaml) {
        _cleanup_(kc_tree_freep) KcTree *t = NULL;
        int r = kc_read_file(path, config_id, diags, &t);
        if (r < 0)
                return r;
        return convert_tree(t, streq(path, "-") ? "(stdin)" : path, config_id, diags, ret_yaml);
}

int kc_convert_string(const char *name, const char *data, size_t len, const char *config_id, KcDiags *diags,
                      char **ret_yaml) {
        _cleanup_(kc_tree_freep) KcTree *t = NULL;
        int r = kc_parse_string(name, data, len, config_id, diags, &t);
        if (r < 0)
                return r;
        return convert_tree(t, name, config_id, diags, ret_yaml);
}
