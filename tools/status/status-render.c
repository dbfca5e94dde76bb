/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A StatusSnapshot as the operator's screen or as JSON. Pure: no bus, no
 * clock (the caller passes "now"), so the same snapshot always renders the
 * same text. Columns are sized from the data; large configurations are
 * summarised (healthy destinations, up checks, extra VIPs) unless --all. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "status.h"
#include "vigilctl.h"

#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"
#define ANSI_RED "\033[31m"
#define ANSI_GREEN "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_BLUE "\033[34m"
#define ANSI_GREY "\033[90m"

/* Checks listed one per line up to this many, unless --all; beyond, only those not up. */
#define STATUS_CHECKS_SHOWN 20U

const char *status_format_age(char *buf, size_t len, usec_t now, usec_t then) {
        uint64_t s = now > then ? (now - then) / USEC_PER_SEC : 0;
        if (s < 60)
                snprintf(buf, len, "%" PRIu64 "s", s);
        else if (s < 3600)
                snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
        else if (s < 86400)
                snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
        else
                snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
        return buf;
}

const char *status_format_count(char *buf, size_t len, uint64_t v) {
        static const char units[] = "KMGTPE";
        if (v < 10000) {
                snprintf(buf, len, "%" PRIu64, v);
                return buf;
        }
        double d = (double) v;
        size_t u = 0;
        for (d /= 1000.0; d >= 999.95 && u + 1 < sizeof units - 1; u++)
                d /= 1000.0;
        snprintf(buf, len, d < 99.95 ? "%.1f%c" : "%.0f%c", d, units[u]);
        return buf;
}

void status_write_cut(FILE *f, const char *line, size_t len, unsigned width) {
        size_t cols = 0, i = 0;
        bool coloured = false, cut = false;
        while (i < len) {
                unsigned char c = (unsigned char) line[i];
                if (c == '\033') { /* CSI: ESC [ params final, never counted */
                        size_t k = i + 1;
                        if (k < len && line[k] == '[')
                                for (k++; k < len && !(line[k] >= 0x40 && line[k] <= 0x7e); k++)
                                        ;
                        k = MIN(k + 1, len);
                        coloured = !(k - i == 4 && strneq(line + i, ANSI_RESET, 4));
                        fwrite(line + i, 1, k - i, f);
                        i = k;
                        continue;
                }
                if ((c & 0xc0) != 0x80) { /* not a UTF-8 continuation byte: a new column */
                        if (width > 0 && cols >= width) {
                                cut = true;
                                break;
                        }
                        cols++;
                }
                fputc(c, f);
                i++;
        }
        if (cut && coloured)
                fputs(ANSI_RESET, f);
}

/* ---- text ---- */

typedef struct Out {
        FILE *f;
        const StatusRenderOptions *o;
} Out;

static const char *on(const Out *out, const char *code) {
        return out->o->color ? code : "";
}
static const char *off(const Out *out) {
        return out->o->color ? ANSI_RESET : "";
}

static const char *state_color(const char *state) {
        if (!state)
                return ANSI_YELLOW;
        if (streq(state, "master") || streq(state, "up"))
                return ANSI_GREEN;
        if (streq(state, "backup"))
                return ANSI_BLUE;
        if (streq(state, "fault") || streq(state, "down"))
                return ANSI_RED;
        if (streq(state, "-"))
                return "";
        return ANSI_YELLOW; /* init, stopped, unknown */
}

/* Prints S left-aligned in W columns with the colour for its state. */
static void cell_state(const Out *out, const char *s, int w) {
        const char *c = state_color(s);
        fprintf(out->f, "%s%-*s%s", *c ? on(out, c) : "", w, strempty(s), *c ? off(out) : "");
}

static void section(const Out *out, const char *title, const char *extra) {
        fprintf(out->f, "\n%s%s%s%s\n", on(out, ANSI_BOLD), title, off(out), strempty(extra));
}

static int width_of(const char *s) {
        return (int) strlen(strempty(s));
}

