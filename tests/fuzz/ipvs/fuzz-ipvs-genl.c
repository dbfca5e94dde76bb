/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IPVS generic netlink reply decoder (ipvsd/ipvs-genl-parse.c): every
 * netlink message in the input is decoded as a service and as a dest, and
 * what decodes is put through the model (table, save format) as ipvsd does. */
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipvs-genl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        IpvsTable t = {};
        /* aligned copy: the kernel's buffer is aligned, nlmsghdr reads assume it */
        void *buf = malloc(size ? size : 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        int len = (int) size;
        for (struct nlmsghdr *h = buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                IpvsService s;
                IpvsDest d;
                if (ipvs_parse_service_msg(h, &s) == 0)
                        (void) ipvs_table_add_service(&t, &s);
                if (ipvs_parse_dest_msg(h, &d) == 0 && t.n_services > 0) {
                        if (d.af == AF_UNSPEC)
                                d.af = t.services[t.n_services - 1].key.af;
                        (void) ipvs_service_add_dest(&t.services[t.n_services - 1], &d);
                }
        }
        ipvs_table_sort(&t);
        FILE *f = fopen("/dev/null", "we");
        if (f) {
                (void) ipvs_table_format_save(&t, f);
                fclose(f);
        }
        ipvs_table_done(&t);
        free(buf);
        return 0;
}
