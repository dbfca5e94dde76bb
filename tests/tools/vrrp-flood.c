/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vrrp-flood: throws random and near-valid VRRP adverts at a LAN, for the
 * hostile-input tests (tests/integration/robust) and by hand.
 *
 *   vrrp-flood --iface eth0 --family 4|6 --vrid 51 --version 2|3 --addr VIP
 *              [--src ADDR] [--auth PASS] [--interval-cs 100] [--rate PPS]
 *              [--duration 10] [--count N] [--seed N] [--kinds k1,k2,...]
 *
 * Each near-valid kind is a correct advert for the target instance (priority
 * 254, so one that got through would make a master yield) broken in exactly
 * one way; the name of the vrrpd counter it must land in is printed with its
 * count, so a test can account for every packet:
 *   sent N elapsed_ms MS rate PPS send_errors E
 *   kind NAME N COUNTER         (COUNTER "?" for random bytes)
 * IPv4 goes through an IP_HDRINCL socket (TTL and source chosen here; the
 * kernel fills the IP checksum and length); IPv6 through a raw VRRP socket
 * from the interface's link-local address, the hop limit per packet in a cmsg.
 * --rate 0 sends as fast as the socket takes them. Send errors (ENOBUFS when
 * the device queue is full) are counted apart and are not in "sent". */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vrrpd/vrrp-packet.h"

typedef enum Kind {
        K_RANDOM,    /* random bytes of random length as the VRRP message */
        K_CHECKSUM,  /* one bit of the checksum flipped */
        K_VERSION,   /* version field 1, 4..15 (checksum right) */
        K_OTHERVER,  /* a correct advert of the other version (v2 at v3 or v3 at v2; v6: v2 is invalid) */
        K_TYPE,      /* type 2..15 */
        K_TTL,       /* TTL / hop limit 64 */
        K_VRID,      /* another VRID, otherwise valid */
        K_TRUNC,     /* cut inside the 8-byte header */
        K_COUNT,     /* address count larger than the addresses present */
        K_ADDRLIST,  /* one address, not ours */
        K_AUTH,      /* v2: wrong password */
        K_AUTHTYPE,  /* v2: authentication type 2 */
        _K_MAX,
} Kind;

static const char *const kind_names[_K_MAX] = {
        "random", "checksum", "version", "otherver", "type", "ttl", "vrid", "trunc", "count", "addrlist", "auth", "authtype",
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
        stop = 1;
}

static uint64_t rng_state;
static uint64_t rnd(void) { /* xorshift64*: reproducible with --seed */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 0x2545F4914F6CDD1DULL;
}

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

typedef struct Opts {
        const char *iface;
        int family, version, vrid, interval_cs;
        const char *auth;
        union in_addr_union addr, src, dst;
        double rate, duration;
        uint64_t count;
        bool kinds[_K_MAX];
} Opts;

/* The counter vrrpd must count a kind in, for an instance configured as in o. */
static const char *kind_counter(const Opts *o, Kind k) {
        switch (k) {
        case K_RANDOM:
                return "?";
        case K_CHECKSUM:
                return "rx_checksum_error";
        case K_VERSION:
        case K_OTHERVER:
                return "rx_version_error";
        case K_TYPE:
                return "rx_type_error";
        case K_TTL:
                return "rx_ttl_error";
        case K_VRID:
                return "rx_other_vrid";
        case K_TRUNC:
        case K_COUNT:
                return "rx_length_error";
        case K_ADDRLIST:
                return "rx_address_list_mismatch";
        case K_AUTH:
                return "rx_auth_error";
        case K_AUTHTYPE:
                return "rx_auth_type_mismatch";
        default:
                return "?";
        }
}

static bool kind_applies(const Opts *o, Kind k) {
        if (k == K_AUTH)
                return o->version == 2 && o->auth;
        if (k == K_AUTHTYPE)
                return o->version == 2;
        return true;
}

/* A valid advert for the target, or the other version's. Returns the VRRP message length. */
static int encode(const Opts *o, int version, uint8_t vrid, const union in_addr_union *addr, uint8_t *buf, size_t size) {
        VrrpAdvert a = {
                .family = o->family,
                .version = (uint8_t) version,
                .vrid = vrid,
                .priority = 254,
                .interval_cs = (uint16_t) (version == 2 ? (o->interval_cs + 99) / 100 * 100 : o->interval_cs),
                .auth_pass = version == 2 ? o->auth : NULL,
                .addrs = addr,
                .n_addrs = 1,
                .src = o->src,
                .dst = o->dst,
        };
        return vrrp_packet_encode(&a, buf, size);
}

