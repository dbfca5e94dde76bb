/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/rtnl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup-libs.h"
#include "log.h"
#include "vrrp-addr.h"

typedef struct Pending {
        uint32_t seq;
        vrrp_nl_done_t done;
        void *userdata;
        unsigned tag;
} Pending;

struct VrrpNl {
        sd_event *event;
        struct nl_cache_mngr *mngr;
        struct nl_cache *links, *addrs;
        sd_event_source *mngr_source;
        bool changed;
        vrrp_nl_change_t on_change;
        void *userdata;

        struct nl_sock *req;     /* nonblocking, VIP requests */
        sd_event_source *req_source;
        Pending *pending;
        size_t n_pending, n_pending_alloc;

        struct nl_sock *sync;    /* blocking, rare link operations */
};

static void on_cache_change(struct nl_cache *cache, struct nl_object *obj, int action, void *userdata) {
        VrrpNl *nl = userdata;
        nl->changed = true;
}

static int on_mngr_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VrrpNl *nl = userdata;
        int r;

        nl->changed = false;
        r = nl_cache_mngr_data_ready(nl->mngr);
        if (r < 0)
                /* e.g. ENOBUFS after an event storm: the caches may be stale, refill them. */
                log_warning_errno(nl_error_to_errno(r), "rtnetlink event processing failed, resyncing: %m");
        if (r < 0) {
                (void) nl_cache_refill(nl->sync, nl->links);
                (void) nl_cache_refill(nl->sync, nl->addrs);
                nl->changed = true;
        }
        if (nl->changed && nl->on_change)
                nl->on_change(nl->userdata);
        return 0;
}

static void pending_complete(VrrpNl *nl, uint32_t seq, int error) {
        for (size_t i = 0; i < nl->n_pending; i++) {
                if (nl->pending[i].seq != seq)
                        continue;
                Pending p = nl->pending[i];
                memmove(nl->pending + i, nl->pending + i + 1, (nl->n_pending - i - 1) * sizeof(Pending));
                nl->n_pending--;
                if (p.done)
                        p.done(error, p.userdata, p.tag);
                return;
        }
}

static int req_read(VrrpNl *nl) {
        uint8_t buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
        int fd = nl_socket_get_fd(nl->req);

        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        return -errno;
                }
                size_t len = (size_t) n;
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                        if (h->nlmsg_type != NLMSG_ERROR)
                                continue;
                        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
                                continue;
                        const struct nlmsgerr *e = NLMSG_DATA(h);
                        pending_complete(nl, h->nlmsg_seq, e->error);
                }
        }
}

static int on_req_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        int r = req_read(userdata);
        if (r < 0)
                log_error_errno(r, "Reading rtnetlink answers failed: %m");
        return 0;
}

VrrpNl *vrrp_nl_free(VrrpNl *nl) {
        if (!nl)
                return NULL;
        sd_event_source_disable_unref(nl->mngr_source);
        sd_event_source_disable_unref(nl->req_source);
        if (nl->mngr)
                nl_cache_mngr_free(nl->mngr); /* frees its caches */
        if (nl->req)
                nl_socket_free(nl->req);
        if (nl->sync)
                nl_socket_free(nl->sync);
        free(nl->pending);
        sd_event_unref(nl->event);
        free(nl);
        return NULL;
}

int vrrp_nl_new(sd_event *e, vrrp_nl_change_t on_change, void *userdata, VrrpNl **ret) {
        VrrpNl *nl;
        int r;

        nl = calloc(1, sizeof *nl);
        if (!nl)
                return -ENOMEM;
        nl->event = sd_event_ref(e);
        nl->on_change = on_change;
        nl->userdata = userdata;

        nl->sync = nl_socket_alloc();
        nl->req = nl_socket_alloc();
        if (!nl->sync || !nl->req) {
                r = -ENOMEM;
                goto fail;
        }
        r = nl_error_to_errno(nl_connect(nl->sync, NETLINK_ROUTE));
        if (r < 0)
                goto fail;
        r = nl_error_to_errno(nl_connect(nl->req, NETLINK_ROUTE));
        if (r < 0)
                goto fail;
        r = nl_error_to_errno(nl_socket_set_nonblocking(nl->req));
        if (r < 0)
                goto fail;

        r = nl_error_to_errno(nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE, &nl->mngr));
        if (r < 0)
                goto fail;
        r = nl_error_to_errno(nl_cache_mngr_add(nl->mngr, "route/link", on_cache_change, nl, &nl->links));
        if (r < 0)
                goto fail;
        r = nl_error_to_errno(nl_cache_mngr_add(nl->mngr, "route/addr", on_cache_change, nl, &nl->addrs));
        if (r < 0)
                goto fail;

        r = sd_event_add_io(e, &nl->mngr_source, nl_cache_mngr_get_fd(nl->mngr), EPOLLIN, on_mngr_ready, nl);
        if (r < 0)
                goto fail;
        r = sd_event_add_io(e, &nl->req_source, nl_socket_get_fd(nl->req), EPOLLIN, on_req_ready, nl);
        if (r < 0)
                goto fail;

        *ret = nl;
        return 0;
