/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cleanup-libs.h"
#include "daemon.h"
#include "log.h"

static void help(const DaemonOps *ops) {
        printf("%s [OPTIONS...]\n\n"
               "%s\n\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "  -c --config FILE        Configuration file (default %s)\n"
               "     --check-config       Validate the configuration and exit (0 = valid)\n"
               "     --dump-config        Print the normalized configuration this daemon uses and exit\n"
               "     --log-level LEVEL    err, warning, notice, info or debug (default info)\n"
               "     --log-target TARGET  auto, journal or console (default auto)\n\n"
               "Bus name %s (override with $VIGIL_BUS_NAME); the system bus is taken\n"
               "from $DBUS_SYSTEM_BUS_ADDRESS when set.\n",
               ops->name, ops->description, VIGIL_DEFAULT_CONFIG, ops->bus_name);
}

/* Loads and validates; logs every diagnostic with its location. */
static int load_config(const char *path, Config **ret, ConfDiags *diags, bool to_stderr) {
        int r = config_load_file(path, ret, diags);
        if (to_stderr)
                conf_diags_print(diags, stderr);
        else
                for (size_t i = 0; i < diags->n; i++) {
                        const ConfDiag *dg = &diags->items[i];
                        log_full(dg->warning ? LOG_WARNING : LOG_ERR, "%s:%u:%u: %s: %s", strna(dg->loc.file),
                                 dg->loc.line, dg->loc.col, dg->warning ? "warning" : "error", dg->message);
                }
        if (r < 0 && diags->n_errors == 0)
                log_error_errno(r, "%s: %s", path, strerror(-r));
        return r;
}

/* The loader warns "the configuration is empty" for a document with nothing
 * in it (its only way of saying so). */
static bool diags_say_empty(const ConfDiags *diags) {
        for (size_t i = 0; i < diags->n; i++)
                if (diags->items[i].warning && streq(diags->items[i].message, "the configuration is empty"))
                        return true;
        return false;
}

int daemon_reload(Daemon *d, sd_bus_error *error) {
        _cleanup_config_ Config *c = NULL;
        ConfDiags diags = {};
        int r;

        (void) sd_notify(false, "RELOADING=1\nSTATUS=Reloading configuration...");
        log_info("Reloading configuration from %s.", d->config_path);

        r = load_config(d->config_path, &c, &diags, false);
        if (r < 0) {
                _cleanup_free_ char *msg = conf_diags_to_string(&diags);
                log_error("Reload refused: %s is invalid; the running configuration is kept.", d->config_path);
                if (error)
                        sd_bus_error_setf(error, VIGIL_ERROR_INVALID_CONFIG, "%s: invalid configuration, kept the running one:\n%s",
                                          d->config_path, !isempty(msg) ? msg : strerror(-r));
                conf_diags_free(&diags);
                (void) sd_notify(false, "READY=1\nSTATUS=Running (last reload refused: invalid configuration)");
                return r;
        }
        /* An empty file on reload is most likely one caught being written
         * (truncated, not filled yet): applying it would stop every instance,
         * check and service at once. To remove everything, write the sections
         * empty. At start an empty file is accepted (with the warning). */
        if (diags_say_empty(&diags)) {
                conf_diags_free(&diags);
                log_error("Reload refused: %s is empty (being written?); the running configuration is kept.", d->config_path);
                if (error)
                        sd_bus_error_setf(error, VIGIL_ERROR_INVALID_CONFIG,
                                          "%s: the file is empty (being written?), kept the running configuration; "
                                          "to remove everything, write the sections empty (e.g. 'vrrp: {instances: {}}')",
                                          d->config_path);
                (void) sd_notify(false, "READY=1\nSTATUS=Running (last reload refused: empty file)");
                return -ENODATA;
        }
        conf_diags_free(&diags);

        if (d->ops->reload) {
                _cleanup_(sd_bus_error_free) sd_bus_error local = SD_BUS_ERROR_NULL;
                r = d->ops->reload(d, c, error ?: &local);
                if (r < 0) {
                        log_error_errno(r, "Reload failed, running configuration kept: %s",
                                        (error ?: &local)->message ?: strerror(-r));
                        if (error && !sd_bus_error_is_set(error))
                                sd_bus_error_set_errno(error, r);
                        (void) sd_notify(false, "READY=1\nSTATUS=Running (last reload failed)");
                        return r;
                }
        }
        config_free(d->config);
        d->config = TAKE_PTR(c);
        d->reloads++;
        log_info("Configuration reloaded.");
        (void) sd_notify(false, "READY=1\nSTATUS=Running");
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) daemon_reload(userdata, NULL);
        return 0;
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Daemon *d = userdata;
        if (d->stopping)
                return 0;
        d->stopping = true;
        log_info("Received %s, stopping.", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping...");
        if (d->ops->stop)
                d->ops->stop(d);
        return sd_event_exit(d->event, 0);
}

