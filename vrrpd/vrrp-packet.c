/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "vrrp-packet.h"

static const char *const rx_error_names[_VRRP_RX_ERROR_MAX] = {
        [VRRP_RX_OK] = "ok",
        [VRRP_RX_IP_HEADER] = "rx_ip_header_error",
        [VRRP_RX_TTL] = "rx_ttl_error",
        [VRRP_RX_VERSION] = "rx_version_error",
        [VRRP_RX_TYPE] = "rx_type_error",
        [VRRP_RX_LENGTH] = "rx_length_error",
        [VRRP_RX_CHECKSUM] = "rx_checksum_error",
        [VRRP_RX_VRID] = "rx_other_vrid",
        [VRRP_RX_INTERVAL] = "rx_interval_mismatch",
        [VRRP_RX_ADDR_LIST] = "rx_address_list_mismatch",
        [VRRP_RX_AUTH_TYPE] = "rx_auth_type_mismatch",
        [VRRP_RX_AUTH] = "rx_auth_error",
        [VRRP_RX_FAMILY] = "rx_family_error",
        [VRRP_RX_SOURCE] = "rx_unknown_source",
};

const char *vrrp_rx_error_to_string(VrrpRxError e) {
        if ((unsigned) e >= _VRRP_RX_ERROR_MAX)
                return NULL;
        return rx_error_names[e];
}

uint32_t vrrp_csum_partial(const void *buf, size_t len, uint32_t sum) {
        const uint8_t *p = buf;

        /* Byte-wise big-endian 16-bit words: alignment-free and the same on any host. */
        for (; len >= 2; p += 2, len -= 2)
                sum += (uint32_t) p[0] << 8 | p[1];
        if (len)
                sum += (uint32_t) p[0] << 8;
        /* Fold early so long inputs cannot overflow. */
        while (sum >> 16 && sum > 0x7fffffffu)
                sum = (sum & 0xffff) + (sum >> 16);
        return sum;
}

uint16_t vrrp_csum_fold(uint32_t sum) {
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t) ~sum;
}

uint16_t vrrp_checksum(int version, int family, const union in_addr_union *src, const union in_addr_union *dst,
                       const uint8_t *vrrp, size_t len) {
        uint32_t sum = 0;

        if (version == 3) {
                size_t alen = family == AF_INET6 ? 16 : 4;
                uint8_t tail[8];

                sum = vrrp_csum_partial(src->bytes, alen, sum);
                sum = vrrp_csum_partial(dst->bytes, alen, sum);
                if (family == AF_INET6) {
                        /* RFC 8200 §8.1: 32-bit length, 3 zero bytes, next header. */
                        tail[0] = (uint8_t) (len >> 24);
                        tail[1] = (uint8_t) (len >> 16);
                        tail[2] = (uint8_t) (len >> 8);
                        tail[3] = (uint8_t) len;
                        tail[4] = tail[5] = tail[6] = 0;
                        tail[7] = IPPROTO_VRRP;
                        sum = vrrp_csum_partial(tail, 8, sum);
                } else {
                        /* RFC 793-style: zero, protocol, 16-bit length. */
                        tail[0] = 0;
                        tail[1] = IPPROTO_VRRP;
                        tail[2] = (uint8_t) (len >> 8);
                        tail[3] = (uint8_t) len;
                        sum = vrrp_csum_partial(tail, 4, sum);
                }
        }
        sum = vrrp_csum_partial(vrrp, len, sum);
        return vrrp_csum_fold(sum);
}

static size_t addr_len(int family) {
        return family == AF_INET6 ? 16 : 4;
}

VrrpRxError vrrp_packet_decode(int family, const union in_addr_union *src, const union in_addr_union *dst,
                               uint8_t ttl, const uint8_t *buf, size_t len, VrrpPacket *ret) {
        size_t alen, need;

        if (family != AF_INET && family != AF_INET6)
                return VRRP_RX_FAMILY;

        memset(ret, 0, offsetof(VrrpPacket, addrs));
        ret->family = family;
        ret->src = *src;
        ret->dst = *dst;
        ret->ttl = ttl;

        /* RFC 5798 §7.1 / RFC 3768 §7.1: in this order. */
        if (ttl != 255)
                return VRRP_RX_TTL;
        if (len < VRRP_HEADER_SIZE)
                return VRRP_RX_LENGTH;

        ret->version = buf[0] >> 4;
        ret->type = buf[0] & 0x0f;
        ret->vrid = buf[1];
        ret->priority = buf[2];
        ret->n_addrs = buf[3];
        ret->checksum = (uint16_t) (buf[6] << 8 | buf[7]);

        if (ret->version != 2 && ret->version != 3)
                return VRRP_RX_VERSION;
        if (ret->version == 2 && family != AF_INET)
                return VRRP_RX_VERSION; /* VRRPv2 is IPv4 only */
        if (ret->type != VRRP_TYPE_ADVERTISEMENT)
                return VRRP_RX_TYPE;

        alen = addr_len(family);
        need = VRRP_HEADER_SIZE + (size_t) ret->n_addrs * alen + (ret->version == 2 ? VRRP_AUTH_DATA_SIZE : 0);
        if (ret->n_addrs == 0 || len != need)
                return VRRP_RX_LENGTH;

        if (vrrp_checksum(ret->version, family, src, dst, buf, len) != 0)
                return VRRP_RX_CHECKSUM;

        if (ret->version == 3)
                ret->interval_cs = (uint16_t) ((buf[4] & 0x0f) << 8 | buf[5]);
        else {
                ret->auth_type = buf[4];
                ret->interval_cs = (uint16_t) (buf[5] * 100);
                memcpy(ret->auth_data, buf + VRRP_HEADER_SIZE + (size_t) ret->n_addrs * alen, VRRP_AUTH_DATA_SIZE);
        }
        for (size_t i = 0; i < ret->n_addrs; i++)
                memcpy(ret->addrs[i].bytes, buf + VRRP_HEADER_SIZE + i * alen, alen);

        return VRRP_RX_OK;
}

