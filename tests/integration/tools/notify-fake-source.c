/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper for vigil-notify's integration test: a stand-in for vigil-vrrpd
 * and vigil-checkerd on a private bus. It owns org.vigil.Vrrp1 and
 * org.vigil.Checker1, serves ListInstances/ListChecks and the objects'
 * properties per DESIGN §6, and emits StateChanged on command. Commands come
 * one per line on stdin (a FIFO in the test):
 *
 *   set NAME STATE [REASON]   instance state change (signal with the next seq)
 *   flap NAME COUNT           COUNT changes alternating master/backup
 *   check NAME STATE          check state change
 *   bad NAME                  StateChanged with the wrong signature ("ss")
 *   spoof                     (nothing: spoofing is tested from a second connection)
 *   echo WORD                 prints WORD on stdout (the test waits for it)
 *   quit
 *
 * Objects: --instance NAME (repeatable), --check NAME (repeatable). */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define MAX_OBJ 32

typedef struct Obj {
        char *name;
        char *path;
        char state[16];
        uint32_t priority;
        int checker;
} Obj;

static Obj objs[MAX_OBJ];
static size_t n_objs;
static uint64_t seq_vrrp, seq_check;
static sd_bus *bus;
static sd_event *event;
static char linebuf[4096];
static size_t linelen;

static Obj *obj_find(const char *name, int checker) {
        for (size_t i = 0; i < n_objs; i++)
                if (objs[i].checker == checker && strcmp(objs[i].name, name) == 0)
                        return &objs[i];
        return NULL;
}

static Obj *obj_by_path(const char *path) {
        for (size_t i = 0; i < n_objs; i++)
                if (strcmp(objs[i].path, path) == 0)
                        return &objs[i];
        return NULL;
}

static int prop_get(sd_bus *b, const char *path, const char *interface, const char *property, sd_bus_message *reply,
                    void *userdata, sd_bus_error *error) {
        Obj *o = obj_by_path(path);
        if (!o)
                return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "no such object");
        if (strcmp(property, "Name") == 0)
                return sd_bus_message_append(reply, "s", o->name);
        if (strcmp(property, "State") == 0)
                return sd_bus_message_append(reply, "s", o->state);
        if (strcmp(property, "Priority") == 0)
                return sd_bus_message_append(reply, "y", (uint8_t) o->priority);
        if (strcmp(property, "EffectivePriority") == 0)
                return sd_bus_message_append(reply, "u", o->priority);
        return -EINVAL;
}

static const sd_bus_vtable instance_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", prop_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", prop_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Priority", "y", prop_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("EffectivePriority", "u", prop_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_SIGNAL("StateChanged", "tsss", 0),
        SD_BUS_VTABLE_END
};

static const sd_bus_vtable check_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", prop_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", prop_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_SIGNAL("StateChanged", "tsss", 0),
        SD_BUS_VTABLE_END
};

