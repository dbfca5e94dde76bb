/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IPVS generic netlink client: one socket, the family id resolved once,
 * messages built with libnl and sent in batches over the raw fd so that a
 * table of 10,000 entries costs tens of syscalls, not 10,000 sockets. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "cleanup-libs.h"
#include "ipvs-genl.h"
#include "log.h"
#include "macro.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* Flush a batch at this many bytes or outstanding requests: the ACKs of one
 * batch (36 bytes each with NETLINK_CAP_ACK) must fit the receive buffer. */
#define BATCH_BYTES (60 * 1024)
#define BATCH_MAX_MSGS 1024
#define RECV_BUF (256 * 1024)

struct IpvsGenl {
        struct nl_sock *sk;
        int fd;
        int family;
        uint32_t seq;
        uint8_t *rbuf;
        uint64_t n_sendmsg;
};

const char *ipvs_genl_open_strerror(int r) {
        switch (r) {
        case -EPROTONOSUPPORT:
                return "IPVS is not available in this kernel: the generic netlink family \"IPVS\" is missing (modprobe ip_vs)";
        case -EPERM:
        case -EACCES:
                return "not allowed to use IPVS (needs CAP_NET_ADMIN)";
        default:
                return strerror(-r);
        }
}

int ipvs_genl_open(IpvsGenl **ret) {
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        IpvsGenl *g;
        int r, one = 1;

        sk = nl_socket_alloc();
        if (!sk)
                return -ENOMEM;
        r = genl_connect(sk);
        if (r < 0)
                return nl_error_to_errno(r);
        r = genl_ctrl_resolve(sk, IPVS_GENL_NAME);
        if (r < 0)
                return r == -NLE_OBJ_NOTFOUND ? -EPROTONOSUPPORT : nl_error_to_errno(r);
        (void) nl_socket_set_buffer_size(sk, 4 * 1024 * 1024, 4 * 1024 * 1024);
        /* ACKs carry only the request header, not the whole request back. */
        (void) setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);

        g = calloc(1, sizeof *g);
        if (!g)
                return -ENOMEM;
        g->rbuf = malloc(RECV_BUF);
        if (!g->rbuf) {
                free(g);
                return -ENOMEM;
        }
        g->family = r;
        g->fd = nl_socket_get_fd(sk);
        g->seq = (uint32_t) time(NULL);
        g->sk = TAKE_PTR(sk);
        *ret = g;
        return 0;
}

IpvsGenl *ipvs_genl_free(IpvsGenl *g) {
        if (!g)
                return NULL;
        nl_socket_free(g->sk);
        free(g->rbuf);
        free(g);
        return NULL;
}

uint64_t ipvs_genl_sendmsg_count(const IpvsGenl *g) {
        return g->n_sendmsg;
}

/* ---- building messages ---- */

static struct nl_msg *msg_new(IpvsGenl *g, uint8_t cmd, int flags) {
        struct nl_msg *m = nlmsg_alloc();
        if (!m)
                return NULL;
        if (!genlmsg_put(m, 0, 0, g->family, 0, flags, cmd, IPVS_GENL_VERSION)) {
                nlmsg_free(m);
                return NULL;
        }
        return m;
}

static int put_addr(struct nl_msg *m, int attr, int af, const union in_addr_union *a) {
        /* the kernel's policy is a union nf_inet_addr: always 16 bytes */
        union in_addr_union buf = {};
        memcpy(&buf, a, family_address_size(af));
        return nla_put(m, attr, sizeof buf, &buf);
}