fail:
        vrrp_nl_free(nl);
        return r;
}

static void fill_link_info(struct rtnl_link *l, VrrpLinkInfo *ret) {
        unsigned flags = rtnl_link_get_flags(l);
        struct nl_addr *a = rtnl_link_get_addr(l);
        const char *kind = rtnl_link_get_type(l);

        *ret = (VrrpLinkInfo) {
                .ifindex = rtnl_link_get_ifindex(l),
                .up = (flags & IFF_UP) && (flags & IFF_RUNNING),
        };
        if (a && nl_addr_get_len(a) == 6)
                memcpy(ret->mac, nl_addr_get_binary_addr(a), 6);
        if (kind)
                snprintf(ret->kind, sizeof ret->kind, "%s", kind);
}

int vrrp_nl_link_by_name(VrrpNl *nl, const char *name, VrrpLinkInfo *ret) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_get_by_name(nl->links, name);
        if (!l)
                return -ENODEV;
        fill_link_info(l, ret);
        return 0;
}

int vrrp_nl_link_by_index(VrrpNl *nl, int ifindex, VrrpLinkInfo *ret) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_get(nl->links, ifindex);
        if (!l)
                return -ENODEV;
        fill_link_info(l, ret);
        return 0;
}

static bool addr_bytes(struct rtnl_addr *a, int family, union in_addr_union *ret) {
        struct nl_addr *local = rtnl_addr_get_local(a);
        size_t alen = family_address_size(family);

        if (!local || nl_addr_get_len(local) != alen)
                return false;
        *ret = (union in_addr_union) {};
        memcpy(ret->bytes, nl_addr_get_binary_addr(local), alen);
        return true;
}

int vrrp_nl_primary_address(VrrpNl *nl, int ifindex, int family, const InAddrPrefix *exclude, size_t n_exclude,
                            union in_addr_union *ret) {
        bool found = false;

        for (struct nl_object *o = nl_cache_get_first(nl->addrs); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;
                union in_addr_union u;
                unsigned flags = rtnl_addr_get_flags(a);
                bool excluded = false;

                if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != family)
                        continue;
                if (!addr_bytes(a, family, &u))
                        continue;
                for (size_t i = 0; i < n_exclude && !excluded; i++)
                        excluded = exclude[i].family == family && address_equal(family, &exclude[i].addr, &u);
                if (excluded)
                        continue;
                if (family == AF_INET6) {
                        /* RFC 5798 §5.1.2.1: the source is the interface's link-local address. */
                        if (!(u.bytes[0] == 0xfe && (u.bytes[1] & 0xc0) == 0x80))
                                continue;
                        if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
                                continue;
                } else if (flags & IFA_F_SECONDARY) {
                        if (!found) /* only if no primary turns up */
                                *ret = u, found = true;
                        continue;
                }
                *ret = u;
                return 0;
        }
        return found ? 0 : -EADDRNOTAVAIL;
}

bool vrrp_nl_has_address(VrrpNl *nl, int ifindex, const InAddrPrefix *addr, uint32_t *ret_lifetime) {
        for (struct nl_object *o = nl_cache_get_first(nl->addrs); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;
                union in_addr_union u;

                if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != addr->family)
                        continue;
                if (!addr_bytes(a, addr->family, &u) || !address_equal(addr->family, &u, &addr->addr))
                        continue;
                if (rtnl_addr_get_prefixlen(a) != addr->prefixlen)
                        continue;
                if (ret_lifetime)
                        *ret_lifetime = rtnl_addr_get_valid_lifetime(a);
                return true;
        }
        return false;
}

static int build_addr(int ifindex, const InAddrPrefix *p, struct rtnl_addr **ret) {
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *a = rtnl_addr_alloc();
        _cleanup_(nl_addr_putp) struct nl_addr *local = NULL;
        int r;

        if (!a)
                return -ENOMEM;
        local = nl_addr_build(p->family, p->addr.bytes, family_address_size(p->family));
        if (!local)
                return -ENOMEM;
        nl_addr_set_prefixlen(local, p->prefixlen);
        rtnl_addr_set_ifindex(a, ifindex);
        rtnl_addr_set_family(a, p->family);
        r = nl_error_to_errno(rtnl_addr_set_local(a, local));
        if (r < 0)
                return r;
        rtnl_addr_set_prefixlen(a, p->prefixlen);
        *ret = TAKE_PTR(a);
        return 0;
}

static int send_request(VrrpNl *nl, struct nl_msg *msg, vrrp_nl_done_t done, void *userdata, unsigned tag) {
        int r;

        if (nl->n_pending == nl->n_pending_alloc) {
                size_t n = MAX(16u, nl->n_pending_alloc * 2);
                Pending *p = realloc(nl->pending, n * sizeof *p);
                if (!p)
                        return -ENOMEM;
                nl->pending = p;
                nl->n_pending_alloc = n;
        }
        nl_complete_msg(nl->req, msg); /* our port id, next sequence number, NLM_F_ACK */
        uint32_t seq = nlmsg_hdr(msg)->nlmsg_seq;
        r = nl_send(nl->req, msg);
        if (r < 0)
                return nl_error_to_errno(r);
        nl->pending[nl->n_pending++] = (Pending) { .seq = seq, .done = done, .userdata = userdata, .tag = tag };
        return 0;
}

