/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "macro.h"
#include "vrrp-lease.h"

struct VrrpLease {
        struct nft_ctx *nft;
};

/* Priority -300: before conntrack (-200) and long before IPVS (LOCAL_IN), so
 * a VIP whose lease ran out accepts nothing at all. */
static const char setup_script[] =
        "add table inet " VRRP_NFT_TABLE "\n"
        "add set inet " VRRP_NFT_TABLE " vips4 { type ipv4_addr; }\n"
        "add set inet " VRRP_NFT_TABLE " vips6 { type ipv6_addr; }\n"
        "add set inet " VRRP_NFT_TABLE " alive4 { type ipv4_addr; flags timeout; }\n"
        "add set inet " VRRP_NFT_TABLE " alive6 { type ipv6_addr; flags timeout; }\n"
        /* accept mode off (RFC 5798 §6.1, with vrrp_strict): VIPs that take no traffic */
        "add set inet " VRRP_NFT_TABLE " noaccept4 { type ipv4_addr; }\n"
        "add set inet " VRRP_NFT_TABLE " noaccept6 { type ipv6_addr; }\n"
        "flush set inet " VRRP_NFT_TABLE " noaccept4\n"
        "flush set inet " VRRP_NFT_TABLE " noaccept6\n"
        "flush set inet " VRRP_NFT_TABLE " vips4\n"
        "flush set inet " VRRP_NFT_TABLE " vips6\n"
        "flush set inet " VRRP_NFT_TABLE " alive4\n"
        "flush set inet " VRRP_NFT_TABLE " alive6\n"
        "add chain inet " VRRP_NFT_TABLE " prerouting { type filter hook prerouting priority -300; policy accept; }\n"
        "add chain inet " VRRP_NFT_TABLE " output { type filter hook output priority -300; policy accept; }\n"
        "flush chain inet " VRRP_NFT_TABLE " prerouting\n"
        "flush chain inet " VRRP_NFT_TABLE " output\n"
        "add rule inet " VRRP_NFT_TABLE " prerouting ip daddr @vips4 ip daddr != @alive4 counter drop\n"
        "add rule inet " VRRP_NFT_TABLE " prerouting ip6 daddr @vips6 ip6 daddr != @alive6 counter drop\n"
        "add rule inet " VRRP_NFT_TABLE " prerouting ip daddr @noaccept4 counter drop\n"
        /* neighbour discovery to the address itself must still work */
        "add rule inet " VRRP_NFT_TABLE " prerouting ip6 daddr @noaccept6 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n"
        "add rule inet " VRRP_NFT_TABLE " prerouting ip6 daddr @noaccept6 counter drop\n"
        /* Linux answers a solicitation for an address it holds from that address. */
        "add rule inet " VRRP_NFT_TABLE " output icmpv6 type nd-neighbor-advert ip6 saddr @vips6 ip6 saddr != @alive6 counter drop\n"
        "add table arp " VRRP_NFT_TABLE "\n"
        "add set arp " VRRP_NFT_TABLE " vips4 { type ipv4_addr; }\n"
        "add set arp " VRRP_NFT_TABLE " alive4 { type ipv4_addr; flags timeout; }\n"
        "flush set arp " VRRP_NFT_TABLE " vips4\n"
        "flush set arp " VRRP_NFT_TABLE " alive4\n"
        "add chain arp " VRRP_NFT_TABLE " output { type filter hook output priority 0; policy accept; }\n"
        "flush chain arp " VRRP_NFT_TABLE " output\n"
        "add rule arp " VRRP_NFT_TABLE " output arp operation reply arp saddr ip @vips4 arp saddr ip != @alive4 counter drop\n";

static int run(VrrpLease *l, const char *cmd) {
        int r = nft_run_cmd_from_buffer(l->nft, cmd);
        if (r != 0) {
                const char *err = nft_ctx_get_error_buffer(l->nft);
                log_error("nftables command failed: %s", strempty(err));
                return -EIO;
        }
        return 0;
}

VrrpLease *vrrp_lease_free(VrrpLease *l) {
        if (!l)
                return NULL;
        if (l->nft)
                nft_ctx_free(l->nft);
        free(l);
        return NULL;
}