VrrpRxError vrrp_packet_decode_ipv4(const uint8_t *buf, size_t len, VrrpPacket *ret) {
        union in_addr_union src = {}, dst = {};
        size_t ihl, total;

        memset(ret, 0, offsetof(VrrpPacket, addrs));
        ret->family = AF_INET;

        if (len < VRRP_IPV4_HEADER_SIZE || buf[0] >> 4 != 4)
                return VRRP_RX_IP_HEADER;
        ihl = (size_t) (buf[0] & 0x0f) * 4;
        total = (size_t) buf[2] << 8 | buf[3];
        /* Raw sockets deliver reassembled datagrams, so total must match what we got
         * (the kernel may already have trimmed link-layer padding). */
        if (ihl < VRRP_IPV4_HEADER_SIZE || ihl > len || total < ihl || total > len)
                return VRRP_RX_IP_HEADER;
        if (buf[9] != IPPROTO_VRRP)
                return VRRP_RX_IP_HEADER;

        memcpy(&src.in, buf + 12, 4);
        memcpy(&dst.in, buf + 16, 4);
        return vrrp_packet_decode(AF_INET, &src, &dst, buf[8], buf + ihl, total - ihl, ret);
}

VrrpRxError vrrp_packet_check(const VrrpPacket *p, const VrrpExpect *e, bool *ret_accept_anyway) {
        bool accept_anyway = false;

        if (ret_accept_anyway)
                *ret_accept_anyway = false;

        if (p->family != e->family)
                return VRRP_RX_FAMILY;
        if (p->version != e->version)
                return VRRP_RX_VERSION;
        if (p->vrid != e->vrid)
                return VRRP_RX_VRID;

        if (p->version == 2) {
                uint8_t want = e->auth_pass ? VRRP_AUTH_PASS : VRRP_AUTH_NONE;
                if (p->auth_type != want)
                        return VRRP_RX_AUTH_TYPE;
                if (want == VRRP_AUTH_PASS) {
                        char pw[VRRP_AUTH_DATA_SIZE] = {};
                        /* keepalived pads the password with zeros to 8 bytes. */
                        memcpy(pw, e->auth_pass, MIN(strlen(e->auth_pass), sizeof pw));
                        if (memcmp(pw, p->auth_data, sizeof pw) != 0)
                                return VRRP_RX_AUTH;
                }
                /* RFC 3768 §7.1: a different Adver Interval MUST be discarded. */
                if (p->interval_cs != e->interval_cs)
                        return VRRP_RX_INTERVAL;
        }

        /* Address list: the same set, in any order. */
        bool same = p->n_addrs == e->n_addrs;
        for (size_t i = 0; same && i < p->n_addrs; i++) {
                bool found = false;
                for (size_t j = 0; j < e->n_addrs && !found; j++)
                        found = address_equal(p->family, &p->addrs[i], &e->addrs[j]);
                same = found;
        }
        if (!same) {
                /* RFC 3768 §7.1: continue only if the sender is the address owner.
                 * RFC 5798 only asks to log it; we follow keepalived and drop, as a
                 * mismatch means a misconfigured peer whose adverts must not decide
                 * who holds our addresses. */
                if (p->priority != 255)
                        return VRRP_RX_ADDR_LIST;
                accept_anyway = true;
        }

        if (p->version == 3 && p->interval_cs != e->interval_cs)
                /* RFC 5798 §6.4.2: a backup learns Master_Adver_Interval from the
                 * master; count the mismatch but keep the packet. */
                accept_anyway = true;

        if (ret_accept_anyway)
                *ret_accept_anyway = accept_anyway;
        if (accept_anyway)
                return p->version == 3 && p->interval_cs != e->interval_cs ? VRRP_RX_INTERVAL : VRRP_RX_ADDR_LIST;
        return VRRP_RX_OK;
}

