/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Structured logging. Under journald (JOURNAL_STREAM matches stderr) or with
 * --log-target=journal each line goes through sd_journal_send() with
 * MESSAGE, PRIORITY, CODE_* and any KEY=value fields the caller adds
 * (INSTANCE=, CHECK=, SERVICE=, VIGIL_EVENT=, MESSAGE_ID=). Otherwise a plain
 * line on stderr: "ident: message [KEY=value ...]". */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "macro.h"

typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_JOURNAL,
        LOG_TARGET_CONSOLE,
} LogTarget;

void log_setup(const char *ident);
void log_set_max_level(int level);
int log_get_max_level(void);
int log_set_max_level_from_string(const char *s);
void log_set_target(LogTarget t);
int log_set_target_from_string(const char *s);
LogTarget log_get_target(void);

/* fields: NULL or a NULL-terminated array of "KEY=value" strings.
 * Returns -abs(error) when error != 0, else 0: so "return log_error_errno(r, ...)" works. */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *const *fields, const char *format, ...) _printf_(7, 8);
int log_internalv(int level, int error, const char *file, int line, const char *func,
                  const char *const *fields, const char *format, va_list ap) _printf_(7, 0);

#define log_full_errno_fields(level, error, fields, ...)                                     \
        ({                                                                                   \
                int _l_ = (level), _e_ = (error);                                            \
                (log_get_max_level() >= _l_)                                                 \
                        ? log_internal(_l_, _e_, __FILE__, __LINE__, __func__, fields, __VA_ARGS__) \
                        : -abs(_e_);                                                         \
        })

#define log_full_errno(level, error, ...) log_full_errno_fields(level, error, NULL, __VA_ARGS__)
#define log_full(level, ...) (void) log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_NOTICE, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)
#define log_oom() log_error_errno(ENOMEM, "Out of memory.")

/* One contextual field: log_field(LOG_INFO, 0, "INSTANCE", inst->name, "became master"). */
#define log_field(level, error, key, value, ...)                                   \
        ({                                                                         \
                char _kv_[256];                                                    \
                snprintf(_kv_, sizeof _kv_, "%s=%s", key, strna(value));           \
                const char *const _f_[] = { _kv_, NULL };                          \
                log_full_errno_fields(level, error, _f_, __VA_ARGS__);             \
        })
#define log_instance(level, error, name, ...) log_field(level, error, "INSTANCE", name, __VA_ARGS__)
#define log_check(level, error, name, ...) log_field(level, error, "CHECK", name, __VA_ARGS__)
#define log_service(level, error, name, ...) log_field(level, error, "SERVICE", name, __VA_ARGS__)

/* Token bucket used to keep hostile input from flooding the journal. */
typedef struct RateLimit {
        uint64_t interval_usec;
        unsigned burst;
        uint64_t begin;
        unsigned num;
        unsigned suppressed;
} RateLimit;

#define RATELIMIT_INIT(interval, b) { .interval_usec = (interval), .burst = (b) }
/* True when the event may be logged; counts suppressed events otherwise. */
bool ratelimit_below(RateLimit *rl);
