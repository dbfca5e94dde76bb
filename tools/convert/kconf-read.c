/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file side of the keepalived parser: reads the main file and every
 * `include` (glob, relative to the including file), refuses include loops and
 * oversized or non-regular files. All grammar lives in kconf-parse.c. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kconf-read.h"

typedef struct ReadCtx {
        KcDiags *diags;
        struct {
                dev_t dev;
                ino_t ino;
                const char *name;
        } stack[KC_MAX_INCLUDE_DEPTH + 1];
        size_t depth;
} ReadCtx;

/* Reads a whole regular file (or stdin for "-"), at most KC_MAX_INPUT bytes. */
static int read_all(int fd, char **ret, size_t *ret_len) {
        size_t len = 0, cap = 0;
        _cleanup_free_ char *buf = NULL;

        for (;;) {
                if (len == cap) {
                        if (cap >= KC_MAX_INPUT)
                                return -E2BIG;
                        cap = cap ? cap * 2 : 65536;
                        char *b = realloc(buf, cap);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int feed_path(KcParser *p, ReadCtx *ctx, const char *path, const char *from_file, unsigned from_line) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        struct stat st;
        int r;

        const char *name = kc_parser_add_file(p, streq(path, "-") ? "(stdin)" : path);
        if (!name)
                return -ENOMEM;
        if (streq(path, "-"))
                fd = dup(STDIN_FILENO);
        else
                /* O_NONBLOCK: opening a FIFO must not wait for a writer before we can refuse it */
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                kc_diag(ctx->diags, KC_ERROR, from_file ? from_file : name, from_file ? from_line : 0,
                        "cannot open %s: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode)) {
                kc_diag(ctx->diags, KC_ERROR, from_file ? from_file : name, from_file ? from_line : 0,
                        "%s is a directory, not a configuration file", path);
                return -EISDIR;
        }
        if (from_file && !S_ISREG(st.st_mode)) {
                /* a FIFO or device behind an include would block or never end */
                kc_diag(ctx->diags, KC_ERROR, from_file, from_line, "%s is not a regular file", path);
                return -EBADFD;
        }
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
                return -errno;
        if (S_ISREG(st.st_mode) && (uint64_t) st.st_size > KC_MAX_INPUT) {
                kc_diag(ctx->diags, KC_ERROR, name, 0, "file too large (%llu bytes, the limit is %u MiB)",
                        (unsigned long long) st.st_size, KC_MAX_INPUT / (1024 * 1024));
                return -E2BIG;
        }
        if (S_ISREG(st.st_mode))
                for (size_t i = 0; i < ctx->depth; i++)
                        if (ctx->stack[i].dev == st.st_dev && ctx->stack[i].ino == st.st_ino) {
                                kc_diag(ctx->diags, KC_ERROR, from_file, from_line,
                                        "include loop: %s is already being read (included from %s)", path,
                                        ctx->stack[i].name);
                                return -ELOOP;
                        }
        if (ctx->depth >= KC_MAX_INCLUDE_DEPTH) {
                kc_diag(ctx->diags, KC_ERROR, from_file, from_line, "includes nested more than %u deep",
                        KC_MAX_INCLUDE_DEPTH);
                return -ELOOP;
        }
        r = read_all(fd, &data, &len);
        if (r == -E2BIG) {
                kc_diag(ctx->diags, KC_ERROR, name, 0, "file too large (the limit is %u MiB)",
                        KC_MAX_INPUT / (1024 * 1024));
                return r;
        }
        if (r < 0) {
                kc_diag(ctx->diags, KC_ERROR, name, 0, "cannot read: %s", strerror(-r));
                return r;
        }

        ctx->stack[ctx->depth].dev = st.st_dev;
        ctx->stack[ctx->depth].ino = st.st_ino;
        ctx->stack[ctx->depth].name = name;
        ctx->depth++;
        r = kc_parser_feed(p, name, data, len);
        ctx->depth--;
        return r;
}

static int on_include(KcParser *p, const char *pattern, const char *from_file, unsigned line, void *userdata) {
        ReadCtx *ctx = userdata;
        _cleanup_free_ char *full = NULL;
        glob_t g = {};
        int r = 0;

        /* Relative to the directory of the including file, as keepalived does. */
        if (pattern[0] != '/' && pattern[0] != '~') {
                const char *slash = strrchr(from_file, '/');
                if (slash && !streq(from_file, "(stdin)")) {
                        if (asprintf(&full, "%.*s/%s", (int) (slash - from_file), from_file, pattern) < 0)
                                return -ENOMEM;
                } else
                        full = strdup(pattern);
        } else
                full = strdup(pattern);
        if (!full)
                return -ENOMEM;

        int k = glob(full, GLOB_BRACE | GLOB_TILDE_CHECK, NULL, &g);
        if (k == GLOB_NOMATCH) {
                /* Plain "include" of nothing is not an error in keepalived (optional conf.d). */
                kc_diag(ctx->diags, KC_WARNING, from_file, line, "include '%s' matches no file", pattern);
                globfree(&g);
                return 0;
        }
        if (k != 0) {
                kc_diag(ctx->diags, KC_ERROR, from_file, line, "include '%s': cannot expand the pattern", pattern);
                globfree(&g);
                return -EINVAL;
        }
        for (size_t i = 0; i < g.gl_pathc; i++) {
                k = feed_path(p, ctx, g.gl_pathv[i], from_file, line);
                if (k == -ENOMEM || k == -E2BIG) {
                        r = k;
                        break;
                }
                if (k < 0 && r == 0)
                        r = k;
        }
        globfree(&g);
        return r;
}

int kc_read_file(const char *path, const char *config_id, KcDiags *diags, KcTree **ret) {
        _cleanup_(kc_parser_freep) KcParser *p = NULL;
        ReadCtx ctx = { .diags = diags };
        KcParseOptions o = { .config_id = config_id, .include = on_include, .userdata = &ctx };
        int r;

        r = kc_parser_new(&o, diags, &p);
        if (r < 0)
                return r;
        r = feed_path(p, &ctx, path, NULL, 0);
        if (r == -ENOMEM)
                return r;
        int k = kc_parser_finish(p, ret);
        if (k == 0 && r < 0) {
                *ret = kc_tree_free(*ret);
                return r;
        }
        return r < 0 ? r : k;
}