static int put_service(struct nl_msg *m, const IpvsService *s, bool full) {
        struct nlattr *nest = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
        const IpvsServiceKey *k = &s->key;
        int r = 0;

        if (!nest)
                return -ENOMEM;
        r |= nla_put_u16(m, IPVS_SVC_ATTR_AF, (uint16_t) k->af);
        if (k->fwmark)
                r |= nla_put_u32(m, IPVS_SVC_ATTR_FWMARK, k->fwmark);
        else {
                r |= nla_put_u16(m, IPVS_SVC_ATTR_PROTOCOL, k->protocol);
                r |= put_addr(m, IPVS_SVC_ATTR_ADDR, k->af, &k->addr);
                r |= nla_put_u16(m, IPVS_SVC_ATTR_PORT, htons(k->port));
        }
        if (full) {
                struct ip_vs_flags f = { .flags = s->flags, .mask = ~0u };
                r |= nla_put_string(m, IPVS_SVC_ATTR_SCHED_NAME, s->sched_name);
                if (s->pe_name[0])
                        r |= nla_put_string(m, IPVS_SVC_ATTR_PE_NAME, s->pe_name);
                r |= nla_put(m, IPVS_SVC_ATTR_FLAGS, sizeof f, &f);
                r |= nla_put_u32(m, IPVS_SVC_ATTR_TIMEOUT, s->timeout);
                r |= nla_put_u32(m, IPVS_SVC_ATTR_NETMASK, s->netmask);
        }
        nla_nest_end(m, nest);
        return r < 0 ? -EMSGSIZE : 0;
}

static int put_dest(struct nl_msg *m, const IpvsDest *d, bool full) {
        struct nlattr *nest = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
        int r = 0;

        if (!nest)
                return -ENOMEM;
        r |= put_addr(m, IPVS_DEST_ATTR_ADDR, d->af, &d->addr);
        r |= nla_put_u16(m, IPVS_DEST_ATTR_PORT, htons(d->port));
        r |= nla_put_u16(m, IPVS_DEST_ATTR_ADDR_FAMILY, (uint16_t) d->af);
        if (full) {
                uint32_t fwd = d->conn_flags & IP_VS_CONN_F_FWD_MASK;
                r |= nla_put_u32(m, IPVS_DEST_ATTR_FWD_METHOD, fwd);
                r |= nla_put_u32(m, IPVS_DEST_ATTR_WEIGHT, (uint32_t) d->weight);
                r |= nla_put_u32(m, IPVS_DEST_ATTR_U_THRESH, d->u_threshold);
                r |= nla_put_u32(m, IPVS_DEST_ATTR_L_THRESH, d->l_threshold);
                if (fwd == IP_VS_CONN_F_TUNNEL) {
                        r |= nla_put_u8(m, IPVS_DEST_ATTR_TUN_TYPE, d->tun_type);
                        if (d->tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GUE)
                                r |= nla_put_u16(m, IPVS_DEST_ATTR_TUN_PORT, htons(d->tun_port));
                        r |= nla_put_u16(m, IPVS_DEST_ATTR_TUN_FLAGS, d->tun_flags);
                }
        }
        nla_nest_end(m, nest);
        return r < 0 ? -EMSGSIZE : 0;
}

static struct nl_msg *op_msg(IpvsGenl *g, const IpvsOp *op) {
        static const uint8_t cmds[_IPVS_OP_MAX] = {
                [IPVS_OP_DEL_SERVICE] = IPVS_CMD_DEL_SERVICE, [IPVS_OP_ADD_SERVICE] = IPVS_CMD_NEW_SERVICE,
                [IPVS_OP_EDIT_SERVICE] = IPVS_CMD_SET_SERVICE, [IPVS_OP_DEL_DEST] = IPVS_CMD_DEL_DEST,
                [IPVS_OP_ADD_DEST] = IPVS_CMD_NEW_DEST, [IPVS_OP_EDIT_DEST] = IPVS_CMD_SET_DEST,
        };
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, cmds[op->type], NLM_F_ACK);
        bool svc_full = op->type == IPVS_OP_ADD_SERVICE || op->type == IPVS_OP_EDIT_SERVICE;

        if (!m)
                return NULL;
        if (put_service(m, op->service, svc_full) < 0)
                return NULL;
        if (op->dest && put_dest(m, op->dest, op->type != IPVS_OP_DEL_DEST) < 0)
                return NULL;
        return TAKE_PTR(m);
}

/* ---- I/O ---- */

static int send_all(IpvsGenl *g, const void *buf, size_t len) {
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        for (;;) {
                ssize_t n = sendto(g->fd, buf, len, 0, (struct sockaddr *) &kernel, sizeof kernel);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                g->n_sendmsg++;
                return 0;
        }
}

