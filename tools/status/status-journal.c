/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Recent state changes for the status view, from the local journal:
 *   vrrpd:    VIGIL_EVENT=vrrp-state with INSTANCE=, VIGIL_FROM=, VIGIL_TO=,
 *             MESSAGE "from -> to (reason)"
 *   checkerd: CHECK= lines of _COMM=vigil-checkerd whose MESSAGE is
 *             "Check NAME (...): FROM → TO[: detail]" (checker.c), or
 *             VIGIL_EVENT=check-state with VIGIL_FROM=/VIGIL_TO= should
 *             checkerd tag them like vrrpd does.
 * The journal is read backwards from its end and at most JOURNAL_SCAN_MAX
 * entries are looked at, so a busy journal costs a bounded time. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "macro.h"
#include "status.h"

#define JOURNAL_SCAN_MAX 20000U

static void journal_closep(sd_journal **j) {
        if (*j)
                sd_journal_close(*j);
}

/* FIELD's value in the current entry, copied into buf ("" when absent). */
static const char *field(sd_journal *j, const char *name, char *buf, size_t len) {
        const void *data;
        size_t n, k = strlen(name);
        buf[0] = 0;
        if (sd_journal_get_data(j, name, &data, &n) < 0 || n <= k || ((const char *) data)[k] != '=')
                return buf;
        n -= k + 1;
        n = MIN(n, len - 1);
        memcpy(buf, (const char *) data + k + 1, n);
        buf[n] = 0;
        return status_sanitize(buf);
}

/* "backup -> master (priority 100 > 90)" → "priority 100 > 90" into buf. */
static const char *vrrp_reason(const char *msg, char *buf, size_t len) {
        const char *p = strstr(msg, " -> ");
        p = p ? strstr(p, " (") : NULL;
        if (!p)
                return strcpy(buf, "");
        p += 2;
        size_t n = strlen(p);
        if (n > 0 && p[n - 1] == ')')
                n--;
        snprintf(buf, len, "%.*s", (int) n, p);
        return buf;
}

/* "Check chk (tcp 10.0.0.1:80): up → down: connection refused": the words
 * around the arrow and what follows. Returns false when it is another line. */
static bool check_transition(const char *msg, char *from, size_t from_len, char *to, size_t to_len, const char **detail) {
        static const char arrow[] = " → ";
        const char *a = strstr(msg, arrow);
        if (!a || !strneq(msg, "Check ", 6))
                return false;
        const char *f = a;
        while (f > msg && f[-1] != ' ')
                f--;
        snprintf(from, from_len, "%.*s", (int) (a - f), f);
        const char *t = a + strlen(arrow);
        size_t tl = strcspn(t, ": ");
        snprintf(to, to_len, "%.*s", (int) tl, t);
        *detail = t[tl] == ':' ? t + tl + (t[tl + 1] == ' ' ? 2 : 1) : "";
        return *from && *to;
}

static bool journal_dir_exists(void) {
        struct stat st;
        return stat("/run/log/journal", &st) == 0 || stat("/var/log/journal", &st) == 0;
}

int status_journal_read(StatusSnapshot *s) {
        _cleanup_(journal_closep) sd_journal *j = NULL;
        StatusEvent found[STATUS_EVENTS_MAX];
        char buf[4][256], msg[1024];
        size_t n = 0;
        int r;

        free(s->events_note);
        s->events_note = NULL;
        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return asprintf(&s->events_note, "journal not readable: %s", strerror(-r)) < 0 ? -ENOMEM : 0;
        if (sd_journal_has_runtime_files(j) <= 0 && sd_journal_has_persistent_files(j) <= 0) {
                /* sd_journal_open() skips files it may not read: an unprivileged user sees none. */
                s->events_note = strdup(geteuid() != 0 && journal_dir_exists() ?
                                                "journal not readable by this user (root or group systemd-journal)" : "no journal");
                return s->events_note ? 0 : -ENOMEM;
        }
        if (sd_journal_add_match(j, "VIGIL_EVENT=vrrp-state", 0) < 0 || sd_journal_add_disjunction(j) < 0 ||
            sd_journal_add_match(j, "VIGIL_EVENT=check-state", 0) < 0 || sd_journal_add_disjunction(j) < 0 ||
            sd_journal_add_match(j, "_COMM=vigil-checkerd", 0) < 0)
                return -ENOMEM;
        r = sd_journal_seek_tail(j);
        for (unsigned scanned = 0; r >= 0 && n < STATUS_EVENTS_MAX && scanned < JOURNAL_SCAN_MAX; scanned++) {
                r = sd_journal_previous(j);
                if (r <= 0)
                        break;
                uint64_t t = 0;
                (void) sd_journal_get_realtime_usec(j, &t);
                field(j, "MESSAGE", msg, sizeof msg);
                const char *event = field(j, "VIGIL_EVENT", buf[0], sizeof buf[0]);
                if (streq(event, "vrrp-state")) {
                        char reason[256];
                        found[n++] = (StatusEvent) {
                                .realtime = t, .kind = strdup("vrrp"),
                                .object = strdup(field(j, "INSTANCE", buf[1], sizeof buf[1])),
                                .from = strdup(field(j, "VIGIL_FROM", buf[2], sizeof buf[2])),
                                .to = strdup(field(j, "VIGIL_TO", buf[3], sizeof buf[3])),
                                .reason = strdup(vrrp_reason(msg, reason, sizeof reason)),
                        };
                        continue;
                }
                const char *check = field(j, "CHECK", buf[1], sizeof buf[1]);
                if (isempty(check))
                        continue;
                const char *detail = "";
                if (streq(event, "check-state")) {
                        field(j, "VIGIL_FROM", buf[2], sizeof buf[2]);
                        field(j, "VIGIL_TO", buf[3], sizeof buf[3]);
                        const char *c = strstr(msg, ": ");
                        detail = c ? c + 2 : "";
                } else if (!check_transition(msg, buf[2], sizeof buf[2], buf[3], sizeof buf[3], &detail))
                        continue;
                found[n++] = (StatusEvent) {
                        .realtime = t, .kind = strdup("check"), .object = strdup(check), .from = strdup(buf[2]),
                        .to = strdup(buf[3]), .reason = strdup(detail),
                };
        }
        /* found[] is newest first; the snapshot keeps oldest first. */
        r = 0;
        for (size_t i = n; i > 0; i--) {
                StatusEvent *e = &found[i - 1];
                if (r >= 0 && (!e->kind || !e->object || !e->from || !e->to || !e->reason))
                        r = -ENOMEM;
                if (r >= 0)
                        r = status_events_push(s, e->realtime, 0, e->kind, e->object, e->from, e->to, e->reason);
                free(e->kind);
                free(e->object);
                free(e->from);
                free(e->to);
                free(e->reason);
        }
        if (r < 0)
                return r;
        free(s->events_source);
        s->events_source = strdup("journal");
        return s->events_source ? 0 : -ENOMEM;
}
