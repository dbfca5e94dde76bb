/* SPDX-License-Identifier: GPL-2.0-or-later */
/* file: a number read from a file is the weight (keepalived's track_file).
 * The file's directory is watched with inotify so a change is seen at once
 * (the file may be replaced by rename); the interval only re-reads it as a
 * safety net. A missing or unparsable file gives default_weight; weight 0 is
 * down when down_on_zero (the default). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "check-parse.h"
#include "check-types.h"

typedef struct FileWatch {
        int fd;
        sd_event_source *io;
        char *base;
} FileWatch;

static void evaluate(Probe *p) {
        const CheckConf *c = p->conf;
        char buf[64], detail[CHECK_DETAIL_MAX];
        int weight, r;

        _cleanup_close_ int fd = open(c->file_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                if (errno_is_local(-errno)) {
                        probe_attempt_done(p, CHECK_RESULT_ERROR, 0, "cannot open the file: too many open files");
                        return;
                }
                weight = c->file_default_weight;
                snprintf(detail, sizeof detail, "%s: %s, default weight %d", c->file_path, strerror(errno), weight);
        } else {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n < 0 || (r = file_weight_parse(buf, (size_t) n, &weight)) < 0) {
                        weight = c->file_default_weight;
                        snprintf(detail, sizeof detail, "%s: not a number, default weight %d", c->file_path, weight);
                } else
                        snprintf(detail, sizeof detail, "%s: %d", c->file_path, weight);
        }
        if (weight == 0 && c->file_down_on_zero)
                probe_attempt_done(p, CHECK_RESULT_DOWN, 0, detail);
        else
                probe_attempt_done(p, CHECK_RESULT_UP, weight, detail);
}

static int file_start(Probe *p) {
        evaluate(p); /* a regular file read does not block */
        return 0;
}

static void file_cancel(Probe *p) {
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Probe *p = userdata;
        FileWatch *w = p->setup_data;
        _Alignas(struct inotify_event) char buf[4096];
        bool hit = false;

        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n <= 0)
                        break;
                for (char *q = buf; q < buf + n;) {
                        struct inotify_event *e = (struct inotify_event *) q;
                        if ((e->len > 0 && streq(e->name, w->base)) || (e->mask & IN_Q_OVERFLOW))
                                hit = true;
                        q += sizeof *e + e->len;
                }
        }
        if (hit)
                (void) probe_run_now(p, NULL, NULL);
        return 0;
}

static int file_setup(Probe *p) {
        _cleanup_free_ char *dir = strdup(p->conf->file_path), *base = strdup(p->conf->file_path);
        FileWatch *w;
        int r;

        if (!dir || !base)
                return -ENOMEM;
        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        w->base = strdup(basename(base));
        if (w->fd < 0 || !w->base) {
                r = w->fd < 0 ? -errno : -ENOMEM;
                goto fail;
        }
        if (inotify_add_watch(w->fd, dirname(dir),
                              IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MODIFY) < 0) {
                r = -errno;
                goto fail;
        }
        r = probe_add_io(p->checker->event, &w->io, w->fd, EPOLLIN, on_inotify, p);
        if (r < 0)
                goto fail;
        p->setup_data = w;
        return 0;
fail:
        safe_close(w->fd);
        free(w->base);
        free(w);
        return r;
}

static void file_teardown(Probe *p) {
        FileWatch *w = TAKE_PTR(p->setup_data);
        if (!w)
                return;
        w->io = sd_event_source_disable_unref(w->io);
        safe_close(w->fd);
        free(w->base);
        free(w);
}

static int file_verify(const CheckConf *c, const CheckTarget *t, char *err, size_t errlen) {
        if (isempty(c->file_path) || c->file_path[0] != '/') {
                snprintf(err, errlen, "file check needs an absolute path");
                return -EINVAL;
        }
        return 0;
}

const ProbeOps probe_ops_file = {
        .start = file_start,
        .cancel = file_cancel,
        .setup = file_setup,
        .teardown = file_teardown,
        .verify = file_verify,
};
