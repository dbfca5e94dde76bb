/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bus-props.h"

int bus_read_properties(sd_bus_message *m, BusPropHandler handler, void *obj) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *sig;
                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, NULL, &sig);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'v', sig);
                if (r < 0)
                        return r;
                r = handler(m, name, sig, obj);
                if (r == 0)
                        r = sd_bus_message_skip(m, sig);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}
