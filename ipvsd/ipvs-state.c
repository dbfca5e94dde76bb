/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ownership file: which services vigil created or adopted, so that a
 * restarted ipvsd removes its own leftovers and nothing else. Written
 * atomically (temp file + rename): a crash leaves the old or the new list. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ipvsd.h"
#include "log.h"
#include "macro.h"

#define STATE_MAX_BYTES (16 * 1024 * 1024)

int ipvs_state_load(const char *path, IpvsOwned *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        unsigned line = 0;
        int r;

        f = fopen(path, "re");
        if (!f) {
                if (errno == ENOENT) {
                        *ret = (IpvsOwned) {};
                        return 0;
                }
                return log_error_errno(errno, "Failed to open state file %s: %m", path);
        }
        for (;;) {
                if (len + 4096 + 1 > cap) {
                        cap = cap ? cap * 2 : 8192;
                        if (cap > STATE_MAX_BYTES)
                                return log_error_errno(EFBIG, "State file %s is larger than %d bytes.", path, STATE_MAX_BYTES);
                        char *n = realloc(buf, cap);
                        if (!n)
                                return log_oom();
                        buf = n;
                }
                size_t k = fread(buf + len, 1, cap - len - 1, f);
                len += k;
                if (k == 0)
                        break;
        }
        if (ferror(f))
                return log_error_errno(EIO, "Failed to read state file %s.", path);
        buf[len] = 0;
        r = ipvs_owned_parse(buf, ret, &line);
        if (r == -EBADMSG)
                return log_error_errno(r, "%s:%u: unparsable service key; refusing to guess which services are ours.", path, line);
        return r;
}

int ipvs_state_save(const char *path, const IpvsOwned *o) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        int r;

        if (asprintf(&tmp, "%s.tmp", path) < 0)
                return log_oom();
        f = fopen(tmp, "we");
        if (!f)
                return log_error_errno(errno, "Failed to write state file %s: %m", tmp);
        r = ipvs_owned_format(o, f);
        if (r >= 0 && fflush(f) != 0)
                r = -errno;
        if (r >= 0 && fsync(fileno(f)) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return log_error_errno(r, "Failed to write state file %s: %m", tmp);
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                (void) unlink(tmp);
                return log_error_errno(r, "Failed to replace state file %s: %m", path);
        }
        return 0;
}
