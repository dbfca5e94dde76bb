/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FULL-NAT on mainline IPVS: the service masquerades (destination NAT to the
 * real server) and, with net.ipv4.vs.conntrack=1, the flow has a conntrack
 * entry whose original tuple is client → VIP; a postrouting rule in vigil's
 * own table `inet vigil_ipvs` then rewrites the source to the director's
 * address, so real servers answer the director without a route back through
 * it. The table is vigil's alone and is replaced atomically (one nft
 * transaction); no other table is ever touched. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nftables/libnftables.h>

#include "ipvsd.h"
#include "log.h"
#include "macro.h"

#define NFT_TABLE "inet vigil_ipvs"

static void render_dest(FILE *f, const IpvsService *s, const IpvsDest *d) {
        char da[ADDR_STR_MAX], va[ADDR_STR_MAX], sa[ADDR_STR_MAX];
        const char *ipf = d->af == AF_INET6 ? "ip6" : "ip";
        const char *proto = ipvs_protocol_name(s->key.protocol);

        format_address(da, sizeof da, d->af, &d->addr);
        fputs("\t\t", f);
        if (s->key.fwmark) {
                /* the mark that selected the service is still on the packet */
                fprintf(f, "meta mark 0x%x %s daddr %s ", s->key.fwmark, ipf, da);
                if (d->port)
                        fprintf(f, "th dport %u ", d->port);
        } else {
                format_address(va, sizeof va, s->key.af, &s->key.addr);
                fprintf(f, "meta l4proto %s %s daddr %s th dport %u ct original %s daddr %s ct original proto-dst %u ",
                        proto, ipf, da, d->port, ipf, va, s->key.port);
        }
        fputs("counter ", f); /* nft list table inet vigil_ipvs shows which flows were translated */
        if (d->snat_address.family == AF_UNSPEC)
                fputs("masquerade", f); /* the egress interface's address */
        else
                fprintf(f, "snat %s to %s", ipf, format_address(sa, sizeof sa, d->snat_address.family, &d->snat_address.addr));
        fputc('\n', f);
}

int ipvs_nft_render(const IpvsTable *desired, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, n = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return -ENOMEM;
        fputs("table " NFT_TABLE " {\n"
              "\tchain postrouting {\n"
              "\t\ttype nat hook postrouting priority srcnat; policy accept;\n", f);
        for (size_t i = 0; i < desired->n_services; i++) {
                const IpvsService *s = &desired->services[i];
                for (size_t j = 0; j < s->n_dests; j++)
                        if (s->dests[j].fullnat && s->dests[j].af == s->key.af) {
                                render_dest(f, s, &s->dests[j]);
                                n++;
                        }
        }
        fputs("\t}\n}\n", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = n > 0 ? TAKE_PTR(buf) : NULL;
        return 0;
}

int ipvs_nft_apply(const char *text, char **ret_error) {
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        _cleanup_free_ char *cmd = NULL;
        int r;

        if (!ctx)
                return -ENOMEM;
        nft_ctx_buffer_output(ctx);
        nft_ctx_buffer_error(ctx);
        /* "add" then "delete" makes the delete succeed whether or not the
         * table exists; all in one buffer is one atomic transaction. */
        if (asprintf(&cmd, "add table " NFT_TABLE "\ndelete table " NFT_TABLE "\n%s", strempty(text)) < 0) {
                nft_ctx_free(ctx);
                return -ENOMEM;
        }
        r = nft_run_cmd_from_buffer(ctx, cmd);
        if (r != 0) {
                const char *e = nft_ctx_get_error_buffer(ctx);
                if (ret_error)
                        *ret_error = strdup(!isempty(e) ? e : "nftables rejected the ruleset");
                r = -EINVAL;
        }
        nft_ctx_free(ctx);
        return r;
}

int ipvs_enable_conntrack(void) {
        const char *p = "/proc/sys/net/ipv4/vs/conntrack";
        _cleanup_close_ int fd = open(p, O_RDWR | O_CLOEXEC);
        char c = 0;

        if (fd < 0)
                return -errno;
        if (read(fd, &c, 1) == 1 && c == '1')
                return 0;
        if (pwrite(fd, "1\n", 2, 0) != 2)
                return -errno;
        return 1;
}