static ssize_t recv_some(IpvsGenl *g) {
        for (;;) {
                ssize_t n = recv(g->fd, g->rbuf, RECV_BUF, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ECONNRESET;
                return n;
        }
}

/* Callback for reply messages of a request (dump parts or a single reply). */
typedef int (*reply_cb)(const struct nlmsghdr *nlh, void *userdata);

/* Send one request and read until its ACK (or DONE for dumps). */
static int transact(IpvsGenl *g, struct nl_msg *m, bool dump, reply_cb cb, void *userdata) {
        struct nlmsghdr *req = nlmsg_hdr(m);
        uint32_t seq = ++g->seq;
        int cb_error = 0, r;

        req->nlmsg_seq = seq;
        req->nlmsg_flags |= NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
        r = send_all(g, req, req->nlmsg_len);
        if (r < 0)
                return r;
        for (;;) {
                ssize_t n = recv_some(g);
                if (n < 0)
                        return (int) n;
                size_t len = (size_t) n;
                for (struct nlmsghdr *h = (struct nlmsghdr *) g->rbuf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                        if (h->nlmsg_seq != seq)
                                continue; /* a stale answer to an earlier, abandoned request */
                        if (h->nlmsg_type == NLMSG_DONE)
                                return cb_error;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);
                                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
                                        return -EBADMSG;
                                if (e->error != 0 || !dump)
                                        return e->error != 0 ? e->error : cb_error;
                                continue;
                        }
                        if (cb && cb_error == 0) {
                                r = cb(h, userdata);
                                if (r < 0)
                                        cb_error = r; /* keep reading to the end of the reply */
                        }
                }
        }
}

/* ---- dump ---- */

static int on_service(const struct nlmsghdr *nlh, void *userdata) {
        IpvsTable *t = userdata;
        IpvsService s;
        if (ipvs_parse_service_msg(nlh, &s) < 0)
                return -EBADMSG;
        return ipvs_table_add_service(t, &s) ? 0 : -ENOMEM;
}

static int on_dest(const struct nlmsghdr *nlh, void *userdata) {
        IpvsService *s = userdata;
        IpvsDest d;
        if (ipvs_parse_dest_msg(nlh, &d) < 0)
                return -EBADMSG;
        if (d.af == AF_UNSPEC)
                d.af = s->key.af;
        return ipvs_service_add_dest(s, &d) ? 0 : -ENOMEM;
}

int ipvs_genl_dump(IpvsGenl *g, IpvsTable *ret) {
        _cleanup_ipvs_table_ IpvsTable t = {};
        int r;

        {
                _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_GET_SERVICE, 0);
                if (!m)
                        return -ENOMEM;
                r = transact(g, m, true, on_service, &t);
                if (r < 0)
                        return r;
        }
        /* One dest dump per service: a netlink socket runs one dump at a time. */
        for (size_t i = 0; i < t.n_services; i++) {
                IpvsService *s = &t.services[i];
                _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_GET_DEST, 0);
                if (!m || put_service(m, s, false) < 0)
                        return -ENOMEM;
                r = transact(g, m, true, on_dest, s);
                if (r == -ESRCH || r == -ENOENT)
                        continue; /* removed by someone else meanwhile */
                if (r < 0)
                        return r;
        }
        ipvs_table_sort(&t);
        *ret = t;
        t = (IpvsTable) {};
        return 0;
}

int ipvs_genl_get_service(IpvsGenl *g, const IpvsServiceKey *key, IpvsTable *ret) {
        _cleanup_ipvs_table_ IpvsTable t = {};
        IpvsService probe = { .key = *key };
        int r;

        {
                _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_GET_SERVICE, 0);
                if (!m || put_service(m, &probe, false) < 0)
                        return -ENOMEM;
                r = transact(g, m, false, on_service, &t);
                if (r < 0)
                        return r;
        }
        if (t.n_services != 1)
                return -ESRCH;
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_GET_DEST, 0);
        if (!m || put_service(m, &probe, false) < 0)
                return -ENOMEM;
        r = transact(g, m, true, on_dest, &t.services[0]);
        if (r < 0)
                return r;
        ipvs_table_sort(&t);
        *ret = t;
        t = (IpvsTable) {};
        return 0;
}

