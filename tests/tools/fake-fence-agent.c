/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A scriptable org.vigil.FenceAgent1 for tests: owns --name on the bus,
 * answers Fence(instance, peer) as the first word of --mode-file says
 * (ok | fail | hang | garbage), logs every call to stdout, and emits
 * Revoked(instance, "test") for the last fenced instance on SIGUSR1. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

static const char *mode_file;
static char last_instance[128] = "";
static sd_bus *bus;

static void mode(char *buf, size_t len) {
        FILE *f = fopen(mode_file, "re");
        snprintf(buf, len, "ok");
        if (f) {
                if (fscanf(f, "%31s", buf) != 1)
                        snprintf(buf, len, "ok");
                fclose(f);
        }
}

static int method_fence(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *instance, *peer;
        char md[32];
        int r = sd_bus_message_read(m, "ss", &instance, &peer);
        if (r < 0)
                return r;
        snprintf(last_instance, sizeof last_instance, "%s", instance);
        mode(md, sizeof md);
        printf("Fence %s peer=%s mode=%s\n", instance, peer, md);
        fflush(stdout);
        if (strcmp(md, "hang") == 0) {
                sd_bus_message_ref(m); /* never answered */
                return 1;
        }
        if (strcmp(md, "garbage") == 0)
                return sd_bus_reply_method_return(m, "s", "not a (bs)");
        return sd_bus_reply_method_return(m, "bs", strcmp(md, "ok") == 0, strcmp(md, "ok") == 0 ? "granted" : "denied by test");
}

static int method_release(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *instance;
        int r = sd_bus_message_read(m, "s", &instance);
        if (r < 0)
                return r;
        printf("Release %s\n", instance);
        fflush(stdout);
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Fence", "ss", "bs", method_fence, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Release", "s", "", method_release, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL("Revoked", "ss", 0),
        SD_BUS_VTABLE_END
};

static int on_usr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        printf("Revoked %s\n", last_instance);
        fflush(stdout);
        return sd_bus_emit_signal(bus, "/org/vigil/FenceAgent1", "org.vigil.FenceAgent1", "Revoked", "ss", last_instance, "test");
}

static int on_term(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "name", required_argument, NULL, 'n' },
                { "mode-file", required_argument, NULL, 'm' },
                {}
        };
        const char *name = NULL;
        sd_event *e = NULL;
        int c, r;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'n': name = optarg; break;
                case 'm': mode_file = optarg; break;
                default: return 2;
                }
        if (!name || !mode_file) {
                fprintf(stderr, "usage: fake-fence-agent --name NAME --mode-file FILE\n");
                return 2;
        }
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGUSR1);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        if ((r = sd_event_default(&e)) < 0 || (r = sd_bus_open_system(&bus)) < 0 ||
            (r = sd_bus_attach_event(bus, e, 0)) < 0 ||
            (r = sd_bus_add_object_vtable(bus, NULL, "/org/vigil/FenceAgent1", "org.vigil.FenceAgent1", vtable, NULL)) < 0 ||
            (r = sd_bus_request_name(bus, name, 0)) < 0) {
                fprintf(stderr, "fake-fence-agent: %s\n", strerror(-r));
                return 1;
        }
        sd_event_add_signal(e, NULL, SIGUSR1, on_usr1, NULL);
        sd_event_add_signal(e, NULL, SIGTERM, on_term, NULL);
        sd_event_add_signal(e, NULL, SIGINT, on_term, NULL);
        printf("ready %s\n", name);
        fflush(stdout);
        r = sd_event_loop(e);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(e);
        return r < 0 ? 1 : 0;
}