static void fix_checksum(const Opts *o, uint8_t *m, size_t len) {
        int version = m[0] >> 4 == 2 ? 2 : 3;
        m[6] = m[7] = 0;
        uint16_t c = vrrp_checksum(version, o->family, &o->src, &o->dst, m, len);
        m[6] = (uint8_t) (c >> 8);
        m[7] = (uint8_t) c;
}

/* Builds one packet of kind k: the VRRP message into m (returns its length)
 * and the TTL/hop limit to send it with. */
static int build(const Opts *o, Kind k, uint8_t *m, size_t size, uint8_t *ret_ttl) {
        int len;
        *ret_ttl = 255;
        switch (k) {
        case K_RANDOM:
                len = (int) (rnd() % 81);
                for (int i = 0; i < len; i++)
                        m[i] = (uint8_t) rnd();
                return len;
        case K_OTHERVER:
                if (o->family == AF_INET6) { /* v2 over IPv6 does not exist: rejected by version */
                        len = encode(o, 3, (uint8_t) o->vrid, &o->addr, m, size);
                        m[0] = (uint8_t) (0x20 | (m[0] & 0x0f));
                        fix_checksum(o, m, (size_t) len);
                        return len;
                }
                return encode(o, o->version == 2 ? 3 : 2, (uint8_t) o->vrid, &o->addr, m, size);
        case K_VRID:
                return encode(o, o->version, (uint8_t) (o->vrid % 255 + 1), &o->addr, m, size);
        case K_ADDRLIST: {
                union in_addr_union other = o->addr;
                other.bytes[o->family == AF_INET ? 3 : 15] ^= 0x5a;
                return encode(o, o->version, (uint8_t) o->vrid, &other, m, size);
        }
        default:
                break;
        }
        len = encode(o, o->version, (uint8_t) o->vrid, &o->addr, m, size);
        if (len < 0)
                return len;
        switch (k) {
        case K_CHECKSUM:
                m[7 - (rnd() & 1)] ^= (uint8_t) (1u << (rnd() % 8));
                break;
        case K_VERSION: {
                static const uint8_t bad[] = { 0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
                m[0] = (uint8_t) (bad[rnd() % sizeof bad] << 4 | (m[0] & 0x0f));
                fix_checksum(o, m, (size_t) len);
                break;
        }
        case K_TYPE:
                m[0] = (uint8_t) ((m[0] & 0xf0) | (2 + rnd() % 14));
                fix_checksum(o, m, (size_t) len);
                break;
        case K_TTL:
                *ret_ttl = 64;
                break;
        case K_TRUNC:
                len = (int) (rnd() % VRRP_HEADER_SIZE);
                break;
        case K_COUNT:
                m[3] = (uint8_t) (2 + rnd() % 254);
                fix_checksum(o, m, (size_t) len);
                break;
        case K_AUTH:
                m[len - 1] ^= 0x21; /* last byte of the password field */
                fix_checksum(o, m, (size_t) len);
                break;
        case K_AUTHTYPE:
                m[4] = 2;
                fix_checksum(o, m, (size_t) len);
                break;
        default:
                break;
        }
        return len;
}

static int open_socket(const Opts *o) {
        int fd;
        if (o->family == AF_INET) {
                fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW); /* implies IP_HDRINCL */
                if (fd < 0)
                        return -errno;
        } else {
                fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_VRRP);
                if (fd < 0)
                        return -errno;
                struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = o->src.in6,
                                           .sin6_scope_id = if_nametoindex(o->iface) };
                int ifindex = (int) sa.sin6_scope_id;
                if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
                    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex) < 0) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
        }
        /* not looped back to a vrrpd in the sender's own namespace */
        int off = 0;
        if (setsockopt(fd, o->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
                       o->family == AF_INET ? IP_MULTICAST_LOOP : IPV6_MULTICAST_LOOP, &off, sizeof off) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->iface, (socklen_t) strlen(o->iface)) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static ssize_t send_one(const Opts *o, int fd, const uint8_t *m, size_t len, uint8_t ttl, uint16_t id) {
        if (o->family == AF_INET) {
                uint8_t pkt[VRRP_IPV4_HEADER_SIZE + VRRP_PACKET_MAX];
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = o->dst.in };
                memset(pkt, 0, VRRP_IPV4_HEADER_SIZE);
                pkt[0] = 0x45;
                pkt[1] = 0xc0;
                pkt[4] = (uint8_t) (id >> 8);
                pkt[5] = (uint8_t) id;
                pkt[8] = ttl;
                pkt[9] = IPPROTO_VRRP;
                memcpy(pkt + 12, &o->src.in, 4);
                memcpy(pkt + 16, &o->dst.in, 4);
                memcpy(pkt + VRRP_IPV4_HEADER_SIZE, m, len);
                return sendto(fd, pkt, VRRP_IPV4_HEADER_SIZE + len, 0, (struct sockaddr *) &sa, sizeof sa);
        }
        struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = o->dst.in6 };
        int hops = ttl;
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } c = {};
        struct iovec iov = { .iov_base = (void *) m, .iov_len = len };
        struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = c.buf, .msg_controllen = sizeof c.buf };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = IPPROTO_IPV6;
        cm->cmsg_type = IPV6_HOPLIMIT;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &hops, sizeof hops);
        return sendmsg(fd, &mh, 0);
}