/* ---- batched changes ---- */

typedef struct Batch {
        uint8_t *buf;
        size_t len;
        size_t *idx;             /* op index per message in the batch */
        size_t n;
        uint32_t first_seq;
} Batch;

static int batch_flush(IpvsGenl *g, Batch *b, int *errors, int *failed) {
        size_t pending = b->n;
        int r;

        if (b->n == 0)
                return 0;
        r = send_all(g, b->buf, b->len);
        if (r < 0)
                return r;
        while (pending > 0) {
                ssize_t n = recv_some(g);
                if (n < 0)
                        return (int) n;
                size_t len = (size_t) n;
                for (struct nlmsghdr *h = (struct nlmsghdr *) g->rbuf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                        if (h->nlmsg_type != NLMSG_ERROR)
                                continue;
                        uint32_t k = h->nlmsg_seq - b->first_seq;
                        if (k >= b->n || h->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
                                continue;
                        const struct nlmsgerr *e = NLMSG_DATA(h);
                        errors[b->idx[k]] = e->error;
                        if (e->error != 0)
                                (*failed)++;
                        pending--;
                }
        }
        b->len = 0;
        b->n = 0;
        return 0;
}

int ipvs_genl_apply(IpvsGenl *g, const IpvsOp *ops, size_t n, int *errors) {
        Batch b = {};
        int failed = 0, r = 0;

        b.buf = malloc(BATCH_BYTES + 4096);
        b.idx = calloc(BATCH_MAX_MSGS, sizeof(size_t));
        if (!b.buf || !b.idx) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_(nlmsg_freep) struct nl_msg *m = op_msg(g, &ops[i]);
                if (!m) {
                        errors[i] = -ENOMEM;
                        failed++;
                        continue;
                }
                struct nlmsghdr *h = nlmsg_hdr(m);
                size_t l = NLMSG_ALIGN(h->nlmsg_len);
                if (b.len + l > BATCH_BYTES || b.n == BATCH_MAX_MSGS) {
                        r = batch_flush(g, &b, errors, &failed);
                        if (r < 0)
                                goto finish;
                }
                if (b.n == 0)
                        b.first_seq = g->seq + 1;
                h->nlmsg_seq = ++g->seq;
                h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
                memcpy(b.buf + b.len, h, h->nlmsg_len);
                memset(b.buf + b.len + h->nlmsg_len, 0, l - h->nlmsg_len);
                b.len += l;
                b.idx[b.n++] = i;
                errors[i] = 0;
        }
        r = batch_flush(g, &b, errors, &failed);
finish:
        free(b.buf);
        free(b.idx);
        return r < 0 ? r : failed;
}

void ipvs_op_strerror(const IpvsOp *op, int error, char *buf, size_t len) {
        char k[IPVS_KEY_STR_MAX], d[IPVS_KEY_STR_MAX] = "";
        const char *why = NULL;
        char tmp[128];

        (void) ipvs_service_key_format(&op->service->key, k, sizeof k);
        if (op->dest)
                ipvs_dest_format(d, sizeof d, op->dest->af, &op->dest->addr, op->dest->port);
        switch (op->type) {
        case IPVS_OP_ADD_SERVICE:
        case IPVS_OP_EDIT_SERVICE:
                if (error == -ENOENT) {
                        snprintf(tmp, sizeof tmp, "scheduler '%s' is not available (kernel module ip_vs_%s missing?)",
                                 op->service->sched_name, op->service->sched_name);
                        why = tmp;
                } else if (error == -EEXIST)
                        why = "the service already exists";
                else if (error == -ESRCH)
                        why = "the service does not exist";
                else if (error == -EAFNOSUPPORT)
                        why = "IPv6 is not available for IPVS";
                break;
        case IPVS_OP_DEL_SERVICE:
                if (error == -ESRCH)
                        why = "the service does not exist";
                break;
        case IPVS_OP_ADD_DEST:
        case IPVS_OP_EDIT_DEST:
        case IPVS_OP_DEL_DEST:
                if (error == -ESRCH)
                        why = "the service does not exist";
                else if (error == -EEXIST)
                        why = "the destination already exists";
                else if (error == -ENOENT)
                        why = "the destination does not exist";
                else if (error == -ERANGE)
                        why = "weight or thresholds out of range";
                else if (error == -EINVAL)
                        why = "rejected as invalid (mixed address families need tun; dr/tun need a unicast route to the real server)";
                break;
        default:
                break;
        }
        if (!why)
                why = strerror(-error);
        if (op->dest)
                snprintf(buf, len, "%s %s -> %s: %s", ipvs_op_type_to_string(op->type), k, d, why);
        else
                snprintf(buf, len, "%s %s: %s", ipvs_op_type_to_string(op->type), k, why);
}

