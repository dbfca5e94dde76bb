/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper for fence-zk.sh: a long-lived FenceAgent1 caller, as vrrpd is
 * (the agent gives a lock back when the caller it granted it to leaves the
 * bus, so one-shot busctl calls cannot hold a lock). Commands, one per line
 * on stdin:
 *   fence BUSNAME INSTANCE TAG     → prints "TAG ok DETAIL" / "TAG refused DETAIL" / "TAG error MESSAGE"
 *   release BUSNAME INSTANCE TAG   → prints "TAG released" / "TAG error MESSAGE"
 *   quit
 * Calls are asynchronous: several may be in flight. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

static sd_bus *bus;
static sd_event *event;
static char buf[4096];
static size_t len;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        char *tag = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e)
                printf("%s error %s\n", tag, e->message ? e->message : e->name);
        else if (sd_bus_message_has_signature(m, ""))
                printf("%s released\n", tag);
        else {
                int ok = 0;
                const char *detail = "";
                if (sd_bus_message_read(m, "bs", &ok, &detail) < 0)
                        printf("%s error bad reply\n", tag);
                else
                        printf("%s %s %s\n", tag, ok ? "ok" : "refused", detail);
        }
        fflush(stdout);
        free(tag);
        return 0;
}

static void command(char *line) {
        char *argv[4] = {};
        int argc = 0;
        for (char *t = strtok(line, " \t"); t && argc < 4; t = strtok(NULL, " \t"))
                argv[argc++] = t;
        if (argc == 1 && strcmp(argv[0], "quit") == 0) {
                sd_event_exit(event, 0);
                return;
        }
        if (argc != 4 || (strcmp(argv[0], "fence") != 0 && strcmp(argv[0], "release") != 0)) {
                fprintf(stderr, "fence-caller: bad command\n");
                return;
        }
        char *tag = strdup(argv[3]);
        int fence = strcmp(argv[0], "fence") == 0;
        int r = fence ? sd_bus_call_method_async(bus, NULL, argv[1], "/org/vigil/FenceAgent1", "org.vigil.FenceAgent1",
                                                 "Fence", on_reply, tag, "ss", argv[2], "test-peer")
                      : sd_bus_call_method_async(bus, NULL, argv[1], "/org/vigil/FenceAgent1", "org.vigil.FenceAgent1",
                                                 "Release", on_reply, tag, "s", argv[2]);
        if (r < 0) {
                printf("%s error %s\n", tag, strerror(-r));
                fflush(stdout);
                free(tag);
        }
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
                return sd_event_exit(event, 0);
        len += (size_t) n;
        char *nl;
        while ((nl = memchr(buf, '\n', len))) {
                *nl = 0;
                command(buf);
                size_t used = (size_t) (nl - buf) + 1;
                memmove(buf, nl + 1, len - used);
                len -= used;
        }
        if (len == sizeof buf - 1)
                len = 0;
        return 0;
}

int main(void) {
        int r = sd_event_default(&event);
        if (r >= 0)
                r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, 0);
        if (r < 0) {
                fprintf(stderr, "fence-caller: %s\n", strerror(-r));
                return 1;
        }
        sd_event_add_io(event, NULL, STDIN_FILENO, EPOLLIN, on_stdin, NULL);
        printf("ready\n");
        fflush(stdout);
        r = sd_event_loop(event);
        sd_bus_flush_close_unref(bus);
        return r < 0 ? 1 : 0;
}
