/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Decoding IPVS generic netlink replies into the model. No I/O: the bytes
 * come from the kernel, but this code must survive any bytes (fuzzed). */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "ipvs-genl.h"
#include "macro.h"

static const struct nla_policy stats_policy[IPVS_STATS_ATTR_MAX + 1] = {
        [IPVS_STATS_ATTR_CONNS] = { .type = NLA_U64 },
        [IPVS_STATS_ATTR_INPKTS] = { .type = NLA_U64 },
        [IPVS_STATS_ATTR_OUTPKTS] = { .type = NLA_U64 },
        [IPVS_STATS_ATTR_INBYTES] = { .type = NLA_U64 },
        [IPVS_STATS_ATTR_OUTBYTES] = { .type = NLA_U64 },
        [IPVS_STATS_ATTR_CPS] = { .type = NLA_U64 },
        [IPVS_STATS_ATTR_INPPS] = { .type = NLA_U64 },
        [IPVS_STATS_ATTR_OUTPPS] = { .type = NLA_U64 },
        [IPVS_STATS_ATTR_INBPS] = { .type = NLA_U64 },
        [IPVS_STATS_ATTR_OUTBPS] = { .type = NLA_U64 },
};

/* The 32-bit STATS nest (old kernels) carries u32 counters and u64 bytes. */
static const struct nla_policy stats32_policy[IPVS_STATS_ATTR_MAX + 1] = {
        [IPVS_STATS_ATTR_CONNS] = { .type = NLA_U32 },
        [IPVS_STATS_ATTR_INPKTS] = { .type = NLA_U32 },
        [IPVS_STATS_ATTR_OUTPKTS] = { .type = NLA_U32 },
        [IPVS_STATS_ATTR_INBYTES] = { .type = NLA_U64 },
        [IPVS_STATS_ATTR_OUTBYTES] = { .type = NLA_U64 },
        [IPVS_STATS_ATTR_CPS] = { .type = NLA_U32 },
        [IPVS_STATS_ATTR_INPPS] = { .type = NLA_U32 },
        [IPVS_STATS_ATTR_OUTPPS] = { .type = NLA_U32 },
        [IPVS_STATS_ATTR_INBPS] = { .type = NLA_U32 },
        [IPVS_STATS_ATTR_OUTBPS] = { .type = NLA_U32 },
};

static const struct nla_policy svc_policy[IPVS_SVC_ATTR_MAX + 1] = {
        [IPVS_SVC_ATTR_AF] = { .type = NLA_U16 },
        [IPVS_SVC_ATTR_PROTOCOL] = { .type = NLA_U16 },
        [IPVS_SVC_ATTR_ADDR] = { .type = NLA_UNSPEC, .minlen = 4 },
        [IPVS_SVC_ATTR_PORT] = { .type = NLA_U16 },
        [IPVS_SVC_ATTR_FWMARK] = { .type = NLA_U32 },
        [IPVS_SVC_ATTR_SCHED_NAME] = { .type = NLA_UNSPEC },
        [IPVS_SVC_ATTR_FLAGS] = { .type = NLA_UNSPEC, .minlen = sizeof(struct ip_vs_flags) },
        [IPVS_SVC_ATTR_TIMEOUT] = { .type = NLA_U32 },
        [IPVS_SVC_ATTR_NETMASK] = { .type = NLA_U32 },
        [IPVS_SVC_ATTR_STATS] = { .type = NLA_NESTED },
        [IPVS_SVC_ATTR_PE_NAME] = { .type = NLA_UNSPEC },
        [IPVS_SVC_ATTR_STATS64] = { .type = NLA_NESTED },
};

static const struct nla_policy dest_policy[IPVS_DEST_ATTR_MAX + 1] = {
        [IPVS_DEST_ATTR_ADDR] = { .type = NLA_UNSPEC, .minlen = 4 },
        [IPVS_DEST_ATTR_PORT] = { .type = NLA_U16 },
        [IPVS_DEST_ATTR_FWD_METHOD] = { .type = NLA_U32 },
        [IPVS_DEST_ATTR_WEIGHT] = { .type = NLA_U32 },
        [IPVS_DEST_ATTR_U_THRESH] = { .type = NLA_U32 },
        [IPVS_DEST_ATTR_L_THRESH] = { .type = NLA_U32 },
        [IPVS_DEST_ATTR_ACTIVE_CONNS] = { .type = NLA_U32 },
        [IPVS_DEST_ATTR_INACT_CONNS] = { .type = NLA_U32 },
        [IPVS_DEST_ATTR_PERSIST_CONNS] = { .type = NLA_U32 },
        [IPVS_DEST_ATTR_STATS] = { .type = NLA_NESTED },
        [IPVS_DEST_ATTR_ADDR_FAMILY] = { .type = NLA_U16 },
        [IPVS_DEST_ATTR_STATS64] = { .type = NLA_NESTED },
        [IPVS_DEST_ATTR_TUN_TYPE] = { .type = NLA_U8 },
        [IPVS_DEST_ATTR_TUN_PORT] = { .type = NLA_U16 },
        [IPVS_DEST_ATTR_TUN_FLAGS] = { .type = NLA_U16 },
};

