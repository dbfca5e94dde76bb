/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The benchmark's real servers: one epoll loop on 0.0.0.0:PORT answering
 * every HTTP request with "200 ok" and closing. All the benchmark's
 * backends are addresses in 127.0.0.0/8 reaching this one listener, so vigil
 * and keepalived check the same distinct ip:port pairs. Kept minimal (no
 * keep-alive, no parsing beyond the end of the headers) so the backend costs
 * as little as possible next to the checkers being measured.
 *
 *   bench-backend PORT   (runs until killed; SIGUSR1 prints "served N")
 */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFD 65536

static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
static unsigned char state[MAXFD]; /* bytes of "\r\n\r\n" matched so far */
static volatile sig_atomic_t report;

static void on_usr1(int sig) {
        report = 1;
}

int main(int argc, char **argv) {
        if (argc != 2) {
                fprintf(stderr, "usage: %s PORT\n", argv[0]);
                return 2;
        }
        signal(SIGPIPE, SIG_IGN);
        /* SIGUSR1: print the number of requests answered so far (the
         * benchmark divides CPU time by the work actually done) */
        struct sigaction sa = { .sa_handler = on_usr1 };
        sigaction(SIGUSR1, &sa, NULL);
        unsigned long long served = 0;
        int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(argv[1])) };
        setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (l < 0 || bind(l, (struct sockaddr *) &sin, sizeof sin) < 0 || listen(l, 4096) < 0) {
                perror("listen");
                return 1;
        }
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = l };
        epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
        printf("ready\n");
        fflush(stdout);

        struct epoll_event evs[256];
        for (;;) {
                int n = epoll_wait(ep, evs, 256, -1);
                if (report) {
                        report = 0;
                        printf("served %llu\n", served);
                        fflush(stdout);
                }
                if (n < 0 && errno != EINTR)
                        return 1;
                for (int i = 0; i < n; i++) {
                        int fd = evs[i].data.fd;
                        if (fd == l) {
                                int c;
                                while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                                        if (c >= MAXFD) {
                                                close(c);
                                                continue;
                                        }
                                        state[c] = 0;
                                        struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
                                        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                                }
                                continue;
                        }
                        char buf[4096];
                        ssize_t k = read(fd, buf, sizeof buf);
                        if (k < 0 && errno == EAGAIN)
                                continue;
                        bool done = false;
                        for (ssize_t j = 0; j < k && !done; j++) {
                                static const char end[] = "\r\n\r\n";
                                state[fd] = buf[j] == end[state[fd]] ? state[fd] + 1 : (buf[j] == '\r' ? 1 : 0);
                                done = state[fd] == 4;
                        }
                        if (done) {
                                (void) !write(fd, response, sizeof response - 1);
                                served++;
                        }
                        if (done || k <= 0)
                                close(fd); /* also removes it from the epoll set */
                }
        }
}
