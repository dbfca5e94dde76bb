/* SPDX-License-Identifier: GPL-2.0-or-later */
/* org.vigil.Vrrp1 (DESIGN §6): the Manager at /org/vigil/Vrrp1 and one
 * object per instance at /org/vigil/Vrrp1/instance/<name, bus-escaped>,
 * served by a fallback vtable so reloads need no (un)registration. */

#include <errno.h>
#include <stdarg.h>

#include "vrrpd.h"

static int method_list_instances(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Daemon *d = userdata;
        Manager *mgr = d->userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(so)");
        if (r < 0)
                return r;
        for (size_t k = 0; k < mgr->n_instances; k++) {
                r = sd_bus_message_append(reply, "(so)", mgr->instances[k]->name, mgr->instances[k]->path);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

const sd_bus_vtable vrrp_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        DAEMON_MANAGER_VTABLE_COMMON,
        SD_BUS_METHOD_WITH_NAMES("ListInstances", "", , "a(so)", SD_BUS_PARAM(instances), method_list_instances,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Instance *i = userdata;
        char buf[ADDR_STR_MAX];

        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", i->name);
        if (streq(property, "State"))
                return sd_bus_message_append(reply, "s", vrrp_state_to_string(i->fsm.state));
        if (streq(property, "Priority"))
                return sd_bus_message_append(reply, "u", (uint32_t) (i->priority_override ?: i->conf->priority));
        if (streq(property, "EffectivePriority"))
                return sd_bus_message_append(reply, "u", (uint32_t) i->fsm.effective_priority);
        if (streq(property, "MasterAddress"))
                return sd_bus_message_append(reply, "s", i->fsm.has_master && i->fsm.state != VRRP_STATE_FAULT ?
                                             format_address(buf, sizeof buf, i->conf->family, &i->fsm.master_addr) : "");
        if (streq(property, "LastTransition"))
                return sd_bus_message_append(reply, "t", (uint64_t) i->last_transition);
        if (streq(property, "LastReason"))
                return sd_bus_message_append(reply, "s", i->last_reason);
        if (streq(property, "LastError"))
                return sd_bus_message_append(reply, "s", strempty(i->last_error));
        if (streq(property, "Interface"))
                return sd_bus_message_append(reply, "s", i->conf->interface);
        if (streq(property, "VirtualRouterId"))
                return sd_bus_message_append(reply, "u", (uint32_t) i->conf->virtual_router_id);
        if (streq(property, "Version"))
                return sd_bus_message_append(reply, "u", (uint32_t) i->conf->version);
        if (streq(property, "SyncGroup"))
                return sd_bus_message_append(reply, "s", i->group ? i->group->name : "");
        if (streq(property, "VirtualAddresses")) {
                int r = sd_bus_message_open_container(reply, 'a', "s");
                if (r < 0)
                        return r;
                for (size_t k = 0; k < i->conf->n_virtual_addresses; k++) {
                        r = sd_bus_message_append(reply, "s", format_address_prefix(buf, sizeof buf,
                                                                                    &i->conf->virtual_addresses[k].addr));
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_close_container(reply);
        }
        if (streq(property, "Counters")) {
                int r = sd_bus_message_open_container(reply, 'a', "{st}");
                if (r < 0)
                        return r;
                for (unsigned c = 1; c < _VRRP_COUNTER_MAX; c++) {
                        r = sd_bus_message_append(reply, "{st}", vrrp_counter_to_string(c), i->counters[c]);
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_close_container(reply);
        }
        return -ENOENT;
}

static int method_set_priority(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Instance *i = userdata;
        uint32_t prio;
        int r;

        r = daemon_check_privileged(m, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "u", &prio);
        if (r < 0)
                return r;
        r = instance_set_priority(i, prio, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

static int method_demote(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Instance *i = userdata;
        int r;

        r = daemon_check_privileged(m, error);
        if (r < 0)
                return r;
        r = instance_demote(i, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

#define PROP(name, sig) SD_BUS_PROPERTY(name, sig, property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)

static const sd_bus_vtable instance_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        PROP("State", "s"),
        PROP("Priority", "u"),
        PROP("EffectivePriority", "u"),
        PROP("MasterAddress", "s"),
        PROP("VirtualAddresses", "as"),
        PROP("LastTransition", "t"),
        PROP("LastReason", "s"),
        PROP("LastError", "s"),
        PROP("Counters", "a{st}"),
        PROP("Interface", "s"),
        PROP("VirtualRouterId", "u"),
        PROP("Version", "u"),
        PROP("SyncGroup", "s"),
        SD_BUS_METHOD_WITH_NAMES("SetPriority", "u", SD_BUS_PARAM(priority), "", , method_set_priority,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Demote", "", "", method_demote, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("StateChanged", "tsss", SD_BUS_PARAM(seq) SD_BUS_PARAM(from) SD_BUS_PARAM(to)
                                 SD_BUS_PARAM(reason), 0),
        SD_BUS_VTABLE_END,
};

static int instance_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                         sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *name = NULL;
        Instance *i;
        int r;

        r = sd_bus_path_decode(path, VRRP_BUS_INSTANCE_PREFIX, &name);
        if (r <= 0)
                return 0;
        i = manager_find_instance(m, name);
        if (!i)
                return 0;
        *found = i;
        return 1;
}

static int instance_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        char **l = calloc(m->n_instances + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t k = 0; k < m->n_instances; k++) {
                l[k] = strdup(m->instances[k]->path);
                if (!l[k]) {
                        strv_free(l);
                        return -ENOMEM;
                }
        }
        *nodes = l;
        return 0;
}

int vrrp_bus_register(Manager *m) {
        int r;

        r = sd_bus_add_fallback_vtable(m->bus, NULL, VRRP_BUS_INSTANCE_PREFIX, VRRP_BUS_INSTANCE_IFACE,
                                       instance_vtable, instance_find, m);
        if (r < 0)
                return r;
        r = sd_bus_add_node_enumerator(m->bus, NULL, VRRP_BUS_INSTANCE_PREFIX, instance_enumerate, m);
        if (r < 0)
                return r;
        return sd_bus_add_object_manager(m->bus, NULL, VRRP_BUS_PATH);
}

void vrrp_bus_emit_state_changed(Instance *i, uint64_t seq, VrrpState from, VrrpState to, const char *reason) {
        Manager *m = i->manager;
        int r;

        if (!m->bus)
                return;
        r = sd_bus_emit_signal(m->bus, i->path, VRRP_BUS_INSTANCE_IFACE, "StateChanged", "tsss", seq,
                               vrrp_state_to_string(from), vrrp_state_to_string(to), reason);
        if (r < 0)
                log_instance(LOG_WARNING, r, i->name, "Emitting StateChanged failed: %m");
}

void vrrp_bus_emit_properties(Instance *i, const char *first, ...) {
        Manager *m = i->manager;
        const char *names[16];
        size_t n = 0;
        va_list ap;

        if (!m->bus || i->stopped)
                return;
        va_start(ap, first);
        for (const char *p = first; p && n < ELEMENTSOF(names) - 1; p = va_arg(ap, const char *))
                names[n++] = p;
        va_end(ap);
        names[n] = NULL;
        (void) sd_bus_emit_properties_changed_strv(m->bus, i->path, VRRP_BUS_INSTANCE_IFACE, (char **) names);
}
