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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check-types.h"

typedef struct ExecAttempt {
        pid_t pid;
        int out_fd;
        sd_event_source *child;
        ProbeIo *out;
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
        a->out = probe_io_free(a->out);
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

static void on_out(ProbeIo *s, int fd, uint32_t revents, void *userdata) {
        Probe *p = userdata;
        ExecAttempt *a = p->data;
        drain(a, max_output(p->conf));
        if (revents & (EPOLLHUP | EPOLLERR))
                a->out = probe_io_free(a->out);
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

/* Signals whose disposition is not SIG_DFL: the child resets them. exec
 * itself resets handlers but keeps SIG_IGN (SIGPIPE...), and a handler must
 * not run in a vfork child, which shares our memory. Looked up once (64
 * sigaction calls), at the first run: the daemon's signal setup is done by
 * then. */
static sigset_t non_default;
static bool non_default_known;

static void find_non_default(void) {
        sigemptyset(&non_default);
        for (int sig = 1; sig < _NSIG; sig++) {
                struct sigaction sa;
                if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
                        sigaddset(&non_default, sig);
        }
        non_default_known = true;
}

_noreturn_ static void child(const CheckConf *c, int out_fd, char *env_check, pid_t parent) {
        sigset_t none;

        /* A vfork child: our memory is the parent's, which waits until the
         * exec. Only plain system calls here, nothing that allocates or
         * locks. Every signal is blocked (the parent did it): reset the
         * dispositions first, then unblock. */
        for (int sig = 1; sig < _NSIG; sig++)
                if (sigismember(&non_default, sig))
                        (void) signal(sig, SIG_DFL);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        (void) setpgid(0, 0);
        /* A checker killed with SIGKILL must not leave its commands running
         * (the restarted one would start a second set). */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(126);

        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)
                _exit(126);
        (void) close_range(3, ~0U, 0);

        struct rlimit core = { 0, 0 }, nofile = { 1024, 1024 }, nproc = { 256, 256 };
        (void) setrlimit(RLIMIT_CORE, &core);
        (void) setrlimit(RLIMIT_NOFILE, &nofile);
        if (getuid() != 0) /* root's RLIMIT_NPROC is not enforced anyway */
                (void) setrlimit(RLIMIT_NPROC, &nproc);

        char *envp[] = { (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", env_check, NULL };
        if (c->shell) {
                char *argv[] = { (char *) "/bin/sh", (char *) "-c", c->command[0], NULL };
                execve("/bin/sh", argv, envp);
        } else
                execve(c->command[0], c->command, envp);
        _exit(127);
}

/* vfork, not fork: no copy of our page tables and no copy-on-write faults
 * in the daemon afterwards (it runs up to thousands of commands a second).
 * Kept in a function of its own so that little is live across vfork(). */
static __attribute__((noinline)) pid_t spawn(const CheckConf *c, int out_fd) {
        char env_check[512];
        sigset_t all, saved;
        int r;

        snprintf(env_check, sizeof env_check, "VIGIL_CHECK=%s", c->name);
        if (!non_default_known)
                find_non_default();
        sigfillset(&all);
        r = sigprocmask(SIG_SETMASK, &all, &saved);
        if (r < 0)
                return -errno;
        pid_t parent = getpid();
        pid_t pid = vfork();
        if (pid == 0)
                child(c, out_fd, env_check, parent);
        r = pid < 0 ? -errno : 0;
        (void) sigprocmask(SIG_SETMASK, &saved, NULL);
        return r < 0 ? r : pid;
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

        pid_t pid = spawn(p->conf, pipefd[1]);
        safe_close(pipefd[1]);
        if (pid < 0) {
                exec_cancel(p);
                return pid; /* "cannot run" (EAGAIN...), not "down" */
        }
        a->pid = pid; /* its own process group already: vfork returns after the exec */

        r = sd_event_add_child(p->checker->event, &a->child, pid, WEXITED, on_child, p);
        if (r < 0) {
                exec_cancel(p);
                return r;
        }
        r = probe_io_add(p->checker->loop, &a->out, a->out_fd, EPOLLIN, on_out, p);
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
