/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Runs one notify command with a timeout on the sd-event loop. The command
 * gets its own process group so that at the timeout the whole script (and
 * whatever it started) is terminated: SIGTERM, then SIGKILL after
 * NOTIFY_KILL_GRACE. No shell is involved: argv is executed as given. */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "time-util.h"

#define NOTIFY_KILL_GRACE (1 * USEC_PER_SEC)

typedef struct NotifyJob NotifyJob;

/* status: the exit code (≥ 0) or -signal; timed_out: we killed it at the timeout. */
typedef void (*notify_job_done_t)(NotifyJob *j, int status, bool timed_out, usec_t runtime, void *userdata);

/* env: NULL-terminated "KEY=value" strings added to the environment. SIGCHLD
 * must be blocked in the caller (sd_event_add_child needs it). */
int notify_job_start(sd_event *e, char *const *argv, char *const *env, usec_t timeout, notify_job_done_t cb,
                     void *userdata, NotifyJob **ret);
pid_t notify_job_pid(const NotifyJob *j);
/* Kills a job still running (SIGKILL to its group) and frees it; the callback is not called. */
NotifyJob *notify_job_free(NotifyJob *j);
