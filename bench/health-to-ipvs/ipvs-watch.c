/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ipvs-watch: polls /proc/net/ip_vs every INTERVAL µs and prints one line per
 * change of a destination's weight, stamped with CLOCK_REALTIME (so it can be
 * compared with $EPOCHREALTIME in bash, tcpdump -tt and dbus-monitor):
 *   EPOCH_US SERVICE DEST WEIGHT|absent
 * SERVICE and DEST are as the kernel prints them (hex, e.g. TCP/0A620064:0050).
 * A benchmark helper: a bash loop cannot poll at 1 ms under emulation, and
 * ipvsadm forks per read. Runs until SIGTERM/SIGINT.
 *   ipvs-watch [-i INTERVAL_US] [-f PROC_FILE]   (defaults 1000, /proc/net/ip_vs) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ENTRIES 16384
#define KEY_MAX 128

typedef struct Entry {
        char key[KEY_MAX]; /* "SERVICE DEST" */
        int weight;
} Entry;

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
        (void) sig;
        stop = 1;
}

static long long now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const Entry *) a)->key, ((const Entry *) b)->key);
}

/* Parses the table into out (sorted by key); returns the count, or -errno. */
static int snapshot(const char *path, char *buf, size_t bufsz, Entry *out) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t len = 0;
        for (;;) {
                if (len + 1 >= bufsz) {
                        close(fd);
                        return -EFBIG;
                }
                ssize_t n = read(fd, buf + len, bufsz - 1 - len);
                if (n < 0) {
                        int e = errno;
                        close(fd);
                        return -e;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        close(fd);
        buf[len] = 0;

        int count = 0;
        char svc[48] = "";
        for (char *line = buf, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                char a[64], b[64];
                int w;
                if (strncmp(line, "  -> ", 5) == 0) {
                        if (!svc[0] || sscanf(line + 5, "%63s %*s %d", a, &w) != 2 || count >= MAX_ENTRIES)
                                continue;
                        snprintf(out[count].key, KEY_MAX, "%.47s %.63s", svc, a);
                        out[count++].weight = w;
                } else if (sscanf(line, "%63s %63s", a, b) == 2 &&
                           (!strcmp(a, "TCP") || !strcmp(a, "UDP") || !strcmp(a, "SCTP") || !strcmp(a, "FWM")))
                        snprintf(svc, sizeof svc, "%.4s/%.40s", a, b);
        }
        qsort(out, (size_t) count, sizeof *out, cmp_entry);
        return count;
}

int main(int argc, char **argv) {
        long interval = 1000;
        const char *path = "/proc/net/ip_vs";
        int opt;
        while ((opt = getopt(argc, argv, "i:f:")) != -1) {
                if (opt == 'i')
                        interval = strtol(optarg, NULL, 10);
                else if (opt == 'f')
                        path = optarg;
                else {
                        fprintf(stderr, "usage: %s [-i INTERVAL_US] [-f PROC_FILE]\n", argv[0]);
                        return 2;
                }
        }
        if (interval < 100 || interval > 1000000) {
                fprintf(stderr, "ipvs-watch: -i %ld: interval must be 100..1000000 µs\n", interval);
                return 2;
        }
        struct sigaction sa = { .sa_handler = on_signal };
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        setvbuf(stdout, NULL, _IOLBF, 0);

        static char buf[4 << 20];
        static Entry a[MAX_ENTRIES], b[MAX_ENTRIES];
        Entry *old = a, *cur = b;
        int n_old = 0;
        long long polls = 0;
        struct timespec next;
        clock_gettime(CLOCK_MONOTONIC, &next);

        while (!stop) {
                int n = snapshot(path, buf, sizeof buf, cur);
                long long t = now_us();
                if (n < 0) {
                        fprintf(stderr, "ipvs-watch: %s: %s\n", path, strerror(-n));
                        return 1;
                }
                polls++;
                /* merge the two sorted snapshots */
                int i = 0, j = 0;
                while (i < n_old || j < n) {
                        int c = i >= n_old ? 1 : j >= n ? -1 : strcmp(old[i].key, cur[j].key);
                        if (c < 0) {
                                printf("%lld %s absent\n", t, old[i].key);
                                i++;
                        } else if (c > 0) {
                                printf("%lld %s %d\n", t, cur[j].key, cur[j].weight);
                                j++;
                        } else {
                                if (old[i].weight != cur[j].weight)
                                        printf("%lld %s %d\n", t, cur[j].key, cur[j].weight);
                                i++, j++;
                        }
                }
                Entry *tmp = old;
                old = cur, cur = tmp, n_old = n;

                next.tv_nsec += interval * 1000;
                while (next.tv_nsec >= 1000000000) {
                        next.tv_nsec -= 1000000000;
                        next.tv_sec++;
                }
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec))
                        next = now; /* late (a loaded guest): do not burst to catch up */
                else
                        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        }
        fprintf(stderr, "ipvs-watch: %lld polls\n", polls);
        return 0;
}
