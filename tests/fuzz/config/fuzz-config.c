/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Any bytes through the config loader must give a model or diagnostics, never
 * a crash, a leak or a hang. When the input loads, its normalized dump must
 * load again and dump to the same text (the round-trip promise of
 * config_dump()); a difference aborts so the fuzzer keeps the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dump(const Config *c) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                abort();
        if (config_dump(c, CONF_SECTION_ALL, f) < 0)
                abort();
        fclose(f);
        return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ConfDiags d = {};
        Config *c = NULL;

        if (size > 256 * 1024)
                return 0; /* bigger inputs only make the fuzzer slower, not smarter */

        if (config_load_string("fuzz.yaml", (const char *) data, size, &c, &d) < 0) {
                if (d.n_errors == 0)
                        abort(); /* a failure must say why */
                char *s = conf_diags_to_string(&d);
                free(s);
                conf_diags_free(&d);
                return 0;
        }
        conf_diags_free(&d);

        char *d1 = dump(c);
        Config *c2 = NULL;
        if (config_load_string("dump.yaml", d1, strlen(d1), &c2, &d) < 0) {
                fprintf(stderr, "dump does not load back:\n%s\n", d1);
                conf_diags_print(&d, stderr);
                abort();
        }
        conf_diags_free(&d);
        char *d2 = dump(c2);
        if (strcmp(d1, d2) != 0) {
                fprintf(stderr, "dump is not stable:\n--- first\n%s\n--- second\n%s\n", d1, d2);
                abort();
        }
        free(d1);
        free(d2);
        config_free(c);
        config_free(c2);
        return 0;
}
