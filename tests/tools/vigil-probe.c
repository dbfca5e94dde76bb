/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigil-probe: watches a VIP from a client the way split brain is defined,
 * by behaviour: who answers ARP for it, and whether requests to it succeed.
 *
 *   vigil-probe --iface eth0 --vip 10.0.0.200 [--arp-interval 10ms]
 *               [--http 10.0.0.200:80 --http-interval 50ms] --duration 30s --out FILE
 *
 * Every ARP request gets a sequence number; each reply is logged with the
 * sender MAC. Two different MACs answering the same request = both nodes
 * answer for the VIP at that instant. Lines (times: CLOCK_REALTIME, ms):
 *   req  T SEQ
 *   arp  T SEQ MAC
 *   http T ok|fail MS FIRSTLINE
 * The ARP and HTTP probes are two processes writing with O_APPEND, one line
 * per write(), so lines never interleave. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "time-util.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
        stop = 1;
}

static double now_ms(void) {
        return (double) now_usec(CLOCK_REALTIME) / 1000.0;
}

static void out_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_line(int fd, const char *fmt, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (n > 0)
                (void) !write(fd, buf, (size_t) (n < (int) sizeof buf ? n : (int) sizeof buf - 1));
}

struct arp_pkt {
        struct ether_header eth;
        struct ether_arp arp;
} __attribute__((packed));

static int arp_loop(const char *iface, struct in_addr vip, usec_t interval, usec_t duration, int out) {
        int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
        if (fd < 0) {
                perror("socket(AF_PACKET)");
                return 1;
        }
        struct ifreq ifr = {};
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface);
        if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
                perror(iface);
                return 1;
        }
        int ifindex = ifr.ifr_ifindex;
        if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
                perror("SIOCGIFHWADDR");
                return 1;
        }
        uint8_t mymac[6];
        memcpy(mymac, ifr.ifr_hwaddr.sa_data, 6);
        struct in_addr myip = {};
        int ufd = socket(AF_INET, SOCK_DGRAM, 0);
        struct ifreq ifa = {};
        snprintf(ifa.ifr_name, sizeof ifa.ifr_name, "%s", iface);
        if (ufd >= 0 && ioctl(ufd, SIOCGIFADDR, &ifa) == 0)
                myip = ((struct sockaddr_in *) &ifa.ifr_addr)->sin_addr;
        if (ufd >= 0)
                close(ufd);

        struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_protocol = htons(ETH_P_ARP) };
        if (bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
                perror("bind");
                return 1;
        }
        struct arp_pkt req = {};
        memset(req.eth.ether_dhost, 0xff, 6);
        memcpy(req.eth.ether_shost, mymac, 6);
        req.eth.ether_type = htons(ETHERTYPE_ARP);
        req.arp.arp_hrd = htons(ARPHRD_ETHER);
        req.arp.arp_pro = htons(ETHERTYPE_IP);
        req.arp.arp_hln = 6;
        req.arp.arp_pln = 4;
        req.arp.arp_op = htons(ARPOP_REQUEST);
        memcpy(req.arp.arp_sha, mymac, 6);
        memcpy(req.arp.arp_spa, &myip, 4);
        memcpy(req.arp.arp_tpa, &vip, 4);
        struct sockaddr_ll dst = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
        memset(dst.sll_addr, 0xff, 6);

        usec_t start = now_usec(CLOCK_MONOTONIC), next = start;
        unsigned long seq = 0;
        while (!stop && now_usec(CLOCK_MONOTONIC) - start < duration) {
                usec_t t = now_usec(CLOCK_MONOTONIC);
                if (t >= next) {
                        seq++;
                        out_line(out, "req %.3f %lu\n", now_ms(), seq);
                        (void) sendto(fd, &req, sizeof req, 0, (struct sockaddr *) &dst, sizeof dst);
                        next += interval;
                        if (next < t)
                                next = t + interval;
                        continue;
                }
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int timeout = (int) ((next - t + 999) / 1000);
                if (poll(&p, 1, timeout) <= 0)
                        continue;
                struct arp_pkt rep;
                ssize_t n;
                while ((n = recv(fd, &rep, sizeof rep, 0)) >= (ssize_t) sizeof rep) {
                        if (ntohs(rep.arp.arp_op) != ARPOP_REPLY || memcmp(rep.arp.arp_spa, &vip, 4) != 0)
                                continue;
                        const uint8_t *m = rep.arp.arp_sha;
                        out_line(out, "arp %.3f %lu %02x:%02x:%02x:%02x:%02x:%02x\n", now_ms(), seq, m[0], m[1], m[2], m[3],
                                 m[4], m[5]);
                }
        }
        return 0;
}

