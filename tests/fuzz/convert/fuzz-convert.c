/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Any bytes through the keepalived converter must give YAML or FILE:LINE
 * errors, never a crash, a leak or a hang. When it gives YAML, that YAML must
 * be well-formed (libyaml loads it) and the config model must know every key
 * in it: a quoting slip or a misspelt key aborts so the fuzzer keeps the input.
 * Whether the model then accepts the values is not asked (a script path may
 * not exist here, a VRID may repeat). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf.h"
#include "convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_yaml(const char *yaml) {
        yaml_parser_t p;
        yaml_document_t doc;

        if (!yaml_parser_initialize(&p))
                abort();
        yaml_parser_set_input_string(&p, (const unsigned char *) yaml, strlen(yaml));
        if (!yaml_parser_load(&p, &doc)) {
                fprintf(stderr, "converted YAML does not parse (line %zu: %s):\n%s\n", p.problem_mark.line + 1,
                        p.problem ? p.problem : "?", yaml);
                abort();
        }
        yaml_document_delete(&doc);
        yaml_parser_delete(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        KcDiags d = {};
        char *yaml = NULL;

        if (size > 256 * 1024)
                return 0; /* bigger inputs only make the fuzzer slower, not smarter */

        if (kc_convert_string("fuzz.conf", (const char *) data, size, NULL, &d, &yaml) < 0) {
                if (d.n_errors == 0 || yaml)
                        abort(); /* a failure must say why, and give nothing */
                kc_diags_free(&d);
                return 0;
        }
        kc_diags_free(&d);
        check_yaml(yaml);

        ConfDiags cd = {};
        Config *c = NULL;
        if (config_load_string("converted.yaml", yaml, strlen(yaml), &c, &cd) < 0)
                for (size_t i = 0; i < cd.n; i++)
                        /* the loader's own wording, anchored: values from the input may contain any text */
                        if (strncmp(cd.items[i].message, "unknown key '", 13) == 0 ||
                            (strncmp(cd.items[i].message, "key '", 5) == 0 &&
                             strstr(cd.items[i].message, "' is not valid for a check of type"))) {
                                fprintf(stderr, "converter wrote a key the model does not know: %s\n%s\n",
                                        cd.items[i].message, yaml);
                                abort();
                        }
        config_free(c);
        conf_diags_free(&cd);
        free(yaml);
        return 0;
}