int daemon_property_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", VIGIL_VERSION);
}

int daemon_method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Daemon *d = userdata;
        int r = daemon_check_privileged(m, error);
        if (r < 0)
                return r;
        r = daemon_reload(d, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

static bool uid_is_user(uid_t uid, const char *name) {
        struct passwd *pw = getpwnam(name);
        return pw && pw->pw_uid == uid;
}

int daemon_check_privileged(sd_bus_message *m, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t euid;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID | SD_BUS_CREDS_SUPPLEMENTARY_GIDS |
                                          SD_BUS_CREDS_AUGMENT, &creds);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot determine the caller's credentials: %s", strerror(-r));
        r = sd_bus_creds_get_euid(creds, &euid);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot determine the caller's user: %s", strerror(-r));

        if (euid == 0 || euid == geteuid() || uid_is_user(euid, "vigil-vrrp") || uid_is_user(euid, "vigil-check"))
                return 1;

        struct group *gr = getgrnam("vigil-admin");
        if (gr) {
                gid_t egid;
                const gid_t *gids;
                if (sd_bus_creds_get_egid(creds, &egid) >= 0 && egid == gr->gr_gid)
                        return 1;
                int n = sd_bus_creds_get_supplementary_gids(creds, &gids);
                for (int i = 0; i < n; i++)
                        if (gids[i] == gr->gr_gid)
                                return 1;
        }
        log_notice("Denied %s.%s() to uid %u.", sd_bus_message_get_interface(m), sd_bus_message_get_member(m),
                   (unsigned) euid);
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                 "%s() changes state: only root and members of group vigil-admin may call it.",
                                 sd_bus_message_get_member(m));
}

typedef struct VanishedCall {
        daemon_vanished_handler_t cb;
        void *userdata;
        char name[];
} VanishedCall;

static int on_vanished_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        VanishedCall *c = userdata;
        int has = 1;

        /* no answer (the connection dropped: sd-bus makes one up) proves nothing */
        if (sd_bus_message_is_method_error(reply, NULL) || sd_bus_is_open(sd_bus_message_get_bus(reply)) <= 0)
                return 0;
        if (sd_bus_message_read(reply, "b", &has) < 0 || has)
                return 0;
        log_debug("The bus confirms %s has no owner.", c->name);
        c->cb(c->name, c->userdata);
        return 0;
}

int daemon_confirm_vanished(sd_bus *bus, const char *name, daemon_vanished_handler_t cb, void *userdata) {
        sd_bus_slot *slot = NULL;
        size_t n = strlen(name) + 1;
        VanishedCall *c = malloc(sizeof *c + n);
        int r;

        if (!c)
                return -ENOMEM;
        c->cb = cb;
        c->userdata = userdata;
        memcpy(c->name, name, n);
        r = sd_bus_call_method_async(bus, &slot, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "NameHasOwner", on_vanished_reply, c, "s", name);
        if (r < 0) {
                free(c);
                /* cannot even ask: our connection is already going with the bus */
                if (sd_bus_is_open(bus) <= 0 || r == -ENOTCONN || r == -ECONNRESET || r == -EPIPE)
                        return 0;
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(slot, free);
        (void) sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        return 0;
}

#define RECONNECT_MIN (100 * USEC_PER_MSEC)
#define RECONNECT_MAX (5 * USEC_PER_SEC)

static int schedule_reconnect(Daemon *d);

static int on_bus_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Daemon *d = userdata;

        if (d->stopping)
                return 0;
        if (!d->bus_lost)
                log_warning("Lost the connection to the bus: keeping all state, reconnecting (%s is off the bus meanwhile).",
                            d->bus_name);
        d->bus_lost = true;
        (void) sd_notify(false, "STATUS=Bus disconnected, retrying");
        /* Not here: the bus cannot be freed from inside its own dispatch. */
        (void) schedule_reconnect(d);
        return 0;
}

/* Opens the system bus and hooks it to the loop: the Disconnected watch, the
 * Manager object and its object manager. With wait, completes the handshake
 * now (at start, so a long start() cannot outlive dbus-daemon's
 * authentication timeout); without, the loop completes it (reconnects must
 * not block the VRRP adverts). */
