/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "macro.h"
#include "tls-dlopen.h"

/* the soname of the OpenSSL we were compiled against */
#define LIBSSL_SONAME "libssl.so." STRINGIFY(OPENSSL_VERSION_MAJOR)

#define OPENSSL_SYM_DEFINE(f) typeof(f) *sym_##f;
OPENSSL_SYMBOLS(OPENSSL_SYM_DEFINE)
#undef OPENSSL_SYM_DEFINE

static bool loaded;

int dlopen_openssl(char *err, size_t errlen) {
        if (loaded)
                return 0;
        /* never closed: the symbols stay in use until exit */
        void *dl = dlopen(LIBSSL_SONAME, RTLD_NOW | RTLD_NODELETE);
        if (!dl) {
                snprintf(err, errlen, "cannot load %s (needed for https and digest checks): %s", LIBSSL_SONAME,
                         dlerror());
                return -EOPNOTSUPP;
        }
        /* dlsym on the libssl handle also searches libcrypto, its dependency */
#define OPENSSL_SYM_LOAD(f)                                                                                            \
        if (!(sym_##f = (typeof(f) *) dlsym(dl, #f))) {                                                                \
                snprintf(err, errlen, "%s has no symbol %s", LIBSSL_SONAME, #f);                                      \
                return -EOPNOTSUPP;                                                                                    \
        }
        OPENSSL_SYMBOLS(OPENSSL_SYM_LOAD)
#undef OPENSSL_SYM_LOAD
        loaded = true;
        return 0;
}