/* ---- simple requests ---- */

int ipvs_genl_zero(IpvsGenl *g, const IpvsServiceKey *key) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_ZERO, 0);
        if (!m)
                return -ENOMEM;
        if (key) {
                IpvsService s = { .key = *key };
                if (put_service(m, &s, false) < 0)
                        return -ENOMEM;
        }
        return transact(g, m, false, NULL, NULL);
}

int ipvs_genl_flush(IpvsGenl *g) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_FLUSH, 0);
        if (!m)
                return -ENOMEM;
        return transact(g, m, false, NULL, NULL);
}

static int on_info(const struct nlmsghdr *nlh, void *userdata) {
        IpvsInfo *i = userdata;
        struct nlattr *tb[IPVS_INFO_ATTR_MAX + 1];
        if (genlmsg_parse((struct nlmsghdr *) nlh, 0, tb, IPVS_INFO_ATTR_MAX, NULL) < 0)
                return -EBADMSG;
        if (tb[IPVS_INFO_ATTR_VERSION] && nla_len(tb[IPVS_INFO_ATTR_VERSION]) >= 4)
                i->version = nla_get_u32(tb[IPVS_INFO_ATTR_VERSION]);
        if (tb[IPVS_INFO_ATTR_CONN_TAB_SIZE] && nla_len(tb[IPVS_INFO_ATTR_CONN_TAB_SIZE]) >= 4)
                i->conn_tab_size = nla_get_u32(tb[IPVS_INFO_ATTR_CONN_TAB_SIZE]);
        return 0;
}

int ipvs_genl_get_info(IpvsGenl *g, IpvsInfo *ret) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_GET_INFO, 0);
        *ret = (IpvsInfo) {};
        if (!m)
                return -ENOMEM;
        return transact(g, m, false, on_info, ret);
}

static int on_config(const struct nlmsghdr *nlh, void *userdata) {
        IpvsTimeouts *t = userdata;
        struct nlattr *tb[IPVS_CMD_ATTR_MAX + 1];
        if (genlmsg_parse((struct nlmsghdr *) nlh, 0, tb, IPVS_CMD_ATTR_MAX, NULL) < 0)
                return -EBADMSG;
        if (tb[IPVS_CMD_ATTR_TIMEOUT_TCP] && nla_len(tb[IPVS_CMD_ATTR_TIMEOUT_TCP]) >= 4)
                t->tcp = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP]);
        if (tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN] && nla_len(tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]) >= 4)
                t->tcp_fin = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]);
        if (tb[IPVS_CMD_ATTR_TIMEOUT_UDP] && nla_len(tb[IPVS_CMD_ATTR_TIMEOUT_UDP]) >= 4)
                t->udp = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_UDP]);
        return 0;
}

int ipvs_genl_get_timeouts(IpvsGenl *g, IpvsTimeouts *ret) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_GET_CONFIG, 0);
        *ret = (IpvsTimeouts) {};
        if (!m)
                return -ENOMEM;
        return transact(g, m, false, on_config, ret);
}

