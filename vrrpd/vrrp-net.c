/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "vrrp-net.h"
#include "vrrp-packet.h"

#define VRRP_SOCKET_RCVBUF (4 * 1024 * 1024)

static int setsockopt_int(int fd, int level, int opt, int v) {
        return RET_NERRNO(setsockopt(fd, level, opt, &v, sizeof v));
}

int vrrp_socket_open(int family, int ifindex, const char *ifname, bool unicast) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP);
        if (fd < 0)
                return -errno;

        /* Only this interface's adverts, and ours leave through it whatever the routes say. */
        r = RET_NERRNO(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname)));
        if (r < 0)
                return r;

        /* A flood of junk on the LAN must not crowd the real adverts out of
         * the queue: the default buffer holds ~230 packets. Best effort
         * (SO_RCVBUFFORCE needs CAP_NET_ADMIN, SO_RCVBUF is capped by rmem_max). */
        if (setsockopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, VRRP_SOCKET_RCVBUF) < 0)
                (void) setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, VRRP_SOCKET_RCVBUF);

        if (family == AF_INET) {
                struct ip_mreqn mreq = { .imr_ifindex = ifindex };

                r = setsockopt_int(fd, IPPROTO_IP, IP_HDRINCL, 1);
                if (r < 0)
                        return r;
                r = setsockopt_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
                if (r < 0)
                        return r;
                r = RET_NERRNO(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq));
                if (r < 0)
                        return r;
                if (!unicast) {
                        inet_pton(AF_INET, VRRP_MCAST_IPV4, &mreq.imr_multiaddr);
                        r = RET_NERRNO(setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq));
                        if (r < 0)
                                return r;
                }
        } else {
                struct ipv6_mreq mreq = { .ipv6mr_interface = (unsigned) ifindex };

                r = setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
                if (r < 0)
                        return r;
                r = setsockopt_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255);
                if (r < 0)
                        return r;
                r = setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
                if (r < 0)
                        return r;
                r = setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
                if (r < 0)
                        return r;
                r = setsockopt_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
                if (r < 0)
                        return r;
                r = setsockopt_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
                if (r < 0)
                        return r;
                if (!unicast) {
                        inet_pton(AF_INET6, VRRP_MCAST_IPV6, &mreq.ipv6mr_multiaddr);
                        r = RET_NERRNO(setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof mreq));
                        if (r < 0)
                                return r;
                }
        }
        return TAKE_FD(fd);
}

int vrrp_socket_send(int fd, int family, int ifindex, const union in_addr_union *src,
                     const union in_addr_union *dst, const uint8_t *buf, size_t len) {
        ssize_t n;

        if (family == AF_INET) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = dst->in };
                n = sendto(fd, buf, len, 0, (struct sockaddr *) &sa, sizeof sa);
        } else {
                struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = dst->in6,
                                           .sin6_scope_id = (uint32_t) ifindex };
                struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
                union {
                        struct cmsghdr h;
                        uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
                } control = {};
                struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1,
                                     .msg_control = &control, .msg_controllen = sizeof control };
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = IPPROTO_IPV6;
                c->cmsg_type = IPV6_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
                struct in6_pktinfo *pi = (struct in6_pktinfo *) CMSG_DATA(c);
                pi->ipi6_addr = src->in6;
                pi->ipi6_ifindex = (unsigned) ifindex;
                n = sendmsg(fd, &mh, 0);
        }
        if (n < 0)
                return -errno;
        if ((size_t) n != len)
                return -EIO;
        return 0;
}