static int http_once(const struct sockaddr_in *sa, usec_t timeout, char *first, size_t firstlen) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct timeval tv = { .tv_sec = (time_t) (timeout / USEC_PER_SEC), .tv_usec = (suseconds_t) (timeout % USEC_PER_SEC) };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int r = -EIO;
        if (connect(fd, (const struct sockaddr *) sa, sizeof *sa) < 0) {
                r = -errno;
                goto out;
        }
        static const char get[] = "GET / HTTP/1.0\r\n\r\n";
        if (write(fd, get, sizeof get - 1) != (ssize_t) sizeof get - 1) {
                r = -errno;
                goto out;
        }
        char buf[2048];
        size_t len = 0;
        ssize_t n;
        while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
                len += (size_t) n;
        buf[len] = 0;
        if (strncmp(buf, "HTTP/1.", 7) != 0 || !strstr(buf, " 200 ")) {
                r = -EPROTO;
                goto out;
        }
        const char *body = strstr(buf, "\r\n\r\n");
        snprintf(first, firstlen, "%s", body ? body + 4 : "");
        first[strcspn(first, "\r\n")] = 0;
        r = 0;
out:
        close(fd);
        return r;
}

static int http_loop(const char *target, usec_t interval, usec_t duration, int out) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        char host[64];
        snprintf(host, sizeof host, "%s", target);
        char *colon = strrchr(host, ':');
        if (colon)
                *colon = 0;
        if (!colon || inet_pton(AF_INET, host, &sa.sin_addr) != 1 || atoi(colon + 1) <= 0 || atoi(colon + 1) > 65535) {
                fprintf(stderr, "--http: expected IPv4:PORT, got '%s'\n", target);
                return 1;
        }
        sa.sin_port = htons((uint16_t) atoi(colon + 1));
        usec_t start = now_usec(CLOCK_MONOTONIC), next = start;
        while (!stop && now_usec(CLOCK_MONOTONIC) - start < duration) {
                usec_t t = now_usec(CLOCK_MONOTONIC);
                if (t < next) {
                        usleep((useconds_t) (next - t));
                        continue;
                }
                next += interval;
                char first[128] = "";
                double t0 = now_ms();
                int r = http_once(&sa, 500 * USEC_PER_MSEC, first, sizeof first);
                double t1 = now_ms();
                out_line(out, "http %.3f %s %.1f %s\n", t0, r == 0 ? "ok" : "fail", t1 - t0, r == 0 ? first : strerror(-r));
        }
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "iface", required_argument, NULL, 'i' },
                { "vip", required_argument, NULL, 'v' },
                { "arp-interval", required_argument, NULL, 'a' },
                { "http", required_argument, NULL, 'H' },
                { "http-interval", required_argument, NULL, 'I' },
                { "duration", required_argument, NULL, 'd' },
                { "out", required_argument, NULL, 'o' },
                {}
        };
        const char *iface = NULL, *vip_s = NULL, *http = NULL, *outp = NULL;
        usec_t arp_interval = 10 * USEC_PER_MSEC, http_interval = 50 * USEC_PER_MSEC, duration = 30 * USEC_PER_SEC;
        int c;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                usec_t *target = NULL;
                switch (c) {
                case 'i': iface = optarg; break;
                case 'v': vip_s = optarg; break;
                case 'H': http = optarg; break;
                case 'o': outp = optarg; break;
                case 'a': target = &arp_interval; break;
                case 'I': target = &http_interval; break;
                case 'd': target = &duration; break;
                default: return 2;
                }
                if (target && (parse_duration(optarg, target) < 0 || *target == 0)) {
                        fprintf(stderr, "invalid duration '%s'\n", optarg);
                        return 2;
                }
        }
        struct in_addr vip;
        if (!iface || !vip_s || inet_pton(AF_INET, vip_s, &vip) != 1) {
                fprintf(stderr, "usage: vigil-probe --iface IF --vip IPv4 [--http ADDR:PORT] [--duration D] [--out FILE]\n");
                return 2;
        }
        int out = outp ? open(outp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : STDOUT_FILENO;
        if (out < 0) {
                perror(outp);
                return 1;
        }
        struct sigaction sa = { .sa_handler = on_signal };
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        pid_t child = -1;
        if (http) {
                child = fork();
                if (child == 0)
                        _exit(http_loop(http, http_interval, duration, out));
        }
        int r = arp_loop(iface, vip, arp_interval, duration, out);
        if (child > 0) {
                if (stop)
                        kill(child, SIGTERM);
                int st;
                waitpid(child, &st, 0);
        }
        return r;
}