int ipvs_genl_set_timeouts(IpvsGenl *g, const IpvsTimeouts *t) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_SET_CONFIG, 0);
        if (!m)
                return -ENOMEM;
        if ((t->tcp && nla_put_u32(m, IPVS_CMD_ATTR_TIMEOUT_TCP, t->tcp) < 0) ||
            (t->tcp_fin && nla_put_u32(m, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t->tcp_fin) < 0) ||
            (t->udp && nla_put_u32(m, IPVS_CMD_ATTR_TIMEOUT_UDP, t->udp) < 0))
                return -ENOMEM;
        return transact(g, m, false, NULL, NULL);
}

typedef struct DaemonList {
        IpvsSyncDaemon *d;
        size_t n;
} DaemonList;

static int on_daemon(const struct nlmsghdr *nlh, void *userdata) {
        DaemonList *l = userdata;
        struct nlattr *tb[IPVS_DAEMON_ATTR_MAX + 1];
        struct nlattr *nest = NULL;
        struct nlattr *top[IPVS_CMD_ATTR_MAX + 1];

        if (genlmsg_parse((struct nlmsghdr *) nlh, 0, top, IPVS_CMD_ATTR_MAX, NULL) < 0)
                return -EBADMSG;
        nest = top[IPVS_CMD_ATTR_DAEMON];
        if (!nest || nla_parse_nested(tb, IPVS_DAEMON_ATTR_MAX, nest, NULL) < 0)
                return -EBADMSG;
        if (l->n >= 2 || !tb[IPVS_DAEMON_ATTR_STATE] || nla_len(tb[IPVS_DAEMON_ATTR_STATE]) < 4)
                return 0;
        IpvsSyncDaemon *d = &l->d[l->n++];
        *d = (IpvsSyncDaemon) { .state = nla_get_u32(tb[IPVS_DAEMON_ATTR_STATE]) };
        if (tb[IPVS_DAEMON_ATTR_MCAST_IFN])
                nla_strlcpy(d->mcast_ifn, tb[IPVS_DAEMON_ATTR_MCAST_IFN], sizeof d->mcast_ifn);
        if (tb[IPVS_DAEMON_ATTR_SYNC_ID] && nla_len(tb[IPVS_DAEMON_ATTR_SYNC_ID]) >= 4)
                d->sync_id = nla_get_u32(tb[IPVS_DAEMON_ATTR_SYNC_ID]);
        return 0;
}

int ipvs_genl_get_daemons(IpvsGenl *g, IpvsSyncDaemon ret[2], size_t *n) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_GET_DAEMON, 0);
        DaemonList l = { .d = ret };
        if (!m)
                return -ENOMEM;
        int r = transact(g, m, true, on_daemon, &l);
        *n = l.n;
        return r;
}

int ipvs_genl_start_daemon(IpvsGenl *g, const IpvsSyncDaemon *d) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_NEW_DAEMON, 0);
        struct nlattr *nest;
        if (!m)
                return -ENOMEM;
        nest = nla_nest_start(m, IPVS_CMD_ATTR_DAEMON);
        if (!nest || nla_put_u32(m, IPVS_DAEMON_ATTR_STATE, d->state) < 0 ||
            nla_put_string(m, IPVS_DAEMON_ATTR_MCAST_IFN, d->mcast_ifn) < 0 ||
            nla_put_u32(m, IPVS_DAEMON_ATTR_SYNC_ID, d->sync_id) < 0)
                return -ENOMEM;
        nla_nest_end(m, nest);
        return transact(g, m, false, NULL, NULL);
}

int ipvs_genl_stop_daemon(IpvsGenl *g, uint32_t state) {
        _cleanup_(nlmsg_freep) struct nl_msg *m = msg_new(g, IPVS_CMD_DEL_DAEMON, 0);
        struct nlattr *nest;
        if (!m)
                return -ENOMEM;
        nest = nla_nest_start(m, IPVS_CMD_ATTR_DAEMON);
        if (!nest || nla_put_u32(m, IPVS_DAEMON_ATTR_STATE, state) < 0)
                return -ENOMEM;
        nla_nest_end(m, nest);
        return transact(g, m, false, NULL, NULL);
}
