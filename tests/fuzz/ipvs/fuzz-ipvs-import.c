/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ipvsadm-save importer (vigilctl ipvs import), and the other text
 * parsers of ipvsd: /proc/net/ip_vs_conn lines and the ownership file. What
 * imports is written back out as YAML, save format and listings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipvs-format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        IpvsTable t = {};
        char err[256];

        if (ipvs_import_save((const char *) data, size, &t, err, sizeof err) == 0) {
                FILE *f = fopen("/dev/null", "we");
                if (f) {
                        (void) ipvs_table_format_yaml(&t, f);
                        (void) ipvs_table_format_save(&t, f);
                        (void) ipvs_table_format_list(&t, IPVS_LIST_STATS | IPVS_LIST_EXACT, f);
                        (void) ipvs_table_format_list(&t, 0, f);
                        fclose(f);
                }
                ipvs_table_done(&t);
        }

        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        IpvsOwned o = {};
        unsigned line;
        if (ipvs_owned_parse(s, &o, &line) == 0)
                ipvs_owned_done(&o);
        for (char *p = s, *l; (l = strsep(&p, "\n"));) {
                IpvsConn c;
                if (ipvs_conn_parse_line(l, &c) == 0) {
                        FILE *f = fopen("/dev/null", "we");
                        if (f) {
                                ipvs_conn_format(&c, f);
                                fclose(f);
                        }
                }
        }
        free(s);
        return 0;
}
