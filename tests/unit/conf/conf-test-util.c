/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf-test-util.h"

char *fixture_read(const char *name, size_t *ret_len) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", FIXTURES_DIR, name);
        FILE *f = fopen(path, "rb");
        if (!f)
                fail_msg("cannot open fixture %s", path);
        char *buf = NULL;
        size_t len = 0, alloc = 0;
        for (;;) {
                if (len + 4096 > alloc) {
                        alloc = alloc ? alloc * 2 : 65536;
                        buf = realloc(buf, alloc);
                        assert_non_null(buf);
                }
                size_t k = fread(buf + len, 1, alloc - len - 1, f);
                if (k == 0)
                        break;
                len += k;
        }
        fclose(f);
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        return buf;
}

int load_text(const char *yaml, Config **ret, char **ret_diags, size_t *ret_errors) {
        ConfDiags d = {};
        Config *c = NULL;
        int r = config_load_string("t.yaml", yaml, strlen(yaml), &c, &d);
        if (ret)
                *ret = c;
        else
                config_free(c);
        if (ret_diags) {
                *ret_diags = conf_diags_to_string(&d);
                if (!*ret_diags)
                        *ret_diags = strdup("");
        }
        if (ret_errors)
                *ret_errors = d.n_errors;
        conf_diags_free(&d);
        return r;
}

char *dump_text(const Config *c) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(config_dump(c, CONF_SECTION_ALL, f), 0);
        fclose(f);
        return buf;
}
