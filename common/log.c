/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"
#include "time-util.h"

static const char *log_ident = "vigil";
static int max_level = LOG_INFO;
static LogTarget target = LOG_TARGET_AUTO;
static bool use_journal;

static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

static void log_refresh(void) {
        use_journal = target == LOG_TARGET_JOURNAL || (target == LOG_TARGET_AUTO && stderr_is_journal());
}

void log_setup(const char *ident) {
        if (ident)
                log_ident = ident;
        const char *e = getenv("VIGIL_LOG_LEVEL");
        if (e)
                (void) log_set_max_level_from_string(e);
        e = getenv("VIGIL_LOG_TARGET");
        if (e)
                (void) log_set_target_from_string(e);
        log_refresh();
}

void log_set_max_level(int level) {
        max_level = CLAMP(level, LOG_EMERG, LOG_DEBUG);
}

int log_get_max_level(void) {
        return max_level;
}

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "err",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

int log_set_max_level_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (streq(s, level_names[i])) {
                        log_set_max_level((int) i);
                        return 0;
                }
        if (streq(s, "error")) {
                log_set_max_level(LOG_ERR);
                return 0;
        }
        if (streq(s, "warn")) {
                log_set_max_level(LOG_WARNING);
                return 0;
        }
        char *end;
        long l = strtol(s, &end, 10);
        if (*s && !*end && l >= 0 && l <= 7) {
                log_set_max_level((int) l);
                return 0;
        }
        return -EINVAL;
}

void log_set_target(LogTarget t) {
        target = t;
        log_refresh();
}

LogTarget log_get_target(void) {
        return target;
}

int log_set_target_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        if (streq(s, "auto"))
                log_set_target(LOG_TARGET_AUTO);
        else if (streq(s, "journal"))
                log_set_target(LOG_TARGET_JOURNAL);
        else if (streq(s, "console") || streq(s, "stderr"))
                log_set_target(LOG_TARGET_CONSOLE);
        else
                return -EINVAL;
        return 0;
}

int log_internalv(int level, int error, const char *file, int line, const char *func,
                  const char *const *fields, const char *format, va_list ap) {
        char msg[2048];
        int saved_errno = errno;

        if (error < 0)
                error = -error;
        errno = error; /* so %m works */
        vsnprintf(msg, sizeof msg, format, ap);

        if (use_journal) {
                size_t n = 0;
                struct iovec iov[24];
                char prio[16], code_file[256], code_line[32], code_func[128], errbuf[32], m[2100];

                snprintf(m, sizeof m, "MESSAGE=%s", msg);
                snprintf(prio, sizeof prio, "PRIORITY=%d", level);
                snprintf(code_file, sizeof code_file, "CODE_FILE=%s", file);
                snprintf(code_line, sizeof code_line, "CODE_LINE=%d", line);
                snprintf(code_func, sizeof code_func, "CODE_FUNC=%s", func);
                iov[n++] = (struct iovec) { m, strlen(m) };
                iov[n++] = (struct iovec) { prio, strlen(prio) };
                iov[n++] = (struct iovec) { code_file, strlen(code_file) };
                iov[n++] = (struct iovec) { code_line, strlen(code_line) };
                iov[n++] = (struct iovec) { code_func, strlen(code_func) };
                if (error) {
                        snprintf(errbuf, sizeof errbuf, "ERRNO=%d", error);
                        iov[n++] = (struct iovec) { errbuf, strlen(errbuf) };
                }
                for (size_t i = 0; fields && fields[i] && n < ELEMENTSOF(iov); i++)
                        iov[n++] = (struct iovec) { (void *) fields[i], strlen(fields[i]) };
                if (sd_journal_sendv(iov, (int) n) >= 0)
                        goto finish;
                /* journald gone: fall through to stderr */
        }

        {
                char extra[512] = "";
                size_t off = 0;
                for (size_t i = 0; fields && fields[i] && off < sizeof extra - 1; i++) {
                        int w = snprintf(extra + off, sizeof extra - off, "%s%s", i ? " " : " [", fields[i]);
                        if (w < 0)
                                break;
                        off += (size_t) w;
                        if (off >= sizeof extra)
                                off = sizeof extra - 1;
                }
                if (off > 0 && off < sizeof extra - 1)
                        extra[off++] = ']', extra[off] = 0;
                if (max_level >= LOG_DEBUG)
                        fprintf(stderr, "%s: <%s> %s%s (%s:%d)\n", log_ident, level_names[CLAMP(level, 0, 7)], msg, extra, file, line);
                else
                        fprintf(stderr, "%s: %s%s\n", log_ident, msg, extra);
        }
finish:
        errno = saved_errno;
        return -error;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *const *fields, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        int r = log_internalv(level, error, file, line, func, fields, format, ap);
        va_end(ap);
        return r;
}

bool ratelimit_below(RateLimit *rl) {
        usec_t ts = now_usec(CLOCK_MONOTONIC);

        if (rl->begin == 0 || ts - rl->begin >= rl->interval_usec) {
                if (rl->suppressed > 0)
                        log_warning("%u similar messages suppressed in the last %llums.",
                                    rl->suppressed, (unsigned long long) (rl->interval_usec / 1000));
                rl->begin = ts;
                rl->num = 0;
                rl->suppressed = 0;
        }
        if (rl->num < rl->burst) {
                rl->num++;
                return true;
        }
        rl->suppressed++;
        return false;
}
