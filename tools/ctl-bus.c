/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "cleanup-libs.h"
#include "log.h"
#include "vigilctl.h"

int ctl_bus_open(sd_bus **ret) {
        int r = sd_bus_open_system(ret);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %s", strerror(-r));
        return 0;
}

bool ctl_name_has_owner(sd_bus *bus, const char *name) {
        _cleanup_(sd_bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int has = 0;

        if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", &error, &reply, "s", name) < 0)
                return false;
        if (sd_bus_message_read(reply, "b", &has) < 0)
                return false;
        return has;
}

int ctl_log_bus_error(const char *what, const sd_bus_error *error, int r) {
        if (sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED))
                return log_error_errno(r, "%s: access denied (mutating calls need root or group vigil-admin).", what);
        if (sd_bus_error_has_name(error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
            sd_bus_error_has_name(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                return log_error_errno(r, "%s: the daemon is not running.", what);
        return log_error_errno(r, "%s: %s", what, error && error->message ? error->message : strerror(-r));
}

void ctl_json_string(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) strempty(s); *p; p++) {
                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        if (*p < 0x20)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        }
        fputc('"', f);
}
