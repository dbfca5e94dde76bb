/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exec: run a command directly (no shell unless `shell: true`), with an empty
 * environment apart from PATH and VIGIL_CHECK, stdin from /dev/null, rlimits,
 * in its own process group so a timeout kills everything it started. Exit 0 =
 * up, 1 = down, with `dynamic` 2..255 = up with weight exit-2. stdout and
 * stderr (merged, at most max_output bytes) go to the journal with CHECK=. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check-types.h"

typedef struct ExecAttempt {
        pid_t pid;
        int out_fd;
        sd_event_source *child, *out;
        char *buf;
        size_t len, cap;
        uint64_t dropped;
        bool exited;
        siginfo_t si;
} ExecAttempt;

static uint64_t max_output(const CheckConf *c) {
        return c->max_output ?: 4096;
}

static void exec_cancel(Probe *p) {
        ExecAttempt *a = TAKE_PTR(p->data);
        if (!a)
                return;
        a->child = sd_event_source_disable_unref(a->child);
        a->out = sd_event_source_disable_unref(a->out);
        if (a->pid > 0 && !a->exited) {
                /* Timeout or stop: kill the whole group and reap it here, so no
                 * zombie is left behind. SIGKILL'd processes exit at once. */
                (void) kill(-a->pid, SIGKILL);
                (void) kill(a->pid, SIGKILL);
                while (waitpid(a->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        safe_close(a->out_fd);
        free(a->buf);
        free(a);
}

static void drain(ExecAttempt *a, uint64_t limit) {
        char tmp[4096];
        for (;;) {
                ssize_t n = read(a->out_fd, tmp, sizeof tmp);
                if (n <= 0)
                        return;
                size_t keep = a->len < limit ? MIN((size_t) n, (size_t) (limit - a->len)) : 0;
                if (keep > 0) {
                        if (a->len + keep > a->cap) {
                                size_t nc = MAX(a->cap * 2, a->len + keep);
                                char *nb = realloc(a->buf, nc + 1);
                                if (!nb)
                                        return;
                                a->buf = nb;
                                a->cap = nc;
                        }
                        memcpy(a->buf + a->len, tmp, keep);
                        a->len += keep;
                }
                a->dropped += (size_t) n - keep;
        }
}

static void log_output(Probe *p, ExecAttempt *a) {
        if (a->len == 0)
                return;
        a->buf[a->len] = 0;
        for (char *line = a->buf, *nl; line && *line; line = nl) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl++ = 0;
                log_check(LOG_INFO, 0, p->conf->name, "%s: %s", p->conf->name, line);
        }
        if (a->dropped)
                log_check(LOG_INFO, 0, p->conf->name, "%s: (%llu more bytes of output dropped)", p->conf->name,
                          (unsigned long long) a->dropped);
}

static int on_out(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Probe *p = userdata;
        ExecAttempt *a = p->data;
        drain(a, max_output(p->conf));
        if (revents & (EPOLLHUP | EPOLLERR))
                a->out = sd_event_source_disable_unref(a->out);
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Probe *p = userdata;
        ExecAttempt *a = p->data;
        char detail[CHECK_DETAIL_MAX];
        CheckResultKind r;
        int weight = p->conf->weight;

        a->exited = true;
        a->si = *si;
        drain(a, max_output(p->conf));
        log_output(p, a);

        if (si->si_code == CLD_EXITED) {
                r = check_exec_status_to_result(si->si_status, p->conf->dynamic, p->conf->weight, &weight);
                if (r == CHECK_RESULT_UP && p->conf->dynamic && si->si_status >= 2)
                        snprintf(detail, sizeof detail, "exit status %d (weight %d)", si->si_status, weight);
                else
                        snprintf(detail, sizeof detail, "exit status %d", si->si_status);
        } else {
                r = CHECK_RESULT_DOWN;
                snprintf(detail, sizeof detail, "killed by signal %s", strsignal(si->si_status));
        }
        exec_cancel(p);
        probe_attempt_done(p, r, weight, detail);
        return 0;
}

_noreturn_ static void child(const CheckConf *c, int out_fd) {
        sigset_t all;
        char env_check[512];

        /* We are between fork and exec: only async-signal-safe calls. */
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        for (int sig = 1; sig < _NSIG; sig++)
                (void) signal(sig, SIG_DFL);
        (void) setpgid(0, 0);

        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)
                _exit(126);
        (void) close_range(3, ~0U, 0);

        struct rlimit core = { 0, 0 }, nofile = { 1024, 1024 }, nproc = { 256, 256 };
        (void) setrlimit(RLIMIT_CORE, &core);
        (void) setrlimit(RLIMIT_NOFILE, &nofile);
        if (getuid() != 0) /* root's RLIMIT_NPROC is not enforced anyway */
                (void) setrlimit(RLIMIT_NPROC, &nproc);

        snprintf(env_check, sizeof env_check, "VIGIL_CHECK=%s", c->name);
        char *envp[] = { (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", env_check, NULL };
        if (c->shell) {
                char *argv[] = { (char *) "/bin/sh", (char *) "-c", c->command[0], NULL };
                execve("/bin/sh", argv, envp);
        } else
                execve(c->command[0], c->command, envp);
        _exit(127);
}

static int exec_start(Probe *p) {
        ExecAttempt *a;
        int pipefd[2], r;

        if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        a = calloc(1, sizeof *a);
        if (!a) {
                safe_close(pipefd[0]);
                safe_close(pipefd[1]);
                return -ENOMEM;
        }
        a->out_fd = pipefd[0];
        p->data = a;

        pid_t pid = fork();
        if (pid < 0) {
                r = -errno;
                safe_close(pipefd[1]);
                exec_cancel(p);
                return r == -EAGAIN ? -EAGAIN : r; /* "cannot run", not "down" */
        }
        if (pid == 0)
                child(p->conf, pipefd[1]);
        safe_close(pipefd[1]);
        a->pid = pid;
        (void) setpgid(pid, pid); /* also in the parent: no race with kill(-pid) */

        r = sd_event_add_child(p->checker->event, &a->child, pid, WEXITED, on_child, p);
        if (r < 0) {
                exec_cancel(p);
                return r;
        }
        r = probe_add_io(p->checker->event, &a->out, a->out_fd, EPOLLIN, on_out, p);
        if (r < 0) {
                exec_cancel(p);
                return r;
        }
        /* Same priority as every probe event: a lower one starves behind a
         * steady stream of probe timers (seen at 1,000 exec checks). on_child
         * drains the pipe itself, so the order of the two does not matter. */
        (void) sd_event_source_set_priority(a->child, PROBE_PRIORITY);
        return 0;
}

static int exec_verify(const CheckConf *c, const CheckTarget *t, char *err, size_t errlen) {
        struct stat st;
        if (!c->command || !c->command[0]) {
                snprintf(err, errlen, "exec check needs a command");
                return -EINVAL;
        }
        if (c->shell)
                return 0;
        if (c->command[0][0] != '/') {
                snprintf(err, errlen, "command %s must be an absolute path (no PATH lookup; use shell: true for that)",
                         c->command[0]);
                return -EINVAL;
        }
        if (stat(c->command[0], &st) < 0) {
                snprintf(err, errlen, "command %s: %s", c->command[0], strerror(errno));
                return -errno;
        }
        if (!S_ISREG(st.st_mode) || access(c->command[0], X_OK) < 0) {
                snprintf(err, errlen, "command %s is not an executable file", c->command[0]);
                return -EACCES;
        }
        return 0;
}

const ProbeOps probe_ops_exec = {
        .start = exec_start,
        .cancel = exec_cancel,
        .verify = exec_verify,
};