ssize_t vrrp_socket_recv(int fd, int family, uint8_t *buf, size_t size, union in_addr_union *ret_src,
                         union in_addr_union *ret_dst, uint8_t *ret_hoplimit) {
        union {
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        union {
                struct cmsghdr h;
                uint8_t buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = &control, .msg_controllen = sizeof control };
        ssize_t n;

        n = recvmsg(fd, &mh, MSG_DONTWAIT);
        if (n < 0)
                return -errno;
        if (mh.msg_flags & MSG_TRUNC)
                return -EMSGSIZE;

        *ret_src = (union in_addr_union) {};
        *ret_dst = (union in_addr_union) {};
        *ret_hoplimit = 0;
        if (family == AF_INET6) {
                *ret_src = (union in_addr_union) { .in6 = sa.in6.sin6_addr };
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                        if (c->cmsg_level != IPPROTO_IPV6)
                                continue;
                        if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
                                int h;
                                memcpy(&h, CMSG_DATA(c), sizeof h);
                                *ret_hoplimit = (uint8_t) CLAMP(h, 0, 255);
                        } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
                                struct in6_pktinfo pi;
                                memcpy(&pi, CMSG_DATA(c), sizeof pi);
                                ret_dst->in6 = pi.ipi6_addr;
                        }
                }
        }
        /* IPv4: the header is in buf; the decoder reads addresses and TTL from it. */
        return n;
}

static int packet_send(int ifindex, uint16_t ethertype, const uint8_t dst[6], const void *payload, size_t len) {
        /* One socket for the daemon's life (protocol 0: it receives nothing). Closing
         * an AF_PACKET socket waits for an RCU grace period (packet_release ->
         * synchronize_rcu): one socket per GARP blocked the event loop for seconds
         * with 100 instances on a loaded host (bench/soak), long enough for peers
         * to declare the master down. */
        static int fd = -EBADF;
        struct sockaddr_ll ll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ethertype),
                .sll_ifindex = ifindex,
                .sll_halen = ETH_ALEN,
        };

        /* SOCK_DGRAM: the kernel writes the Ethernet header from sll_addr and the device MAC. */
        if (fd < 0) {
                fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
        }
        memcpy(ll.sll_addr, dst, ETH_ALEN);
        if (sendto(fd, payload, len, 0, (struct sockaddr *) &ll, sizeof ll) < 0)
                return -errno;
        return 0;
}

int vrrp_send_garp(int ifindex, const uint8_t mac[6], const struct in_addr *addr) {
        static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        uint8_t arp[28] = {
                0x00, 0x01,       /* Ethernet */
                0x08, 0x00,       /* IPv4 */
                6, 4,
                0x00, 0x01,       /* request: what keepalived sends, and what every stack honours */
        };
        memcpy(arp + 8, mac, 6);
        memcpy(arp + 14, addr, 4);
        memcpy(arp + 18, bcast, 6);
        memcpy(arp + 24, addr, 4);
        return packet_send(ifindex, ETH_P_ARP, bcast, arp, sizeof arp);
}

int vrrp_send_unsolicited_na(int ifindex, const uint8_t mac[6], const struct in6_addr *addr) {
        _cleanup_close_ int fd = -EBADF;
        struct {
                struct nd_neighbor_advert na;
                struct nd_opt_hdr opt;
                uint8_t lladdr[6];
        } __attribute__((packed)) pkt = {};
        struct sockaddr_in6 dst = { .sin6_family = AF_INET6, .sin6_scope_id = (uint32_t) ifindex };
        int r;

        fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
        if (fd < 0)
                return -errno;
        /* RFC 4861 §7.1.2: receivers drop NAs whose hop limit is not 255. */
        r = setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
        if (r < 0)
                return r;
        r = setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
        if (r < 0)
                return r;

        pkt.na.nd_na_type = ND_NEIGHBOR_ADVERT;
        pkt.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
        pkt.na.nd_na_target = *addr;
        pkt.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
        pkt.opt.nd_opt_len = 1; /* units of 8 bytes */
        memcpy(pkt.lladdr, mac, 6);
        inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);
        /* The kernel fills the ICMPv6 checksum on raw ICMPv6 sockets. */
        if (sendto(fd, &pkt, sizeof pkt, 0, (struct sockaddr *) &dst, sizeof dst) < 0)
                return -errno;
        return 0;
}
