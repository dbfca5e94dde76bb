/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilctl top: the status view (tools/status/), refreshed live.
 *
 * On a terminal: the alternate screen with plain ANSI escapes (no ncurses),
 * redrawn every --interval and as soon as a daemon says something changed
 * (PropertiesChanged); a recent-events pane fed by the journal at start and
 * then by the StateChanged signals (with their sequence numbers). Keys: q
 * quits, a toggles --all, r refreshes now. SIGINT, SIGTERM and exit restore
 * the terminal; SIGWINCH redraws at the new size; SIGTSTP restores it before
 * stopping and SIGCONT takes it back.
 *
 * Not on a terminal (or --json): one frame per interval on stdout, text or
 * one JSON object per line, so it can be piped and tested; --once or
 * --iterations N stop after that many frames. */

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup-libs.h"
#include "conf.h"
#include "log.h"
#include "status/status.h"
#include "vigilctl.h"

#define ALT_SCREEN_ON "\033[?1049h"
#define ALT_SCREEN_OFF "\033[?1049l"
#define CURSOR_HIDE "\033[?25l"
#define CURSOR_SHOW "\033[?25h"
#define CURSOR_HOME "\033[H"
#define CLEAR_EOL "\033[K"
#define CLEAR_EOS "\033[J"

/* A burst of PropertiesChanged (a failover touches several properties of
 * several objects) becomes one refresh this long after the first. */
#define CHANGE_COALESCE_USEC (100 * USEC_PER_MSEC)

typedef struct Top {
        sd_event *event;
        sd_bus *bus;
        Config *config;
        usec_t interval, timeout;
        uint64_t iterations;         /* 0 = until quit */
        uint64_t frames;
        bool tty;                    /* interactive: alternate screen, keys */
        bool all;
        bool term_active;            /* the terminal is in our mode and must be restored */
        bool have_termios;
        struct termios saved;
        unsigned rows, cols;
        StatusSnapshot snap;         /* the last collection */
        StatusSnapshot events;       /* only its events: the journal's, then the signals' */
        sd_event_source *refresh;    /* the interval timer */
        sd_event_source *soon;       /* a coalesced refresh after a change */
        int exit_code;
} Top;

/* ---- terminal ---- */

static void term_enter(Top *t) {
        if (!t->tty || t->term_active)
                return;
        if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
                struct termios raw = t->saved;
                /* Keys one by one, no echo; ISIG stays so Ctrl-C/Ctrl-Z still signal. */
                raw.c_lflag &= ~(tcflag_t) (ICANON | ECHO);
                raw.c_cc[VMIN] = 0;
                raw.c_cc[VTIME] = 0;
                t->have_termios = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
        }
        fputs(ALT_SCREEN_ON CURSOR_HIDE, stdout);
        fflush(stdout);
        t->term_active = true;
}

static void term_leave(Top *t) {
        if (!t->term_active)
                return;
        fputs(CURSOR_SHOW ALT_SCREEN_OFF, stdout);
        fflush(stdout);
        if (t->have_termios)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
        t->have_termios = false;
        t->term_active = false;
}

static void term_size(Top *t) {
        struct winsize ws = {};
        t->rows = 24;
        t->cols = 80;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
                t->rows = ws.ws_row;
                t->cols = ws.ws_col;
        }
}

/* ---- drawing ---- */

static void swap_events(StatusSnapshot *a, StatusSnapshot *b) {
        StatusEvent *e = a->events;
        size_t n = a->n_events;
        char *src = a->events_source, *note = a->events_note;
        a->events = b->events;
        a->n_events = b->n_events;
        a->events_source = b->events_source;
        a->events_note = b->events_note;
        b->events = e;
        b->n_events = n;
        b->events_source = src;
        b->events_note = note;
}

/* Renders with FN into a malloc'd buffer. */
static int render_to(char **ret, size_t *ret_len, int (*fn)(const StatusSnapshot *, const StatusRenderOptions *, FILE *),
                     const StatusSnapshot *s, const StatusRenderOptions *o) {
        FILE *f = open_memstream(ret, ret_len);
        if (!f)
                return -ENOMEM;
        int r = fn(s, o, f);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(*ret);
                *ret = NULL;
        }
        return r;
}

static size_t count_lines(const char *s, size_t len) {
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                n += s[i] == '\n';
        return n;
}

/* Line IDX (0-based) of BUF, or NULL. */
static const char *nth_line(const char *buf, size_t len, size_t idx, size_t *ret_len) {
        const char *p = buf, *end = buf + len;
        for (; p < end; idx--) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
                if (idx == 0) {
                        *ret_len = n;
                        return p;
                }
                p += n + 1;
        }
        return NULL;
}

/* Draws TEXT on screen row ROW (1-based), cut to the width, the rest of the
 * row cleared. Rows are addressed, never scrolled into. */