int vrrp_nl_addr_add(VrrpNl *nl, const VrrpAddrSpec *s, vrrp_nl_done_t done, void *userdata, unsigned tag) {
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *a = NULL;
        _cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
        int r;

        r = build_addr(s->ifindex, &s->addr, &a);
        if (r < 0)
                return r;
        if (s->addr.family == AF_INET) {
                if (!isempty(s->label)) {
                        r = nl_error_to_errno(rtnl_addr_set_label(a, s->label));
                        if (r < 0)
                                return r;
                }
                if (s->broadcast) {
                        _cleanup_(nl_addr_putp) struct nl_addr *b = nl_addr_build(AF_INET, s->broadcast, 4);
                        if (!b)
                                return -ENOMEM;
                        r = nl_error_to_errno(rtnl_addr_set_broadcast(a, b));
                        if (r < 0)
                                return r;
                }
        } else
                /* A VIP moving between routers must be usable at once, not after DAD
                 * (which would also fail against the old master's copy). */
                rtnl_addr_set_flags(a, IFA_F_NODAD);
        if (!isempty(s->scope)) {
                int sc = rtnl_str2scope(s->scope);
                if (sc < 0)
                        return -EINVAL;
                rtnl_addr_set_scope(a, sc);
        } else
                rtnl_addr_set_scope(a, RT_SCOPE_UNIVERSE);
        if (s->lifetime > 0) {
                rtnl_addr_set_valid_lifetime(a, s->lifetime);
                rtnl_addr_set_preferred_lifetime(a, s->lifetime);
        }
        r = nl_error_to_errno(rtnl_addr_build_add_request(a, NLM_F_REPLACE, &msg));
        if (r < 0)
                return r;
        return send_request(nl, msg, done, userdata, tag);
}

int vrrp_nl_addr_del(VrrpNl *nl, int ifindex, const InAddrPrefix *addr, vrrp_nl_done_t done, void *userdata,
                     unsigned tag) {
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *a = NULL;
        _cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
        int r;

        r = build_addr(ifindex, addr, &a);
        if (r < 0)
                return r;
        r = nl_error_to_errno(rtnl_addr_build_delete_request(a, 0, &msg));
        if (r < 0)
                return r;
        return send_request(nl, msg, done, userdata, tag);
}

void vrrp_nl_cancel(VrrpNl *nl, void *userdata) {
        for (size_t i = 0; i < nl->n_pending; i++)
                if (nl->pending[i].userdata == userdata)
                        nl->pending[i].done = NULL;
}

int vrrp_nl_wait(VrrpNl *nl, usec_t timeout) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + timeout;
        int fd = nl_socket_get_fd(nl->req);

        while (nl->n_pending > 0) {
                usec_t n = now_usec(CLOCK_MONOTONIC);
                if (n >= end)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int r = poll(&p, 1, (int) ((end - n + USEC_PER_MSEC - 1) / USEC_PER_MSEC));
                if (r < 0 && errno != EINTR)
                        return -errno;
                r = req_read(nl);
                if (r < 0)
                        return r;
        }
        return 0;
}

int vrrp_nl_resync(VrrpNl *nl) {
        int r = nl_error_to_errno(nl_cache_refill(nl->sync, nl->links));
        if (r < 0)
                return r;
        return nl_error_to_errno(nl_cache_refill(nl->sync, nl->addrs));
}

int vrrp_nl_macvlan_create(VrrpNl *nl, const char *name, int parent_ifindex, const uint8_t mac[6]) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_macvlan_alloc();
        _cleanup_(nl_addr_putp) struct nl_addr *a = NULL;
        int r;

        if (!l)
                return -ENOMEM;
        a = nl_addr_build(AF_LLC, mac, 6);
        if (!a)
                return -ENOMEM;
        rtnl_link_set_name(l, name);
        rtnl_link_set_link(l, parent_ifindex);
        rtnl_link_set_addr(l, a);
        rtnl_link_set_flags(l, IFF_UP);
        /* private: the VMAC does not talk to other macvlans of the parent */
        r = nl_error_to_errno(rtnl_link_macvlan_set_mode(l, MACVLAN_MODE_PRIVATE));
        if (r < 0)
                return r;
        return nl_error_to_errno(rtnl_link_add(nl->sync, l, NLM_F_CREATE | NLM_F_EXCL));
}

int vrrp_nl_link_delete(VrrpNl *nl, const char *name) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_alloc();
        if (!l)
                return -ENOMEM;
        rtnl_link_set_name(l, name);
        return nl_error_to_errno(rtnl_link_delete(nl->sync, l));
}