int vrrp_packet_encode(const VrrpAdvert *a, uint8_t *buf, size_t size) {
        size_t alen, len;

        if (a->family != AF_INET && a->family != AF_INET6)
                return -EINVAL;
        if (a->version != 2 && a->version != 3)
                return -EINVAL;
        if (a->version == 2 && a->family != AF_INET)
                return -EINVAL;
        if (a->vrid == 0 || a->n_addrs == 0 || a->n_addrs > VRRP_MAX_ADDRS)
                return -EINVAL;
        if (a->version == 3 && (a->interval_cs == 0 || a->interval_cs > VRRP_V3_MAX_INTERVAL_CS))
                return -EINVAL;
        if (a->version == 2 && (a->interval_cs == 0 || a->interval_cs % 100 != 0 || a->interval_cs / 100 > 255))
                return -EINVAL;
        if (a->auth_pass && (a->version != 2 || strlen(a->auth_pass) > VRRP_AUTH_DATA_SIZE))
                return -EINVAL;

        alen = addr_len(a->family);
        len = VRRP_HEADER_SIZE + a->n_addrs * alen + (a->version == 2 ? VRRP_AUTH_DATA_SIZE : 0);
        if (len > size)
                return -ENOBUFS;

        memset(buf, 0, len);
        buf[0] = (uint8_t) (a->version << 4 | VRRP_TYPE_ADVERTISEMENT);
        buf[1] = a->vrid;
        buf[2] = a->priority;
        buf[3] = (uint8_t) a->n_addrs;
        if (a->version == 3) {
                buf[4] = (uint8_t) (a->interval_cs >> 8); /* 4 reserved bits stay zero */
                buf[5] = (uint8_t) a->interval_cs;
        } else {
                buf[4] = a->auth_pass ? VRRP_AUTH_PASS : VRRP_AUTH_NONE;
                buf[5] = (uint8_t) (a->interval_cs / 100);
        }
        for (size_t i = 0; i < a->n_addrs; i++)
                memcpy(buf + VRRP_HEADER_SIZE + i * alen, a->addrs[i].bytes, alen);
        if (a->version == 2 && a->auth_pass)
                memcpy(buf + VRRP_HEADER_SIZE + a->n_addrs * alen, a->auth_pass, strlen(a->auth_pass));

        uint16_t c = vrrp_checksum(a->version, a->family, &a->src, &a->dst, buf, len);
        buf[6] = (uint8_t) (c >> 8);
        buf[7] = (uint8_t) c;
        return (int) len;
}

int vrrp_packet_encode_ipv4(const VrrpAdvert *a, uint16_t ip_id, uint8_t *buf, size_t size) {
        int r;

        if (a->family != AF_INET)
                return -EINVAL;
        if (size < VRRP_IPV4_HEADER_SIZE)
                return -ENOBUFS;

        r = vrrp_packet_encode(a, buf + VRRP_IPV4_HEADER_SIZE, size - VRRP_IPV4_HEADER_SIZE);
        if (r < 0)
                return r;

        size_t total = VRRP_IPV4_HEADER_SIZE + (size_t) r;
        uint8_t *h = buf;
        memset(h, 0, VRRP_IPV4_HEADER_SIZE);
        h[0] = 0x45;
        h[1] = 0xc0;            /* DSCP CS6 (network control), as keepalived sends */
        h[2] = (uint8_t) (total >> 8);
        h[3] = (uint8_t) total;
        h[4] = (uint8_t) (ip_id >> 8);
        h[5] = (uint8_t) ip_id;
        h[8] = 255;             /* RFC 5798 §5.1.1.3 */
        h[9] = IPPROTO_VRRP;
        memcpy(h + 12, &a->src.in, 4);
        memcpy(h + 16, &a->dst.in, 4);
        uint16_t c = vrrp_csum_fold(vrrp_csum_partial(h, VRRP_IPV4_HEADER_SIZE, 0));
        h[10] = (uint8_t) (c >> 8);
        h[11] = (uint8_t) c;
        return (int) total;
}

usec_t vrrp_interval_cs_to_usec(uint16_t cs) {
        return (usec_t) cs * 10 * USEC_PER_MSEC;
}

int vrrp_interval_usec_to_cs(int version, usec_t u, uint16_t *ret) {
        if (version == 2) {
                usec_t s = (u + USEC_PER_SEC / 2) / USEC_PER_SEC;
                if (s < 1 || s > 255)
                        return -ERANGE;
                *ret = (uint16_t) (s * 100);
                return 0;
        }
        usec_t cs = (u + 5 * USEC_PER_MSEC) / (10 * USEC_PER_MSEC);
        if (cs < 1 || cs > VRRP_V3_MAX_INTERVAL_CS)
                return -ERANGE;
        *ret = (uint16_t) cs;
        return 0;
}