static void put_row(Top *t, size_t row, const char *text, size_t len) {
        printf("\033[%zu;1H", row);
        if (text)
                status_write_cut(stdout, text, len, t->cols);
        fputs(CLEAR_EOL, stdout);
}

static int draw_tty(Top *t) {
        _cleanup_free_ char *body = NULL, *events = NULL;
        size_t body_len = 0, events_len = 0, n;
        StatusRenderOptions o = {
                .color = arg_color, .all = t->all, .legend = true, .no_events = true, .width = t->cols,
                .now = now_usec(CLOCK_REALTIME),
        };
        int r;

        swap_events(&t->snap, &t->events);
        r = render_to(&body, &body_len, status_render_text, &t->snap, &o);
        if (r >= 0)
                r = render_to(&events, &events_len, status_render_events, &t->snap, &o);
        swap_events(&t->snap, &t->events);
        if (r < 0)
                return r;

        char when[32], iv[DURATION_MAX], head[256];
        time_t now = time(NULL);
        struct tm tm;
        strftime(when, sizeof when, "%H:%M:%S", localtime_r(&now, &tm));
        snprintf(head, sizeof head, "%svigil top%s  %s  every %s%s   q quit  a %s  r refresh", arg_color ? "\033[1m" : "",
                 arg_color ? "\033[0m" : "", when, format_duration(iv, sizeof iv, t->interval), t->all ? "  --all" : "",
                 t->all ? "summaries" : "all");

        /* Rows: 1 header, the events pane at the bottom (at most a third of the
         * screen), the rest for the body; what does not fit is counted. The
         * events pane starts with an empty line and its title. */
        size_t rows = MAX(t->rows, 4U), n_events = count_lines(events, events_len), n_body = count_lines(body, body_len);
        size_t ev_rows = MIN(n_events, MAX(rows / 3, 3U));
        size_t body_rows = rows - 1 - ev_rows, row = 1;
        put_row(t, row++, head, strlen(head));
        size_t fit = n_body > body_rows ? body_rows - 1 : n_body;
        for (size_t i = 0; i < fit; i++) {
                const char *l = nth_line(body, body_len, i, &n);
                put_row(t, row++, l, l ? n : 0);
        }
        if (fit < n_body) {
                char more[128];
                snprintf(more, sizeof more, "… %zu more line%s (a larger window%s)", n_body - fit,
                         n_body - fit == 1 ? "" : "s", t->all ? ", or summaries with a" : "");
                put_row(t, row++, more, strlen(more));
        }
        while (row <= 1 + body_rows)
                put_row(t, row++, NULL, 0);
        /* The pane's blank line and title, then its newest lines (the pane is oldest first). */
        for (size_t i = 0; i < ev_rows; i++) {
                size_t idx = i < 2 ? i : n_events - (ev_rows - i);
                const char *l = nth_line(events, events_len, idx, &n);
                put_row(t, row++, l, l ? n : 0);
        }
        fputs(CLEAR_EOS, stdout);
        return fflush(stdout) == 0 ? 0 : -errno;
}

static int draw_frame(Top *t) {
        StatusRenderOptions o = {
                .color = arg_color, .all = t->all, .legend = arg_legend, .now = now_usec(CLOCK_REALTIME),
        };
        int r;

        swap_events(&t->snap, &t->events);
        if (arg_json) {
                r = status_render_json(&t->snap, &o, stdout);
                fputc('\n', stdout);
        } else {
                char when[64];
                time_t now = time(NULL);
                struct tm tm;
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
                if (arg_legend)
                        printf("%s── vigil top %s, frame %" PRIu64 " ──%s\n", arg_color ? "\033[1m" : "", when, t->frames + 1,
                               arg_color ? "\033[0m" : "");
                r = status_render_text(&t->snap, &o, stdout);
                fputc('\n', stdout);
        }
        swap_events(&t->snap, &t->events);
        if (r < 0)
                return r;
        /* Frame by frame: the reader is a pipe. */
        return fflush(stdout) == 0 ? 0 : -errno;
}

static int redraw(Top *t) {
        return t->tty ? draw_tty(t) : draw_frame(t);
}

/* ---- refreshing ---- */

static void quit(Top *t, int code) {
        t->exit_code = code;
        (void) sd_event_exit(t->event, 0);
}