static int link_local(const char *iface, struct in6_addr *ret) {
        struct ifaddrs *ifa, *i;
        int r = -EADDRNOTAVAIL;
        if (getifaddrs(&ifa) < 0)
                return -errno;
        for (i = ifa; i; i = i->ifa_next)
                if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 && strcmp(i->ifa_name, iface) == 0) {
                        const struct in6_addr *a = &((struct sockaddr_in6 *) i->ifa_addr)->sin6_addr;
                        if (IN6_IS_ADDR_LINKLOCAL(a)) {
                                *ret = *a;
                                r = 0;
                                break;
                        }
                }
        freeifaddrs(ifa);
        return r;
}

static void usage(FILE *f) {
        fprintf(f, "usage: vrrp-flood --iface IF --family 4|6 --vrid N --version 2|3 --addr VIP [--src ADDR]\n"
                   "       [--auth PASS] [--interval-cs CS] [--rate PPS] [--duration S] [--count N] [--seed N]\n"
                   "       [--kinds random,checksum,version,otherver,type,ttl,vrid,trunc,count,addrlist,auth,authtype]\n");
}

static int parse_addr(int family, const char *s, union in_addr_union *ret) {
        return inet_pton(family, s, ret) == 1 ? 0 : -EINVAL;
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "iface", required_argument, NULL, 'i' },     { "family", required_argument, NULL, 'f' },
                { "vrid", required_argument, NULL, 'v' },      { "version", required_argument, NULL, 'V' },
                { "addr", required_argument, NULL, 'a' },      { "src", required_argument, NULL, 's' },
                { "auth", required_argument, NULL, 'A' },      { "interval-cs", required_argument, NULL, 'I' },
                { "rate", required_argument, NULL, 'r' },      { "duration", required_argument, NULL, 'd' },
                { "count", required_argument, NULL, 'n' },     { "seed", required_argument, NULL, 'S' },
                { "kinds", required_argument, NULL, 'k' },     { "help", no_argument, NULL, 'h' },
                {},
        };
        Opts o = { .family = AF_INET, .version = 3, .vrid = 51, .interval_cs = 100, .duration = 10 };
        const char *addr = NULL, *src = NULL, *kinds = NULL;
        int c;

        rng_state = 0x9e3779b97f4a7c15ULL;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
                switch (c) {
                case 'i':
                        o.iface = optarg;
                        break;
                case 'f':
                        o.family = atoi(optarg) == 6 ? AF_INET6 : AF_INET;
                        break;
                case 'v':
                        o.vrid = atoi(optarg);
                        break;
                case 'V':
                        o.version = atoi(optarg);
                        break;
                case 'a':
                        addr = optarg;
                        break;
                case 's':
                        src = optarg;
                        break;
                case 'A':
                        o.auth = optarg;
                        break;
                case 'I':
                        o.interval_cs = atoi(optarg);
                        break;
                case 'r':
                        o.rate = atof(optarg);
                        break;
                case 'd':
                        o.duration = atof(optarg);
                        break;
                case 'n':
                        o.count = strtoull(optarg, NULL, 10);
                        break;
                case 'S':
                        rng_state = strtoull(optarg, NULL, 0) | 1;
                        break;
                case 'k':
                        kinds = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        if (!o.iface || !addr || o.vrid < 1 || o.vrid > 255 || (o.version != 2 && o.version != 3) ||
            o.interval_cs < 1 || o.interval_cs > VRRP_V3_MAX_INTERVAL_CS || optind != argc) {
                usage(stderr);
                return 2;
        }
        if (parse_addr(o.family, addr, &o.addr) < 0) {
                fprintf(stderr, "vrrp-flood: --addr %s: not an IPv%d address\n", addr, o.family == AF_INET ? 4 : 6);
                return 2;
        }
        if (o.family == AF_INET) {
                if (!src || parse_addr(AF_INET, src, &o.src) < 0) {
                        fprintf(stderr, "vrrp-flood: IPv4 needs --src ADDR (an IPv4 address)\n");
                        return 2;
                }
                (void) parse_addr(AF_INET, "224.0.0.18", &o.dst);
        } else {
                int r = src ? parse_addr(AF_INET6, src, &o.src) : link_local(o.iface, &o.src.in6);
                if (r < 0) {
                        fprintf(stderr, "vrrp-flood: no IPv6 source (--src, or a link-local address on %s): %s\n",
                                o.iface, strerror(-r));
                        return 2;
                }
                (void) parse_addr(AF_INET6, "ff02::12", &o.dst);
        }
        if (kinds) {
                char *dup = strdup(kinds), *save = NULL;
                for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                        int k;
                        for (k = 0; k < _K_MAX && strcmp(kind_names[k], t) != 0; k++)
                                ;
                        if (k == _K_MAX) {
                                fprintf(stderr, "vrrp-flood: --kinds: unknown kind '%s'\n", t);
                                return 2;
                        }
                        o.kinds[k] = true;
                }
                free(dup);
        } else
                for (int k = 0; k < _K_MAX; k++)
                        o.kinds[k] = true;
        Kind active[_K_MAX];
        size_t n_active = 0;
        for (int k = 0; k < _K_MAX; k++)
                if (o.kinds[k] && kind_applies(&o, (Kind) k))
                        active[n_active++] = (Kind) k;
        if (n_active == 0) {
                fprintf(stderr, "vrrp-flood: no kind applies to version %d%s\n", o.version, o.auth ? "" : " without --auth");
                return 2;
        }

        int fd = open_socket(&o);
        if (fd < 0) {
                fprintf(stderr, "vrrp-flood: socket on %s: %s\n", o.iface, strerror(-fd));
                return 1;
        }
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);

        uint64_t sent[_K_MAX] = {}, total = 0, errors = 0;
        uint8_t m[VRRP_PACKET_MAX];
        double start = now_s(), end = start + o.duration, t = start;
        for (uint64_t i = 0; !stop; i++) {
                if (o.count && total >= o.count)
                        break;
                if ((i & 63) == 0) {
                        t = now_s();
                        if (t >= end)
                                break;
                }
                /* pacing: never ahead of rate × elapsed */
                if (o.rate > 0 && (double) (total + errors) >= (t - start) * o.rate) {
                        struct timespec ts = { .tv_nsec = 50000 };
                        nanosleep(&ts, NULL);
                        t = now_s();
                        if (t >= end)
                                break;
                        continue;
                }
                Kind k = active[rnd() % n_active];
                uint8_t ttl;
                int len = build(&o, k, m, sizeof m, &ttl);
                if (len < 0) {
                        fprintf(stderr, "vrrp-flood: encoding %s: %s\n", kind_names[k], strerror(-len));
                        return 1;
                }
                if (send_one(&o, fd, m, (size_t) len, ttl, (uint16_t) i) < 0) {
                        if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
                                fprintf(stderr, "vrrp-flood: send: %s\n", strerror(errno));
                                return 1;
                        }
                        errors++;
                        continue;
                }
                sent[k]++;
                total++;
        }
        double el = now_s() - start;
        printf("sent %llu elapsed_ms %.0f rate %.0f send_errors %llu\n", (unsigned long long) total, el * 1000,
               el > 0 ? (double) total / el : 0.0, (unsigned long long) errors);
        for (size_t j = 0; j < n_active; j++)
                printf("kind %s %llu %s\n", kind_names[active[j]], (unsigned long long) sent[active[j]],
                       kind_counter(&o, active[j]));
        close(fd);
        return 0;
}