static int bus_open(Daemon *d, bool wait) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_full_errno(d->bus_lost ? LOG_DEBUG : LOG_ERR, r,
                                      "Failed to connect to the system bus%s%s: %s",
                                      getenv("DBUS_SYSTEM_BUS_ADDRESS") ? " at " : "",
                                      strempty(getenv("DBUS_SYSTEM_BUS_ADDRESS")), strerror(-r));
        r = sd_bus_attach_event(bus, d->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        (void) sd_bus_set_exit_on_disconnect(bus, false);
        /* A local match: no AddMatch goes to dbus-daemon for it. */
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_bus_disconnected, d);
        if (r < 0)
                return log_error_errno(r, "Failed to watch for bus disconnection: %m");
        if (wait) {
                const char *unique;
                r = sd_bus_get_unique_name(bus, &unique);
                if (r < 0)
                        return log_error_errno(r, "Failed to complete the connection to the bus: %m");
        }
        r = sd_bus_add_object_vtable(bus, NULL, d->ops->manager_path, d->ops->manager_interface,
                                     d->ops->manager_vtable, d);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %m", d->ops->manager_path);
        r = sd_bus_add_object_manager(bus, NULL, d->ops->manager_path);
        if (r < 0)
                return log_error_errno(r, "Failed to add the object manager: %m");
        d->bus = TAKE_PTR(bus);
        return 0;
}

static void bus_drop(Daemon *d) {
        if (!d->bus)
                return;
        if (d->ops->detach)
                d->ops->detach(d);
        (void) sd_bus_detach_event(d->bus);
        /* Slots a module still holds keep the closed object alive, nothing more. */
        d->bus = sd_bus_close_unref(d->bus);
}

static int on_name_acquired(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Daemon *d = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e) {
                log_warning("Reconnected, but requesting %s failed: %s; retrying.", d->bus_name,
                            e->message ?: e->name);
                (void) schedule_reconnect(d);
                return 0;
        }
        d->reconnects++;
        log_notice("Back on the bus as %s after %u attempt(s); objects and subscriptions re-registered.", d->bus_name,
                   d->reconnect_attempts);
        d->bus_lost = false;
        d->reconnect_attempts = 0;
        d->reconnect_delay = 0;
        (void) sd_notify(false, "STATUS=Running");
        return 0;
}

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata) {
        Daemon *d = userdata;
        int r;

        bus_drop(d);
        d->reconnect_attempts++;
        r = bus_open(d, false);
        if (r >= 0 && d->ops->attach) {
                r = d->ops->attach(d);
                if (r < 0)
                        log_error_errno(r, "Re-registering on the bus failed: %m");
        }
        if (r >= 0)
                r = sd_bus_request_name_async(d->bus, NULL, d->bus_name, 0, on_name_acquired, d);
        if (r < 0) {
                bus_drop(d);
                return schedule_reconnect(d);
        }
        /* The handshake completes in the loop; a failure there ends in
         * Disconnected again, an error reply in on_name_acquired(). */
        return 0;
}

static int schedule_reconnect(Daemon *d) {
        int r;

        d->reconnect_delay = d->reconnect_delay ? MIN(d->reconnect_delay * 2, RECONNECT_MAX) : RECONNECT_MIN;
        if (!d->reconnect_timer) {
                r = sd_event_add_time_relative(d->event, &d->reconnect_timer, CLOCK_MONOTONIC, d->reconnect_delay,
                                               10 * USEC_PER_MSEC, on_reconnect, d);
                if (r < 0)
                        return log_error_errno(r, "Cannot arm the bus reconnection timer: %m");
                return 0;
        }
        r = sd_event_source_set_time_relative(d->reconnect_timer, d->reconnect_delay);
        if (r >= 0)
                r = sd_event_source_set_enabled(d->reconnect_timer, SD_EVENT_ONESHOT);
        if (r < 0)
                return log_error_errno(r, "Cannot arm the bus reconnection timer: %m");
        return 0;
}