static int refresh(Top *t, bool frame) {
        StatusSnapshot s;
        int r = status_collect(t->bus, t->timeout, t->config, &s);
        if (r < 0) {
                status_snapshot_done(&s);
                term_leave(t);
                log_error_errno(r, "Reading the status failed: %s", strerror(-r));
                quit(t, 1);
                return r;
        }
        status_snapshot_done(&t->snap);
        t->snap = s;
        r = redraw(t);
        if (r < 0) {
                term_leave(t);
                /* stdout went away (a closed pipe): stop quietly */
                if (r != -EPIPE)
                        log_error_errno(r, "Drawing failed: %s", strerror(-r));
                quit(t, r == -EPIPE ? 0 : 1);
                return r;
        }
        if (!frame)
                return 0;
        t->frames++;
        if (t->iterations > 0 && t->frames >= t->iterations)
                quit(t, 0);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Top *t = userdata;
        if (refresh(t, true) < 0)
                return 0;
        /* From now, not from the last deadline: a slow collection never stacks refreshes. */
        (void) sd_event_source_set_time(s, now_usec(CLOCK_MONOTONIC) + t->interval);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static int on_soon(sd_event_source *s, uint64_t usec, void *userdata) {
        Top *t = userdata;
        /* Only on a terminal, and not a frame of --iterations: piped frames stay one per interval. */
        if (t->tty)
                (void) refresh(t, false);
        return 0;
}

static void refresh_soon(Top *t) {
        if (!t->tty)
                return;
        if (!t->soon) {
                (void) sd_event_add_time_relative(t->event, &t->soon, CLOCK_MONOTONIC, CHANGE_COALESCE_USEC, 0, on_soon, t);
                return;
        }
        int enabled = SD_EVENT_OFF;
        (void) sd_event_source_get_enabled(t->soon, &enabled);
        if (enabled == SD_EVENT_OFF) {
                (void) sd_event_source_set_time_relative(t->soon, CHANGE_COALESCE_USEC);
                (void) sd_event_source_set_enabled(t->soon, SD_EVENT_ONESHOT);
        }
}

/* ---- signals from the daemons ---- */

static int on_state_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Top *t = userdata;
        const char *iface = sd_bus_message_get_interface(m), *path = sd_bus_message_get_path(m), *from, *to, *reason;
        bool vrrp = iface && streq(iface, "org.vigil.Vrrp1.Instance");
        _cleanup_free_ char *name = NULL;
        uint64_t seq;

        if (sd_bus_message_read(m, "tsss", &seq, &from, &to, &reason) < 0)
                return 0;
        if (!path || sd_bus_path_decode(path, vrrp ? "/org/vigil/Vrrp1/instance" : "/org/vigil/Checker1/check", &name) <= 0)
                return 0;
        if (status_events_push(&t->events, now_usec(CLOCK_REALTIME), seq, vrrp ? "vrrp" : "check", name, from, to, reason) < 0)
                return 0;
        if (!t->events.events_source || streq(t->events.events_source, "journal")) {
                char *src = strdup(t->events.events_source ? "journal+bus" : "bus");
                if (src) {
                        free(t->events.events_source);
                        t->events.events_source = src;
                }
        }
        refresh_soon(t);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        refresh_soon(userdata);
        return 0;
}

/* A daemon appeared or vanished. */
static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        refresh_soon(userdata);
        return 0;
}

/* ---- keys and signals ---- */

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Top *t = userdata;
        char buf[64];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                /* The terminal is gone: nothing more to read; keep refreshing until a signal. */
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        }
        for (ssize_t i = 0; i < n; i++)
                switch (buf[i]) {
                case 'q':
                case 'Q':
                        quit(t, 0);
                        return 0;
                case 'a':
                case 'A':
                        t->all = !t->all;
                        (void) redraw(t);
                        break;
                case 'r':
                case 'R':
                case '\f': /* Ctrl-L */
                        (void) refresh(t, false);
                        break;
                default:
                        break;
                }
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Top *t = userdata;
        switch (si->ssi_signo) {
        case SIGWINCH:
                term_size(t);
                if (t->term_active)
                        fputs("\033[2J", stdout); /* a smaller window keeps old cells otherwise */
                (void) redraw(t);
                break;
        case SIGTSTP:
                /* Give the terminal back, stop; on SIGCONT take it again. */
                term_leave(t);
                (void) raise(SIGSTOP);
                break;
        case SIGCONT:
                if (t->tty) {
                        term_enter(t);
                        term_size(t);
                        fputs("\033[2J", stdout);
                        (void) redraw(t);
                }
                break;
        default: /* SIGINT, SIGTERM, SIGHUP */
                quit(t, 0);
        }
        return 0;
}

static int parse_iterations(const char *s, uint64_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *end || *s == '-' || v == 0)
                return log_error_errno(EINVAL, "--iterations: '%s' is not a positive number.", s);
        *ret = v;
        return 0;
}

