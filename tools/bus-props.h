/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Walks an a{sv} of D-Bus properties (GetAll, GetManagedObjects, PropertiesChanged)
 * for the bus readers of vigilctl and vigil-exporter. */

#include <systemd/sd-bus.h>

/* Reads the variant's contents when it knows NAME with signature SIG and
 * returns 1, or returns 0 to have it skipped (a property added later, or a
 * type we do not expect: skipped, not misread); <0 on error. */
typedef int (*BusPropHandler)(sd_bus_message *m, const char *name, const char *sig, void *obj);

int bus_read_properties(sd_bus_message *m, BusPropHandler handler, void *obj);

/* True when the property is NAME with signature SIG (inside a BusPropHandler). */
#define BUS_PROP_IS(n, s) (streq(name, n) && streq(sig, s))