static void daemons_text(const Out *out, const StatusSnapshot *s) {
        static const char *const what[_STATUS_DAEMON_MAX] = { "instance", "check", "service" };
        const size_t count[_STATUS_DAEMON_MAX] = { s->n_instances, s->n_checks, s->n_services };
        for (StatusDaemonId d = 0; d < _STATUS_DAEMON_MAX; d++) {
                const StatusDaemon *sd = &s->daemons[d];
                const char *c = sd->running ? (sd->error ? ANSI_YELLOW : ANSI_GREEN) : ANSI_RED;
                fprintf(out->f, "%s%s%s %s: %s%s%s", on(out, c), sd->running ? "●" : "○", off(out),
                        sd->unit ? sd->unit : "?", on(out, c), sd->running ? "running" : "not running", off(out));
                if (sd->version)
                        fprintf(out->f, " (version %s)", sd->version);
                if (sd->running && !sd->error)
                        fprintf(out->f, ", %zu %s%s", count[d], what[d], count[d] == 1 ? "" : "s");
                if (sd->error)
                        fprintf(out->f, ", %scannot read it: %s%s", on(out, ANSI_YELLOW), sd->error, off(out));
                fputc('\n', out->f);
        }
}

static char *join_vips(char **vips, bool all) {
        char *buf = NULL;
        size_t len = 0, n = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        STRV_FOREACH(v, vips) {
                if (!all && n == STATUS_VIPS_SHOWN) {
                        size_t rest = 0;
                        for (char **w = v; *w; w++)
                                rest++;
                        fprintf(f, " +%zu", rest);
                        break;
                }
                fprintf(f, "%s%s", n ? "," : "", *v);
                n++;
        }
        if (n == 0)
                fputc('-', f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static int instances_text(const Out *out, const StatusSnapshot *s) {
        const StatusDaemon *sd = &s->daemons[STATUS_VRRPD];
        if (!sd->running || sd->error)
                return 0;
        section(out, "VRRP instances", s->n_instances ? NULL : ": none configured");
        if (s->n_instances == 0)
                return 0;

        char **vips = calloc(s->n_instances, sizeof *vips);
        if (!vips)
                return -ENOMEM;
        int wn = 4, ws = 5, wif = 7, wm = 6, wv = 4;
        for (size_t i = 0; i < s->n_instances; i++) {
                const StatusInstance *x = &s->instances[i];
                char ifv[64];
                vips[i] = join_vips(x->vips, out->o->all);
                if (!vips[i]) {
                        for (size_t k = 0; k < i; k++)
                                free(vips[k]);
                        free(vips);
                        return -ENOMEM;
                }
                snprintf(ifv, sizeof ifv, "%s/%" PRIu32, strempty(x->interface), x->vrid);
                wn = MAX(wn, width_of(x->name));
                ws = MAX(ws, width_of(x->state));
                wif = MAX(wif, width_of(ifv));
                wm = MAX(wm, width_of(isempty(x->master) ? "-" : x->master));
                wv = MAX(wv, width_of(vips[i]));
        }
        if (out->o->legend)
                fprintf(out->f, "  %-*s %-*s %-7s %-*s %-*s %-*s %s\n", wn, "NAME", ws, "STATE", "PRIO", wif, "IF/VRID", wm,
                        "MASTER", wv, "VIPS", "LAST TRANSITION");
        for (size_t i = 0; i < s->n_instances; i++) {
                const StatusInstance *x = &s->instances[i];
                char prio[24], ifv[64], age[32];
                snprintf(prio, sizeof prio, "%" PRIu32 "/%" PRIu32, x->effective_priority, x->priority);
                snprintf(ifv, sizeof ifv, "%s/%" PRIu32, strempty(x->interface), x->vrid);
                fprintf(out->f, "  %-*s ", wn, strempty(x->name));
                cell_state(out, x->state, ws);
                fprintf(out->f, " %s%-7s%s %-*s %-*s %-*s ", x->effective_priority != x->priority ? on(out, ANSI_YELLOW) : "",
                        prio, x->effective_priority != x->priority ? off(out) : "", wif, ifv, wm,
                        isempty(x->master) ? "-" : x->master, wv, vips[i]);
                if (x->last_transition > 0)
                        fprintf(out->f, "%s ago%s%s", status_format_age(age, sizeof age, out->o->now, x->last_transition),
                                isempty(x->reason) ? "" : ": ", strempty(x->reason));
                else
                        fputs("-", out->f);
                if (!isempty(x->error))
                        fprintf(out->f, " %s[error: %s]%s", on(out, ANSI_RED), x->error, off(out));
                fputc('\n', out->f);
                free(vips[i]);
        }
        free(vips);
        return 0;
}

static void checks_text(const Out *out, const StatusSnapshot *s) {
        const StatusDaemon *sd = &s->daemons[STATUS_CHECKERD];
        size_t up = 0, down = 0, unknown = 0;
        if (!sd->running || sd->error)
                return;
        for (size_t i = 0; i < s->n_checks; i++) {
                const char *st = strempty(s->checks[i].state);
                if (streq(st, "up"))
                        up++;
                else if (streq(st, "down"))
                        down++;
                else
                        unknown++;
        }
        char extra[96];
        snprintf(extra, sizeof extra, ": %zu up, %zu down, %zu unknown", up, down, unknown);
        section(out, "Checks", s->n_checks ? extra : ": none configured");
        if (s->n_checks == 0)
                return;
        bool all = out->o->all || s->n_checks <= STATUS_CHECKS_SHOWN;
        int wn = 4, wt = 4, wg = 6, ws = 7;
        for (size_t i = 0; i < s->n_checks; i++) {
                const StatusCheck *c = &s->checks[i];
                if (!all && streq(strempty(c->state), "up"))
                        continue;
                wn = MAX(wn, width_of(c->name));
                wt = MAX(wt, width_of(c->type));
                wg = MAX(wg, width_of(c->target));
                ws = MAX(ws, width_of(c->state));
        }
        if (out->o->legend && (all || down + unknown > 0))
                fprintf(out->f, "  %-*s %-*s %-*s %-*s %6s %-10s %s\n", wn, "NAME", wt, "TYPE", wg, "TARGET", ws, "STATE",
                        "WEIGHT", "SINCE", "LAST ERROR");
        for (size_t i = 0; i < s->n_checks; i++) {
                const StatusCheck *c = &s->checks[i];
                char age[32];
                if (!all && streq(strempty(c->state), "up"))
                        continue;
                fprintf(out->f, "  %-*s %-*s %-*s ", wn, strempty(c->name), wt, strempty(c->type), wg,
                        isempty(c->target) ? "-" : c->target);
                cell_state(out, c->state, ws);
                fprintf(out->f, " %6" PRIi32 " %-10s %s\n", c->weight,
                        c->last_change ? status_format_age(age, sizeof age, out->o->now, c->last_change) : "-",
                        isempty(c->last_error) ? "-" : c->last_error);
        }
        if (!all && up > 0)
                fprintf(out->f, "  %s(%zu up not shown; --all lists them)%s\n", on(out, ANSI_GREY), up, off(out));
}

static const char *dest_key(char *buf, size_t len, const StatusDest *d) {
        snprintf(buf, len, strchr(strempty(d->address), ':') ? "[%s]:%u" : "%s:%u", strempty(d->address), d->port);
        return buf;
}

static bool dest_healthy(const StatusDest *d) {
        return d->weight > 0 && (streq(d->health, "up") || streq(d->health, "-"));
}

static void services_text(const Out *out, const StatusSnapshot *s) {
        const StatusDaemon *sd = &s->daemons[STATUS_IPVSD];
        size_t total = 0;
        if (!sd->running || sd->error)
                return;
        for (size_t i = 0; i < s->n_services; i++)
                total += s->services[i].n_dests;
        bool all = out->o->all || total <= STATUS_DESTS_SUMMARY_THRESHOLD;
        char extra[64];
        snprintf(extra, sizeof extra, ": %zu, %zu destination%s", s->n_services, total, total == 1 ? "" : "s");
        section(out, "Virtual services", s->n_services ? extra : ": none in the kernel");
        if (s->n_services == 0)
                return;

        /* One column set for service rows and their destinations (indented). */
        size_t hidden_total = 0;
        int wk = 20, wf = 3;
        for (size_t i = 0; i < s->n_services; i++) {
                const StatusService *svc = &s->services[i];
                char k[128];
                snprintf(k, sizeof k, "%s %s%s", strempty(svc->id), strempty(svc->scheduler), svc->managed ? "" : " (foreign)");
                wk = MAX(wk, width_of(k));
                for (size_t j = 0; j < svc->n_dests; j++) {
                        dest_key(k, sizeof k, &svc->dests[j]);
                        wk = MAX(wk, width_of(k) + 4);
                        wf = MAX(wf, width_of(svc->dests[j].forwarding));
                }
        }
        if (out->o->legend)
                fprintf(out->f, "  %-*s %-*s %6s %-8s %7s %7s %7s %6s %7s %7s\n", wk, "SERVICE / DESTINATION", wf, "FWD",
                        "WEIGHT", "HEALTH", "ACTIVE", "INACT", "CONNS", "CPS", "IN B/s", "OUT B/s");
        for (size_t i = 0; i < s->n_services; i++) {
                const StatusService *svc = &s->services[i];
                char k[128], health[32], c1[16], c2[16], c3[16], c4[16], c5[16], c6[16];
                size_t up = 0, hidden = 0;
                int64_t wsum = 0;
                uint64_t act = 0, inact = 0;
                for (size_t j = 0; j < svc->n_dests; j++) {
                        const StatusDest *d = &svc->dests[j];
                        up += dest_healthy(d);
                        wsum += d->weight;
                        act += d->active;
                        inact += d->inactive;
                }
                snprintf(k, sizeof k, "%s %s%s", strempty(svc->id), strempty(svc->scheduler), svc->managed ? "" : " (foreign)");
                snprintf(health, sizeof health, "%zu/%zu", up, svc->n_dests);
                const char *hc = svc->n_dests == 0 || up == 0 ? ANSI_RED : up < svc->n_dests ? ANSI_YELLOW : ANSI_GREEN;
                fprintf(out->f, "  %s%-*s%s %-*s %6" PRIi64 " %s%-8s%s %7s %7s %7s %6s %7s %7s\n", on(out, ANSI_BOLD), wk, k,
                        off(out), wf, "", wsum, on(out, hc), health, off(out), status_format_count(c1, sizeof c1, act),
                        status_format_count(c2, sizeof c2, inact), status_format_count(c3, sizeof c3, svc->conns),
                        status_format_count(c4, sizeof c4, svc->cps), status_format_count(c5, sizeof c5, svc->inbps),
                        status_format_count(c6, sizeof c6, svc->outbps));
                for (size_t j = 0; j < svc->n_dests; j++) {
                        const StatusDest *d = &svc->dests[j];
                        char dk[160], key[128];
                        if (!all && dest_healthy(d)) {
                                hidden++;
                                continue;
                        }
                        snprintf(dk, sizeof dk, "  → %s", dest_key(key, sizeof key, d));
                        /* "→" is one column but three bytes: pad by hand */
                        fprintf(out->f, "  %s%*s %-*s %6" PRIi32 " ", dk, wk - width_of(dk) + 2, "", wf, strempty(d->forwarding),
                                d->weight);
                        cell_state(out, d->health, 8);
                        fprintf(out->f, " %7s %7s %7s %6s %7s %7s%s%s\n", status_format_count(c1, sizeof c1, d->active),
                                status_format_count(c2, sizeof c2, d->inactive), status_format_count(c3, sizeof c3, d->conns),
                                status_format_count(c4, sizeof c4, d->cps), status_format_count(c5, sizeof c5, d->inbps),
                                status_format_count(c6, sizeof c6, d->outbps), d->check ? "  check " : "", strempty(d->check));
                }
                hidden_total += hidden;
        }
        /* One line for all: each service's HEALTH column already says how many are fine. */
        if (hidden_total > 0)
                fprintf(out->f, "  %s(%zu healthy destination%s not shown; --all lists them)%s\n", on(out, ANSI_GREY),
                        hidden_total, hidden_total == 1 ? "" : "s", off(out));
}

int status_render_events(const StatusSnapshot *s, const StatusRenderOptions *o, FILE *f) {
        const Out out = { f, o };
        char extra[160];
        if (s->events_source)
                snprintf(extra, sizeof extra, " (%s)%s", s->events_source, s->n_events ? "" : ": none yet");
        else
                snprintf(extra, sizeof extra, ": %s", s->events_note ? s->events_note : "none");
        section(&out, "Recent events", extra);
        int wo = 4, wseq = 0;
        for (size_t i = 0; i < s->n_events; i++) {
                char seq[32];
                wo = MAX(wo, width_of(s->events[i].object));
                if (s->events[i].seq)
                        wseq = MAX(wseq, snprintf(seq, sizeof seq, "#%" PRIu64, s->events[i].seq) + 1);
        }
        for (size_t i = 0; i < s->n_events; i++) {
                const StatusEvent *e = &s->events[i];
                char when[16] = "--:--:--", age[32], seq[32] = "";
                time_t t = (time_t) (e->realtime / USEC_PER_SEC);
                struct tm tm;
                if (e->realtime && localtime_r(&t, &tm))
                        strftime(when, sizeof when, "%H:%M:%S", &tm);
                if (e->seq)
                        snprintf(seq, sizeof seq, "#%" PRIu64, e->seq);
                fprintf(f, "  %s %6s ago %-*s%-5s %-*s %s → ", when, status_format_age(age, sizeof age, o->now, e->realtime),
                        wseq, seq, e->kind, wo, e->object, e->from);
                cell_state(&out, e->to, 0);
                fprintf(f, "%s%s\n", isempty(e->reason) ? "" : "  ", strempty(e->reason));
        }
        return ferror(f) ? -EIO : 0;
}

int status_render_text(const StatusSnapshot *s, const StatusRenderOptions *o, FILE *f) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        int r;
        if (!m)
                return -ENOMEM;
        const Out out = { m, o };

        daemons_text(&out, s);
        r = instances_text(&out, s);
        if (r >= 0) {
                checks_text(&out, s);
                services_text(&out, s);
                if (!o->no_events)
                        r = status_render_events(s, o, m);
        }
        if (fclose(m) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        /* Line by line so a width limit never cuts through a colour. */
        for (const char *p = buf, *end = buf + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
                status_write_cut(f, p, n, o->width);
                fputc('\n', f);
                p += n + 1;
        }
        return ferror(f) ? -EIO : 0;
}

/* ---- JSON ---- */

static void json_kv(FILE *f, bool first, const char *key, const char *value) {
        fprintf(f, "%s\"%s\":", first ? "" : ",", key);
        if (value)
                ctl_json_string(f, value);
        else
                fputs("null", f);
}

int status_render_json(const StatusSnapshot *s, const StatusRenderOptions *o, FILE *f) {
        fprintf(f, "{\"collected_at_usec\":%" PRIu64 ",\"daemons\":{", s->collected_at);
        for (StatusDaemonId d = 0; d < _STATUS_DAEMON_MAX; d++) {
                const StatusDaemon *sd = &s->daemons[d];
                fprintf(f, "%s", d ? "," : "");
                ctl_json_string(f, sd->unit);
                fprintf(f, ":{\"running\":%s", sd->running ? "true" : "false");
                json_kv(f, false, "version", sd->version);
                json_kv(f, false, "error", sd->error);
                fputc('}', f);
        }
        fputs("},\"instances\":[", f);
        for (size_t i = 0; i < s->n_instances; i++) {
                const StatusInstance *x = &s->instances[i];
                fprintf(f, "%s{", i ? "," : "");
                json_kv(f, true, "name", x->name);
                json_kv(f, false, "state", x->state);
                fprintf(f, ",\"priority\":%" PRIu32 ",\"effective_priority\":%" PRIu32 ",\"virtual_router_id\":%" PRIu32
                           ",\"version\":%" PRIu32, x->priority, x->effective_priority, x->vrid, x->version);
                json_kv(f, false, "interface", x->interface);
                json_kv(f, false, "master_address", x->master);
                fputs(",\"virtual_addresses\":[", f);
                STRV_FOREACH(v, x->vips) {
                        if (v != x->vips)
                                fputc(',', f);
                        ctl_json_string(f, *v);
                }
                fputc(']', f);
                json_kv(f, false, "sync_group", x->group);
                fprintf(f, ",\"last_transition_usec\":%" PRIu64, x->last_transition);
                json_kv(f, false, "last_reason", x->reason);
                json_kv(f, false, "last_error", x->error);
                fputc('}', f);
        }
        fputs("],\"checks\":[", f);
        for (size_t i = 0; i < s->n_checks; i++) {
                const StatusCheck *c = &s->checks[i];
                fprintf(f, "%s{", i ? "," : "");
                json_kv(f, true, "name", c->name);
                json_kv(f, false, "type", c->type);
                json_kv(f, false, "target", c->target);
                json_kv(f, false, "state", c->state);
                fprintf(f, ",\"weight\":%" PRIi32 ",\"last_change_usec\":%" PRIu64, c->weight, c->last_change);
                json_kv(f, false, "last_error", c->last_error);
                fputc('}', f);
        }
        fputs("],\"services\":[", f);
        for (size_t i = 0; i < s->n_services; i++) {
                const StatusService *svc = &s->services[i];
                fprintf(f, "%s{", i ? "," : "");
                json_kv(f, true, "id", svc->id);
                json_kv(f, false, "config_id", svc->config_id);
                json_kv(f, false, "scheduler", svc->scheduler);
                fprintf(f, ",\"managed\":%s,\"conns\":%" PRIu64 ",\"cps\":%" PRIu64 ",\"inpps\":%" PRIu64 ",\"outpps\":%" PRIu64
                           ",\"inbps\":%" PRIu64 ",\"outbps\":%" PRIu64 ",\"destinations\":[",
                        svc->managed ? "true" : "false", svc->conns, svc->cps, svc->inpps, svc->outpps, svc->inbps, svc->outbps);
                for (size_t j = 0; j < svc->n_dests; j++) {
                        const StatusDest *d = &svc->dests[j];
                        fprintf(f, "%s{", j ? "," : "");
                        json_kv(f, true, "address", d->address);
                        fprintf(f, ",\"port\":%u", d->port);
                        json_kv(f, false, "forwarding", d->forwarding);
                        fprintf(f, ",\"weight\":%" PRIi32 ",\"active\":%" PRIu32 ",\"inactive\":%" PRIu32 ",\"persistent\":%" PRIu32
                                   ",\"conns\":%" PRIu64 ",\"cps\":%" PRIu64 ",\"inpps\":%" PRIu64 ",\"outpps\":%" PRIu64
                                   ",\"inbps\":%" PRIu64 ",\"outbps\":%" PRIu64,
                                d->weight, d->active, d->inactive, d->persistent, d->conns, d->cps, d->inpps, d->outpps,
                                d->inbps, d->outbps);
                        json_kv(f, false, "check", d->check);
                        json_kv(f, false, "health", d->health);
                        fputc('}', f);
                }
                fputs("]}", f);
        }
        fputs("],\"events\":[", f);
        for (size_t i = 0; i < s->n_events; i++) {
                const StatusEvent *e = &s->events[i];
                fprintf(f, "%s{\"time_usec\":%" PRIu64 ",\"seq\":", i ? "," : "", e->realtime);
                if (e->seq)
                        fprintf(f, "%" PRIu64, e->seq);
                else
                        fputs("null", f);
                json_kv(f, false, "kind", e->kind);
                json_kv(f, false, "object", e->object);
                json_kv(f, false, "from", e->from);
                json_kv(f, false, "to", e->to);
                json_kv(f, false, "reason", e->reason);
                fputc('}', f);
        }
        fputc(']', f);
        json_kv(f, false, "events_source", s->events_source);
        json_kv(f, false, "events_note", s->events_note);
        fputc('}', f);
        (void) o;
        return ferror(f) ? -EIO : 0;
}