static int verb_top(int argc, char **argv) {
        static const struct option options[] = {
                { "interval", required_argument, NULL, 'd' },
                { "iterations", required_argument, NULL, 'n' },
                { "once", no_argument, NULL, '1' },
                { "all", no_argument, NULL, 'a' },
                { "timeout", required_argument, NULL, 't' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_config_ Config *config = NULL;
        Top t = { .interval = USEC_PER_SEC, .timeout = 2 * USEC_PER_SEC };
        int c, r;

        while ((c = getopt_long(argc, argv, "hd:n:1at:", options, NULL)) >= 0)
                switch (c) {
                case 'd':
                        if (parse_duration(optarg, &t.interval) < 0 || t.interval < 100 * USEC_PER_MSEC ||
                            t.interval > 3600 * USEC_PER_SEC)
                                return log_error_errno(EINVAL, "--interval: '%s' must be a duration from 100ms to 1h (e.g. 500ms, 2s).",
                                                       optarg);
                        break;
                case 'n':
                        if (parse_iterations(optarg, &t.iterations) < 0)
                                return -EINVAL;
                        break;
                case '1':
                        t.iterations = 1;
                        break;
                case 'a':
                        t.all = true;
                        break;
                case 'j': /* also after the verb */
                        arg_json = true;
                        break;
                case 't':
                        if (ctl_status_parse_timeout(optarg, &t.timeout) < 0)
                                return -EINVAL;
                        break;
                case 'h':
                        printf("vigilctl top [--interval DURATION] [--iterations N | --once] [--all] [--json] [--timeout DURATION]\n"
                               "  The status, refreshed every --interval (default 1s). On a terminal: q quits,\n"
                               "  a toggles summaries, r refreshes. Otherwise one frame per interval on stdout\n"
                               "  (with --json one JSON object per line).\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(EINVAL, "top: unexpected argument '%s'.", argv[optind]);

        t.tty = !arg_json && isatty(STDOUT_FILENO);
        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        (void) ctl_status_load_config(&config);
        t.bus = bus;
        t.config = config;

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %s", strerror(-r));
        t.event = event;
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus: %s", strerror(-r));

        /* Any sender: a restarted daemon has a new unique name. */
        r = sd_bus_match_signal(bus, NULL, NULL, NULL, "org.vigil.Vrrp1.Instance", "StateChanged", on_state_changed, &t);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, NULL, NULL, "org.vigil.Checker1.Check", "StateChanged", on_state_changed, &t);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                                     "path_namespace='/org/vigil'",
                                     on_properties_changed, &t);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                        "NameOwnerChanged", on_owner_changed, &t);
        if (r < 0)
                return log_error_errno(r, "Cannot subscribe to the daemons' signals: %s", strerror(-r));

        /* The journal's recent events first; signals append to them. */
        r = status_journal_read(&t.events);
        if (r < 0)
                return log_oom();

        sigset_t mask;
        sigemptyset(&mask);
        int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP, SIGCONT };
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                if (!t.tty && (sigs[i] == SIGWINCH || sigs[i] == SIGTSTP || sigs[i] == SIGCONT))
                        continue;
                sigaddset(&mask, sigs[i]);
        }
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Cannot block signals: %m");
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                if (sigismember(&mask, sigs[i]) == 1) {
                        r = sd_event_add_signal(event, NULL, sigs[i], on_signal, &t);
                        if (r < 0)
                                return log_error_errno(r, "Cannot watch signal %d: %s", sigs[i], strerror(-r));
                }
        /* A reader that goes away is the end, not a crash. */
        signal(SIGPIPE, SIG_IGN);

        if (t.tty && isatty(STDIN_FILENO)) {
                int fl = fcntl(STDIN_FILENO, F_GETFL);
                if (fl >= 0)
                        (void) fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK);
                r = sd_event_add_io(event, NULL, STDIN_FILENO, EPOLLIN, on_stdin, &t);
                if (r < 0)
                        log_debug_errno(r, "No keys (stdin cannot be watched): %s", strerror(-r));
        }

        r = sd_event_add_time_relative(event, &t.refresh, CLOCK_MONOTONIC, 0, 0, on_timer, &t);
        if (r < 0)
                return log_error_errno(r, "Cannot arm the refresh timer: %s", strerror(-r));

        term_size(&t);
        term_enter(&t);
        r = sd_event_loop(event);
        term_leave(&t);

        if (t.tty && isatty(STDIN_FILENO)) {
                int fl = fcntl(STDIN_FILENO, F_GETFL);
                if (fl >= 0)
                        (void) fcntl(STDIN_FILENO, F_SETFL, fl & ~O_NONBLOCK);
        }
        sd_event_source_disable_unref(t.refresh);
        sd_event_source_disable_unref(t.soon);
        status_snapshot_done(&t.snap);
        status_snapshot_done(&t.events);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %s", strerror(-r));
        return t.exit_code;
}

VIGILCTL_VERB(top, "top", "[--interval DURATION] [--iterations N|--once] [--all]",
              "The status, refreshed live (a terminal UI; frames when piped)", verb_top);