static int parse_stats(struct nlattr *nest64, struct nlattr *nest32, IpvsStats *ret) {
        struct nlattr *tb[IPVS_STATS_ATTR_MAX + 1];
        bool wide = nest64 != NULL;
        struct nlattr *nest = wide ? nest64 : nest32;
        uint64_t *fields[IPVS_STATS_ATTR_MAX + 1] = {
                [IPVS_STATS_ATTR_CONNS] = &ret->conns,   [IPVS_STATS_ATTR_INPKTS] = &ret->inpkts,
                [IPVS_STATS_ATTR_OUTPKTS] = &ret->outpkts, [IPVS_STATS_ATTR_INBYTES] = &ret->inbytes,
                [IPVS_STATS_ATTR_OUTBYTES] = &ret->outbytes, [IPVS_STATS_ATTR_CPS] = &ret->cps,
                [IPVS_STATS_ATTR_INPPS] = &ret->inpps,   [IPVS_STATS_ATTR_OUTPPS] = &ret->outpps,
                [IPVS_STATS_ATTR_INBPS] = &ret->inbps,   [IPVS_STATS_ATTR_OUTBPS] = &ret->outbps,
        };

        *ret = (IpvsStats) {};
        if (!nest)
                return 0;
        if (nla_parse_nested(tb, IPVS_STATS_ATTR_MAX, nest, (struct nla_policy *) (wide ? stats_policy : stats32_policy)) < 0)
                return -EBADMSG;
        for (int i = IPVS_STATS_ATTR_CONNS; i <= IPVS_STATS_ATTR_OUTBPS; i++) {
                if (!tb[i])
                        continue;
                bool is64 = wide || i == IPVS_STATS_ATTR_INBYTES || i == IPVS_STATS_ATTR_OUTBYTES;
                *fields[i] = is64 ? nla_get_u64(tb[i]) : nla_get_u32(tb[i]);
        }
        return 0;
}

static int parse_addr(struct nlattr *a, int af, union in_addr_union *ret) {
        size_t sz = family_address_size(af);
        if (!a || sz == 0 || (size_t) nla_len(a) < sz)
                return -EBADMSG;
        *ret = (union in_addr_union) {};
        memcpy(ret, nla_data(a), sz);
        return 0;
}

/* A bounded copy of a string attribute that may lack its NUL. */
static void copy_name(char *dst, size_t len, struct nlattr *a) {
        dst[0] = 0;
        if (!a)
                return;
        size_t n = MIN((size_t) nla_len(a), len - 1);
        memcpy(dst, nla_data(a), n);
        dst[n] = 0;
}

static struct nlattr *top_attr(const struct nlmsghdr *nlh, int which) {
        struct nlattr *tb[IPVS_CMD_ATTR_MAX + 1];
        if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
                return NULL;
        if (genlmsg_parse((struct nlmsghdr *) nlh, 0, tb, IPVS_CMD_ATTR_MAX, NULL) < 0)
                return NULL;
        return tb[which];
}

int ipvs_parse_service_msg(const struct nlmsghdr *nlh, IpvsService *ret) {
        struct nlattr *tb[IPVS_SVC_ATTR_MAX + 1];
        struct nlattr *nest = top_attr(nlh, IPVS_CMD_ATTR_SERVICE);
        IpvsService s = {};

        if (!nest || nla_parse_nested(tb, IPVS_SVC_ATTR_MAX, nest, (struct nla_policy *) svc_policy) < 0)
                return -EBADMSG;
        if (!tb[IPVS_SVC_ATTR_AF])
                return -EBADMSG;
        s.key.af = nla_get_u16(tb[IPVS_SVC_ATTR_AF]);
        if (s.key.af != AF_INET && s.key.af != AF_INET6)
                return -EBADMSG;
        if (tb[IPVS_SVC_ATTR_FWMARK])
                s.key.fwmark = nla_get_u32(tb[IPVS_SVC_ATTR_FWMARK]);
        if (!s.key.fwmark) {
                if (!tb[IPVS_SVC_ATTR_PROTOCOL] || !tb[IPVS_SVC_ATTR_PORT])
                        return -EBADMSG;
                s.key.protocol = nla_get_u16(tb[IPVS_SVC_ATTR_PROTOCOL]);
                s.key.port = ntohs(nla_get_u16(tb[IPVS_SVC_ATTR_PORT]));
                if (parse_addr(tb[IPVS_SVC_ATTR_ADDR], s.key.af, &s.key.addr) < 0)
                        return -EBADMSG;
        }
        copy_name(s.sched_name, sizeof s.sched_name, tb[IPVS_SVC_ATTR_SCHED_NAME]);
        copy_name(s.pe_name, sizeof s.pe_name, tb[IPVS_SVC_ATTR_PE_NAME]);
        if (tb[IPVS_SVC_ATTR_FLAGS]) {
                struct ip_vs_flags f;
                memcpy(&f, nla_data(tb[IPVS_SVC_ATTR_FLAGS]), sizeof f);
                s.flags = f.flags & ~(uint32_t) IP_VS_SVC_F_HASHED;
        }
        if (tb[IPVS_SVC_ATTR_TIMEOUT])
                s.timeout = nla_get_u32(tb[IPVS_SVC_ATTR_TIMEOUT]);
        if (tb[IPVS_SVC_ATTR_NETMASK])
                s.netmask = nla_get_u32(tb[IPVS_SVC_ATTR_NETMASK]);
        if (parse_stats(tb[IPVS_SVC_ATTR_STATS64], tb[IPVS_SVC_ATTR_STATS], &s.stats) < 0)
                return -EBADMSG;
        *ret = s;
        return 0;
}

