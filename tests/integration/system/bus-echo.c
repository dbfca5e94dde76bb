/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bus-echo NAME: a stand-in for a vigil daemon on the bus, used to test the
 * shipped bus policy (dbus/system.d) on its own. It requests NAME and then
 * answers every method call on every object with an empty reply, so that a
 * failed call can only come from the bus refusing it.
 * Exit: 0 on SIGTERM, 3 when the bus refuses the name, 1 on other errors.
 * Prints "owned NAME" on stdout once it holds the name. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

static int on_call(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        if (!sd_bus_message_is_method_call(m, NULL, NULL))
                return 0;
        return sd_bus_reply_method_return(m, NULL);
}

int main(int argc, char **argv) {
        sd_event *e = NULL;
        sd_bus *bus = NULL;
        int r;

        if (argc != 2) {
                fprintf(stderr, "usage: %s NAME\n", argv[0]);
                return 2;
        }
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&e);
        if (r >= 0)
                r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "bus-echo: cannot connect to the system bus: %s\n", strerror(-r));
                return 1;
        }
        (void) sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(e, NULL, SIGINT, NULL, NULL);
        /* the test's bus going away ends the stand-in too */
        (void) sd_bus_set_exit_on_disconnect(bus, 1);
        r = sd_bus_add_fallback(bus, NULL, "/", on_call, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, 0);
        if (r < 0) {
                fprintf(stderr, "bus-echo: setup failed: %s\n", strerror(-r));
                return 1;
        }
        r = sd_bus_request_name(bus, argv[1], 0);
        if (r < 0) {
                fprintf(stderr, "bus-echo: cannot own %s: %s\n", argv[1], strerror(-r));
                return r == -EACCES || r == -EPERM ? 3 : 1;
        }
        printf("owned %s\n", argv[1]);
        fflush(stdout);
        r = sd_event_loop(e);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(e);
        return r < 0 ? 1 : 0;
}
