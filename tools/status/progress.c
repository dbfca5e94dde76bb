/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One redrawn progress line on stderr (see progress.h). The ticker thread is
 * for steps that cannot report a count (a pure parser called once): it only
 * formats elapsed time, under the same lock as the caller's updates. */

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "time-util.h"

#define PROGRESS_MIN_INTERVAL (100 * USEC_PER_MSEC)
#define PROGRESS_TICK (200 * USEC_PER_MSEC)

struct Progress {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        pthread_t ticker;
        bool ticking, stop, drawn;
        char what[256];
        usec_t started, step_started, last_draw;
};

Progress *progress_new(void) {
        if (!isatty(STDERR_FILENO))
                return NULL;
        Progress *p = calloc(1, sizeof *p);
        if (!p)
                return NULL; /* progress is a courtesy: without memory, none */
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->cond, NULL);
        p->started = now_usec(CLOCK_MONOTONIC);
        return p;
}

/* With the lock held. */
static void draw(Progress *p, const char *line) {
        fprintf(stderr, "\r\033[K%s", line);
        fflush(stderr);
        p->drawn = true;
        p->last_draw = now_usec(CLOCK_MONOTONIC);
}

static void clear(Progress *p) {
        if (p->drawn) {
                fputs("\r\033[K", stderr);
                fflush(stderr);
                p->drawn = false;
        }
}

void progress_update(Progress *p, const char *format, ...) {
        char line[512];
        va_list ap;
        if (!p)
                return;
        pthread_mutex_lock(&p->lock);
        if (now_usec(CLOCK_MONOTONIC) - p->last_draw >= PROGRESS_MIN_INTERVAL) {
                va_start(ap, format);
                vsnprintf(line, sizeof line, format, ap);
                va_end(ap);
                draw(p, line);
        }
        pthread_mutex_unlock(&p->lock);
}

static void *ticker_main(void *userdata) {
        Progress *p = userdata;
        pthread_mutex_lock(&p->lock);
        while (!p->stop) {
                char line[320];
                usec_t el = now_usec(CLOCK_MONOTONIC) - p->step_started;
                snprintf(line, sizeof line, "%s… %llu.%01llus", p->what, (unsigned long long) (el / USEC_PER_SEC),
                         (unsigned long long) (el % USEC_PER_SEC / (USEC_PER_SEC / 10)));
                draw(p, line);
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_nsec += (long) (PROGRESS_TICK * 1000);
                until.tv_sec += until.tv_nsec / 1000000000L;
                until.tv_nsec %= 1000000000L;
                (void) pthread_cond_timedwait(&p->cond, &p->lock, &until);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

int progress_ticker_start(Progress *p, const char *what) {
        if (!p || p->ticking)
                return 0;
        pthread_mutex_lock(&p->lock);
        snprintf(p->what, sizeof p->what, "%s", what);
        p->step_started = now_usec(CLOCK_MONOTONIC);
        p->stop = false;
        pthread_mutex_unlock(&p->lock);
        int r = pthread_create(&p->ticker, NULL, ticker_main, p);
        if (r != 0)
                return -r;
        p->ticking = true;
        return 0;
}

void progress_ticker_stop(Progress *p) {
        if (!p || !p->ticking)
                return;
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->ticker, NULL);
        p->ticking = false;
}

void progress_clear(Progress *p) {
        if (!p)
                return;
        progress_ticker_stop(p);
        pthread_mutex_lock(&p->lock);
        clear(p);
        pthread_mutex_unlock(&p->lock);
}

void progress_finish(Progress *p, const char *format, ...) {
        char line[512];
        va_list ap;
        if (!p)
                return;
        progress_ticker_stop(p);
        va_start(ap, format);
        vsnprintf(line, sizeof line, format, ap);
        va_end(ap);
        usec_t el = now_usec(CLOCK_MONOTONIC) - p->started;
        pthread_mutex_lock(&p->lock);
        clear(p);
        fprintf(stderr, "%s in %llu.%02llus.\n", line, (unsigned long long) (el / USEC_PER_SEC),
                (unsigned long long) (el % USEC_PER_SEC / (USEC_PER_SEC / 100)));
        fflush(stderr);
        pthread_mutex_unlock(&p->lock);
}

Progress *progress_free(Progress *p) {
        if (!p)
                return NULL;
        progress_ticker_stop(p);
        clear(p);
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
}