static int list(sd_bus_message *m, int checker) {
        sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(so)");
        for (size_t i = 0; r >= 0 && i < n_objs; i++)
                if (objs[i].checker == checker)
                        r = sd_bus_message_append(reply, "(so)", objs[i].name, objs[i].path);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int method_list_instances(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return list(m, 0);
}
static int method_list_checks(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return list(m, 1);
}

static const sd_bus_vtable vrrp_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("ListInstances", "", "a(so)", method_list_instances, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
static const sd_bus_vtable checker_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("ListChecks", "", "a(so)", method_list_checks, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

static int change(Obj *o, const char *to, const char *reason) {
        char from[16];
        snprintf(from, sizeof from, "%s", o->state);
        snprintf(o->state, sizeof o->state, "%s", to);
        const char *iface = o->checker ? "org.vigil.Checker1.Check" : "org.vigil.Vrrp1.Instance";
        uint64_t seq = o->checker ? ++seq_check : ++seq_vrrp;
        (void) sd_bus_emit_properties_changed(bus, o->path, iface, "State", NULL);
        return sd_bus_emit_signal(bus, o->path, iface, "StateChanged", "tsss", seq, from, to, reason);
}

static void command(char *line) {
        char *argv[4] = {};
        int argc = 0;
        for (char *tok = strtok(line, " \t"); tok && argc < 4; tok = strtok(NULL, argc == 3 ? "\n" : " \t"))
                argv[argc++] = tok;
        if (argc == 0)
                return;
        Obj *o = NULL;
        if (argc >= 2)
                o = obj_find(argv[1], strcmp(argv[0], "check") == 0);
        if (strcmp(argv[0], "set") == 0 && o && argc >= 3)
                change(o, argv[2], argc >= 4 ? argv[3] : "test");
        else if (strcmp(argv[0], "check") == 0 && o && argc >= 3)
                change(o, argv[2], "test");
        else if (strcmp(argv[0], "flap") == 0 && o && argc >= 3) {
                long n = strtol(argv[2], NULL, 10);
                for (long i = 0; i < n; i++)
                        change(o, strcmp(o->state, "master") == 0 ? "backup" : "master", "flap");
        } else if (strcmp(argv[0], "bad") == 0 && o)
                sd_bus_emit_signal(bus, o->path, "org.vigil.Vrrp1.Instance", "StateChanged", "ss", "backup", "master");
        else if (strcmp(argv[0], "echo") == 0 && argc >= 2) {
                printf("%s %" PRIu64 "\n", argv[1], seq_vrrp);
                fflush(stdout);
        } else if (strcmp(argv[0], "quit") == 0)
                sd_event_exit(event, 0);
        else
                fprintf(stderr, "fake-source: bad command '%s'\n", argv[0]);
        sd_bus_flush(bus);
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ssize_t n = read(fd, linebuf + linelen, sizeof linebuf - 1 - linelen);
        if (n <= 0)
                return sd_event_exit(event, 0);
        linelen += (size_t) n;
        char *nl;
        while ((nl = memchr(linebuf, '\n', linelen))) {
                *nl = 0;
                command(linebuf);
                size_t used = (size_t) (nl - linebuf) + 1;
                memmove(linebuf, nl + 1, linelen - used);
                linelen -= used;
        }
        if (linelen == sizeof linebuf - 1)
                linelen = 0;
        return 0;
}

static int add_obj(const char *name, int checker) {
        if (n_objs >= MAX_OBJ)
                return -E2BIG;
        Obj *o = &objs[n_objs];
        o->name = strdup(name);
        o->checker = checker;
        o->priority = 100;
        snprintf(o->state, sizeof o->state, "%s", checker ? "unknown" : "backup");
        int r = checker ? asprintf(&o->path, "/org/vigil/Checker1/check/%zu", n_objs) :
                          sd_bus_path_encode("/org/vigil/Vrrp1/instance", name, &o->path);
        if (r < 0)
                return -ENOMEM;
        n_objs++;
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "instance", required_argument, NULL, 'i' },
                { "check", required_argument, NULL, 'k' },
                { "initial", required_argument, NULL, 's' },
                {}
        };
        const char *initial = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'i':
                        if (add_obj(optarg, 0) < 0)
                                return 1;
                        if (initial)
                                snprintf(objs[n_objs - 1].state, sizeof objs[0].state, "%s", initial);
                        break;
                case 'k':
                        if (add_obj(optarg, 1) < 0)
                                return 1;
                        break;
                case 's':
                        initial = optarg;
                        break;
                default:
                        return 2;
                }

        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, 0);
        if (r < 0) {
                fprintf(stderr, "fake-source: bus: %s\n", strerror(-r));
                return 1;
        }
        sd_bus_add_object_vtable(bus, NULL, "/org/vigil/Vrrp1", "org.vigil.Vrrp1.Manager", vrrp_manager_vtable, NULL);
        sd_bus_add_object_vtable(bus, NULL, "/org/vigil/Checker1", "org.vigil.Checker1.Manager", checker_manager_vtable, NULL);
        for (size_t i = 0; i < n_objs; i++)
                sd_bus_add_object_vtable(bus, NULL, objs[i].path,
                                         objs[i].checker ? "org.vigil.Checker1.Check" : "org.vigil.Vrrp1.Instance",
                                         objs[i].checker ? check_vtable : instance_vtable, NULL);
        if ((r = sd_bus_request_name(bus, "org.vigil.Vrrp1", 0)) < 0 ||
            (r = sd_bus_request_name(bus, "org.vigil.Checker1", 0)) < 0) {
                fprintf(stderr, "fake-source: name: %s\n", strerror(-r));
                return 1;
        }
        sd_event_add_io(event, NULL, STDIN_FILENO, EPOLLIN, on_stdin, NULL);
        printf("ready\n");
        fflush(stdout);
        r = sd_event_loop(event);
        sd_bus_flush_close_unref(bus);
        return r < 0 ? 1 : 0;
}
