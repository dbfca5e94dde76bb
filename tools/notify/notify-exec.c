/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "notify-exec.h"

struct NotifyJob {
        pid_t pid;
        sd_event_source *child;
        sd_event_source *timer;
        usec_t started;
        usec_t timeout;
        bool timed_out;
        bool killed;
        notify_job_done_t cb;
        void *userdata;
        char *what; /* argv[0], for messages */
};

pid_t notify_job_pid(const NotifyJob *j) {
        return j->pid;
}

NotifyJob *notify_job_free(NotifyJob *j) {
        if (!j)
                return NULL;
        if (j->pid > 0 && j->child) {
                (void) kill(-j->pid, SIGKILL);
                (void) kill(j->pid, SIGKILL);
                /* reap it so it does not linger as a zombie */
                (void) waitpid(j->pid, NULL, 0);
        }
        sd_event_source_disable_unref(j->child);
        sd_event_source_disable_unref(j->timer);
        free(j->what);
        free(j);
        return NULL;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        NotifyJob *j = userdata;

        if (!j->timed_out) {
                /* The whole group: a shell script's children would otherwise
                 * keep running (and keep the next event waiting for nothing). */
                char buf[DURATION_MAX];
                j->timed_out = true;
                log_warning("%s (pid %d) still running after its timeout %s: sending SIGTERM to its process group.",
                            j->what, (int) j->pid, format_duration(buf, sizeof buf, j->timeout));
                (void) kill(-j->pid, SIGTERM);
                return sd_event_source_set_time_relative(s, NOTIFY_KILL_GRACE) < 0 ? 0 :
                       sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        log_warning("%s (pid %d) ignored SIGTERM: sending SIGKILL.", j->what, (int) j->pid);
        j->killed = true;
        (void) kill(-j->pid, SIGKILL);
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        NotifyJob *j = userdata;
        int status = si->si_code == CLD_EXITED ? si->si_status : -si->si_status;

        if (j->timed_out)
                (void) kill(-j->pid, SIGKILL); /* leftovers of the group */
        j->child = sd_event_source_disable_unref(j->child);
        j->timer = sd_event_source_disable_unref(j->timer);
        j->pid = 0;
        j->cb(j, status, j->timed_out, now_usec(CLOCK_MONOTONIC) - j->started, j->userdata);
        return 0;
}

int notify_job_start(sd_event *e, char *const *argv, char *const *env, usec_t timeout, notify_job_done_t cb,
                     void *userdata, NotifyJob **ret) {
        NotifyJob *j;
        int r;

        if (!argv || isempty(argv[0]))
                return -EINVAL;
        j = calloc(1, sizeof *j);
        if (!j)
                return -ENOMEM;
        j->what = strdup(argv[0]);
        if (!j->what) {
                free(j);
                return -ENOMEM;
        }
        j->cb = cb;
        j->userdata = userdata;
        j->timeout = timeout;
        j->started = now_usec(CLOCK_MONOTONIC);

        pid_t pid = fork();
        if (pid < 0) {
                r = -errno;
                free(j->what);
                free(j);
                return r;
        }
        if (pid == 0) {
                /* Child: only async-signal-safe work matters little here (the
                 * parent is single-threaded), but keep it minimal. */
                sigset_t none;
                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                (void) signal(SIGPIPE, SIG_DFL);
                (void) setpgid(0, 0);
                int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        (void) dup2(fd, STDIN_FILENO);
                }
                if (fd > STDIN_FILENO)
                        (void) close(fd);
                /* none of our descriptors (the bus socket, signalfd, ...) leak into scripts */
                if (close_range(3, ~0U, 0) < 0)
                        for (int i = 3; i < 65536; i++)
                                (void) close(i);
                for (size_t i = 0; env && env[i]; i++)
                        (void) putenv(env[i]);
                if (argv[0][0] == '/')
                        execv(argv[0], argv);
                else
                        execvp(argv[0], argv);
                fprintf(stderr, "vigil-notify: cannot execute %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        (void) setpgid(pid, pid); /* also here: no window where a kill(-pid) misses */
        j->pid = pid;

        r = sd_event_add_child(e, &j->child, pid, WEXITED, on_child, j);
        if (r < 0)
                goto fail;
        if (timeout > 0 && timeout != USEC_INFINITY) {
                r = sd_event_add_time_relative(e, &j->timer, CLOCK_MONOTONIC, timeout, 10 * USEC_PER_MSEC, on_timer, j);
                if (r < 0)
                        goto fail;
        }
        *ret = j;
        return 0;
fail:
        notify_job_free(j);
        return r;
}