int ipvs_parse_dest_msg(const struct nlmsghdr *nlh, IpvsDest *ret) {
        struct nlattr *tb[IPVS_DEST_ATTR_MAX + 1];
        struct nlattr *nest = top_attr(nlh, IPVS_CMD_ATTR_DEST);
        IpvsDest d = {};

        if (!nest || nla_parse_nested(tb, IPVS_DEST_ATTR_MAX, nest, (struct nla_policy *) dest_policy) < 0)
                return -EBADMSG;
        /* kernels before mixed-family support (4.2) have no ADDR_FAMILY: the
         * caller fills in the service's family then. */
        d.af = tb[IPVS_DEST_ATTR_ADDR_FAMILY] ? nla_get_u16(tb[IPVS_DEST_ATTR_ADDR_FAMILY]) : AF_UNSPEC;
        if (d.af != AF_UNSPEC && d.af != AF_INET && d.af != AF_INET6)
                return -EBADMSG;
        if (!tb[IPVS_DEST_ATTR_ADDR] || !tb[IPVS_DEST_ATTR_PORT])
                return -EBADMSG;
        if (d.af != AF_UNSPEC) {
                if (parse_addr(tb[IPVS_DEST_ATTR_ADDR], d.af, &d.addr) < 0)
                        return -EBADMSG;
        } else
                memcpy(&d.addr, nla_data(tb[IPVS_DEST_ATTR_ADDR]), MIN((size_t) nla_len(tb[IPVS_DEST_ATTR_ADDR]), sizeof d.addr));
        d.port = ntohs(nla_get_u16(tb[IPVS_DEST_ATTR_PORT]));
        if (tb[IPVS_DEST_ATTR_FWD_METHOD])
                d.conn_flags = nla_get_u32(tb[IPVS_DEST_ATTR_FWD_METHOD]);
        if (tb[IPVS_DEST_ATTR_WEIGHT])
                d.weight = (int) nla_get_u32(tb[IPVS_DEST_ATTR_WEIGHT]);
        if (tb[IPVS_DEST_ATTR_U_THRESH])
                d.u_threshold = nla_get_u32(tb[IPVS_DEST_ATTR_U_THRESH]);
        if (tb[IPVS_DEST_ATTR_L_THRESH])
                d.l_threshold = nla_get_u32(tb[IPVS_DEST_ATTR_L_THRESH]);
        if (tb[IPVS_DEST_ATTR_ACTIVE_CONNS])
                d.active_conns = nla_get_u32(tb[IPVS_DEST_ATTR_ACTIVE_CONNS]);
        if (tb[IPVS_DEST_ATTR_INACT_CONNS])
                d.inact_conns = nla_get_u32(tb[IPVS_DEST_ATTR_INACT_CONNS]);
        if (tb[IPVS_DEST_ATTR_PERSIST_CONNS])
                d.persist_conns = nla_get_u32(tb[IPVS_DEST_ATTR_PERSIST_CONNS]);
        if (tb[IPVS_DEST_ATTR_TUN_TYPE])
                d.tun_type = nla_get_u8(tb[IPVS_DEST_ATTR_TUN_TYPE]);
        if (tb[IPVS_DEST_ATTR_TUN_PORT])
                d.tun_port = ntohs(nla_get_u16(tb[IPVS_DEST_ATTR_TUN_PORT]));
        if (tb[IPVS_DEST_ATTR_TUN_FLAGS])
                d.tun_flags = nla_get_u16(tb[IPVS_DEST_ATTR_TUN_FLAGS]);
        if (parse_stats(tb[IPVS_DEST_ATTR_STATS64], tb[IPVS_DEST_ATTR_STATS], &d.stats) < 0)
                return -EBADMSG;
        *ret = d;
        return 0;
}