int daemon_main(int argc, char **argv, const DaemonOps *ops, void *userdata) {
        enum { ARG_VERSION = 0x100, ARG_CHECK, ARG_DUMP, ARG_LOG_LEVEL, ARG_LOG_TARGET };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config", required_argument, NULL, 'c' },
                { "check-config", no_argument, NULL, ARG_CHECK },
                { "dump-config", no_argument, NULL, ARG_DUMP },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                {}
        };
        Daemon d = { .ops = ops, .userdata = userdata, .bus_name = getenv("VIGIL_BUS_NAME") ?: ops->bus_name };
        _cleanup_free_ char *config_path = NULL;
        const char *bus_name = d.bus_name;
        bool check = false, dump = false;
        ConfDiags diags = {};
        int c, r;

        log_setup(ops->name);
        while ((c = getopt_long(argc, argv, "hc:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help(ops);
                        return 0;
                case ARG_VERSION:
                        printf("%s %s\n", ops->name, VIGIL_VERSION);
                        return 0;
                case 'c':
                        free(config_path);
                        config_path = strdup(optarg);
                        if (!config_path)
                                return log_oom(), 1;
                        break;
                case ARG_CHECK:
                        check = true;
                        break;
                case ARG_DUMP:
                        dump = true;
                        break;
                case ARG_LOG_LEVEL:
                        if (log_set_max_level_from_string(optarg) < 0) {
                                log_error("Invalid --log-level '%s'.", optarg);
                                return 2;
                        }
                        break;
                case ARG_LOG_TARGET:
                        if (log_set_target_from_string(optarg) < 0) {
                                log_error("Invalid --log-target '%s'.", optarg);
                                return 2;
                        }
                        break;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'. See --help.", argv[optind]);
                return 2;
        }
        if (!config_path && !(config_path = strdup(VIGIL_DEFAULT_CONFIG)))
                return log_oom(), 1;
        d.config_path = config_path;

        r = load_config(config_path, &d.config, &diags, check || dump);
        conf_diags_free(&diags);
        if (check) {
                config_free(d.config);
                if (r < 0) {
                        fprintf(stderr, "%s: configuration is invalid.\n", config_path);
                        return 1;
                }
                printf("%s: configuration is valid.\n", config_path);
                return 0;
        }
        if (r < 0) {
                log_error("Not starting: %s is invalid.", config_path);
                (void) sd_notifyf(false, "STATUS=Invalid configuration %s, see the journal.\nERRNO=%d", config_path, -r);
                /* EX_CONFIG: units do not restart into the same error
                 * (RestartPreventExitStatus=78), but do restart after other failures */
                return 78;
        }
        if (dump) {
                r = config_dump(d.config, ops->sections, stdout);
                config_free(d.config);
                return r < 0 ? 1 : 0;
        }

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) signal(SIGPIPE, SIG_IGN);

        r = sd_event_default(&d.event);
        if (r < 0) {
                log_error_errno(r, "Failed to allocate the event loop: %m");
                goto finish;
        }
        (void) sd_event_add_signal(d.event, NULL, SIGTERM, on_terminate, &d);
        (void) sd_event_add_signal(d.event, NULL, SIGINT, on_terminate, &d);
        (void) sd_event_add_signal(d.event, NULL, SIGHUP, on_sighup, &d);
        (void) sd_event_set_watchdog(d.event, true);

        r = bus_open(&d, true);
        if (r < 0)
                goto finish;

        if (ops->start) {
                r = ops->start(&d);
                if (r < 0) {
                        log_error_errno(r, "Failed to start: %m");
                        goto finish;
                }
        }
        if (ops->attach) {
                r = ops->attach(&d);
                if (r < 0) {
                        log_error_errno(r, "Failed to register on the bus: %m");
                        goto finish;
                }
        }

        /* The name last: a client that sees it can use every object. */
        r = sd_bus_request_name(d.bus, bus_name, 0);
        if (r < 0) {
                log_error_errno(r, "Failed to acquire bus name %s: %s%s", bus_name, strerror(-r),
                                r == -EEXIST ? " (another instance is running?)" :
                                r == -EACCES || r == -EPERM ? " (bus policy: is the dbus policy file installed?)" : "");
                goto finish;
        }

        log_info("%s %s started (config %s, bus name %s).", ops->name, VIGIL_VERSION, config_path, bus_name);
        (void) sd_notify(false, "READY=1\nSTATUS=Running");

        r = sd_event_loop(d.event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
finish:
        d.reconnect_timer = sd_event_source_disable_unref(d.reconnect_timer);
        if (ops->free)
                ops->free(&d);
        if (d.bus) {
                if (!d.bus_lost) /* a blocking call: not into a handshake that may hang */
                        (void) sd_bus_release_name(d.bus, bus_name);
                d.bus = sd_bus_flush_close_unref(d.bus);
        }
        d.event = sd_event_unref(d.event);
        config_free(d.config);
        log_info("%s stopped.", ops->name);
        /* sd_event_exit() codes pass through. A lost bus is reconnected in place;
         * Restart=on-failure stays the backstop for anything that ends the loop. */
        return r < 0 ? 1 : r;
}