int vrrp_lease_new(VrrpLease **ret) {
        VrrpLease *l = calloc(1, sizeof *l);
        int r;

        if (!l)
                return -ENOMEM;
        l->nft = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!l->nft) {
                free(l);
                return -ENOMEM;
        }
        (void) nft_ctx_buffer_output(l->nft);
        (void) nft_ctx_buffer_error(l->nft);
        r = run(l, setup_script);
        if (r < 0) {
                vrrp_lease_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

/* Appends "{ a, b }" of one family; returns false when there is none. */
static bool append_elements(FILE *f, int family, const InAddrPrefix *a, size_t n, usec_t timeout) {
        bool any = false;
        for (size_t i = 0; i < n; i++) {
                char buf[ADDR_STR_MAX];
                if (a[i].family != family)
                        continue;
                fprintf(f, "%s%s", any ? ", " : " { ", format_address(buf, sizeof buf, family, &a[i].addr));
                if (timeout > 0)
                        fprintf(f, " timeout %llums", (unsigned long long) ((timeout + USEC_PER_MSEC - 1) / USEC_PER_MSEC));
                any = true;
        }
        if (any)
                fputs(" }", f);
        return any;
}

static void stmt(FILE *f, const char *verb, const char *tabfam, const char *set, int family, const InAddrPrefix *a,
                 size_t n, usec_t timeout) {
        bool any = false;
        for (size_t i = 0; i < n; i++)
                any = any || a[i].family == family;
        if (!any)
                return;
        fprintf(f, "%s element %s " VRRP_NFT_TABLE " %s", verb, tabfam, set);
        (void) append_elements(f, family, a, n, timeout);
        fputc('\n', f);
}

char *vrrp_lease_format(const char *op, const InAddrPrefix *a, size_t n, usec_t timeout) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;

        struct {
                const char *tabfam, *set;
                int family;
        } sets[3];
        bool alive = streq(op, "refresh") || streq(op, "revoke");
        bool noaccept = streq(op, "noaccept") || streq(op, "accept");
        size_t n_sets = 3;
        sets[0] = (typeof(sets[0])) { "inet", alive ? "alive4" : "vips4", AF_INET };
        sets[1] = (typeof(sets[0])) { "inet", alive ? "alive6" : "vips6", AF_INET6 };
        sets[2] = (typeof(sets[0])) { "arp", alive ? "alive4" : "vips4", AF_INET };
        if (noaccept) {
                sets[0].set = "noaccept4";
                sets[1].set = "noaccept6";
                n_sets = 2;
        }

        for (size_t s = 0; s < n_sets; s++) {
                if (streq(op, "manage") || streq(op, "noaccept"))
                        stmt(f, "add", sets[s].tabfam, sets[s].set, sets[s].family, a, n, 0);
                else if (streq(op, "refresh")) {
                        /* "add" does not re-arm an existing element's timer: add (so the
                         * delete cannot fail), delete, add again, in one atomic batch. */
                        stmt(f, "add", sets[s].tabfam, sets[s].set, sets[s].family, a, n, timeout);
                        stmt(f, "delete", sets[s].tabfam, sets[s].set, sets[s].family, a, n, 0);
                        stmt(f, "add", sets[s].tabfam, sets[s].set, sets[s].family, a, n, timeout);
                } else {
                        /* unmanage / revoke: add first so the delete of an absent element cannot fail */
                        stmt(f, "add", sets[s].tabfam, sets[s].set, sets[s].family, a, n, alive ? 1 * USEC_PER_SEC : 0);
                        stmt(f, "delete", sets[s].tabfam, sets[s].set, sets[s].family, a, n, 0);
                }
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static int run_op(VrrpLease *l, const char *op, const InAddrPrefix *a, size_t n, usec_t timeout) {
        _cleanup_free_ char *cmd = NULL;
        if (!l || n == 0)
                return 0;
        cmd = vrrp_lease_format(op, a, n, timeout);
        if (!cmd)
                return -ENOMEM;
        if (isempty(cmd))
                return 0;
        return run(l, cmd);
}

int vrrp_lease_manage(VrrpLease *l, const InAddrPrefix *a, size_t n, bool manage) {
        return run_op(l, manage ? "manage" : "unmanage", a, n, 0);
}

int vrrp_lease_refresh(VrrpLease *l, const InAddrPrefix *a, size_t n, usec_t timeout) {
        return run_op(l, "refresh", a, n, timeout);
}

int vrrp_lease_set_accept(VrrpLease *l, const InAddrPrefix *a, size_t n, bool accept) {
        return run_op(l, accept ? "accept" : "noaccept", a, n, 0);
}

int vrrp_lease_revoke(VrrpLease *l, const InAddrPrefix *a, size_t n) {
        return run_op(l, "revoke", a, n, 0);
}
