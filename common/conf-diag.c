/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Diagnostics of the config model: collected (never just the first), printed
 * sorted by position so a user reads them top to bottom like a compiler's. */

#include <stdarg.h>

#include "conf-internal.h"
#include "macro.h"

/* The file name is copied behind the message in the same allocation: a
 * diagnostic outlives the Config whose files[] a ConfLoc normally points to
 * (on failure the Config is freed and only the diagnostics are returned). */
void conf_diag_add(ConfDiags *d, const ConfLoc *loc, bool warning, const char *fmt, ...) {
        char *msg = NULL;
        va_list ap;
        int r;

        if (!d)
                return;
        if (d->n >= CONF_DIAGS_MAX) {
                /* hostile input (aliases) can make millions; count them, keep the first ones */
                if (!warning)
                        d->n_errors++;
                if (d->n == CONF_DIAGS_MAX) {
                        ConfDiag *n = realloc(d->items, (d->n + 1) * sizeof(ConfDiag));
                        char *m = strdup("too many problems, only the first " STRINGIFY(CONF_DIAGS_MAX) " are shown");
                        if (!n || !m) {
                                free(m);
                                if (n)
                                        d->items = n;
                                return;
                        }
                        d->items = n;
                        /* no location: sorts first, and says why the list stops */
                        d->items[d->n++] = (ConfDiag) { .warning = true, .message = m };
                }
                return;
        }

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return; /* out of memory: the error count below still records nothing; nothing better to do */

        const char *file = loc && loc->file ? loc->file : NULL;
        size_t mlen = (size_t) r, flen = file ? strlen(file) : 0;
        char *block = malloc(mlen + 1 + flen + 1);
        if (!block) {
                free(msg);
                return;
        }
        memcpy(block, msg, mlen + 1);
        free(msg);
        if (file)
                memcpy(block + mlen + 1, file, flen + 1);

        ConfDiag *n = realloc(d->items, (d->n + 1) * sizeof(ConfDiag));
        if (!n) {
                free(block);
                return;
        }
        d->items = n;
        d->items[d->n++] = (ConfDiag) {
                .loc = {
                        .file = file ? block + mlen + 1 : NULL,
                        .line = loc ? loc->line : 0,
                        .col = loc ? loc->col : 0,
                },
                .warning = warning,
                .message = block,
        };
        if (!warning)
                d->n_errors++;
}

void conf_diags_free(ConfDiags *d) {
        if (!d)
                return;
        for (size_t i = 0; i < d->n; i++)
                free(d->items[i].message);
        free(d->items);
        *d = (ConfDiags) {};
}

static int diag_cmp(const void *a, const void *b) {
        const ConfDiag *x = *(const ConfDiag *const *) a, *y = *(const ConfDiag *const *) b;
        int r = strcmp(strempty(x->loc.file), strempty(y->loc.file));
        if (r != 0)
                return r;
        if (x->loc.line != y->loc.line)
                return x->loc.line < y->loc.line ? -1 : 1;
        if (x->loc.col != y->loc.col)
                return x->loc.col < y->loc.col ? -1 : 1;
        /* same position: keep the order they were found in */
        return x < y ? -1 : x > y ? 1 : 0;
}

static const ConfDiag **diags_sorted(const ConfDiags *d) {
        const ConfDiag **v = malloc(MAX(d->n, (size_t) 1) * sizeof(ConfDiag *));
        if (!v)
                return NULL;
        for (size_t i = 0; i < d->n; i++)
                v[i] = &d->items[i];
        qsort(v, d->n, sizeof(ConfDiag *), diag_cmp);
        return v;
}

static void diag_print_one(const ConfDiag *g, FILE *f) {
        const char *kind = g->warning ? "warning" : "error";
        if (g->loc.file && g->loc.line > 0)
                fprintf(f, "%s:%u:%u: %s: %s\n", g->loc.file, g->loc.line, g->loc.col, kind, g->message);
        else if (g->loc.file)
                fprintf(f, "%s: %s: %s\n", g->loc.file, kind, g->message);
        else
                fprintf(f, "%s: %s\n", kind, g->message);
}

void conf_diags_print(const ConfDiags *d, FILE *f) {
        if (!d || d->n == 0)
                return;
        _cleanup_free_ const ConfDiag **v = diags_sorted(d);
        if (!v) {
                /* unsorted is better than nothing */
                for (size_t i = 0; i < d->n; i++)
                        diag_print_one(&d->items[i], f);
                return;
        }
        for (size_t i = 0; i < d->n; i++)
                diag_print_one(v[i], f);
}

char *conf_diags_to_string(const ConfDiags *d) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        conf_diags_print(d, f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        /* no trailing newline: the string goes into a D-Bus error message */
        if (len > 0 && buf[len - 1] == '\n')
                buf[len - 1] = 0;
        return buf;
}

/* ---- location table ---- */

static size_t locs_hash(const void *key, size_t size) {
        uint64_t x = (uint64_t) (uintptr_t) key;
        x ^= x >> 33;
        x *= UINT64_C(0xff51afd7ed558ccd);
        x ^= x >> 33;
        return (size_t) x & (size - 1);
}

static ConfLocEntry *locs_find(ConfLocs *l, const void *key) {
        if (!l || l->index_size == 0)
                return NULL;
        for (size_t h = locs_hash(key, l->index_size);; h = (h + 1) & (l->index_size - 1)) {
                size_t v = l->index[h];
                if (v == 0)
                        return NULL;
                if (l->items[v - 1].key == key)
                        return &l->items[v - 1];
        }
}

static int locs_index_grow(ConfLocs *l) {
        size_t ns = l->index_size ? l->index_size * 2 : 128;
        size_t *ni = calloc(ns, sizeof *ni);
        if (!ni)
                return -ENOMEM;
        for (size_t k = 0; k < l->n; k++) {
                size_t h = locs_hash(l->items[k].key, ns);
                while (ni[h] != 0)
                        h = (h + 1) & (ns - 1);
                ni[h] = k + 1;
        }
        free(l->index);
        l->index = ni;
        l->index_size = ns;
        return 0;
}

int conf_locs_add(ConfLocs *l, const void *key, const ConfLoc *loc) {
        /* first recorded wins among equal keys */
        if (locs_find(l, key))
                return 0;
        if (l->n == l->allocated) {
                size_t na = MAX(l->allocated * 2, (size_t) 64);
                ConfLocEntry *n = realloc(l->items, na * sizeof(ConfLocEntry));
                if (!n)
                        return -ENOMEM;
                l->items = n;
                l->allocated = na;
        }
        l->items[l->n++] = (ConfLocEntry) { .key = key, .loc = *loc };
        if (2 * l->n > l->index_size)
                return locs_index_grow(l); /* re-indexes every item, the new one too */
        size_t h = locs_hash(key, l->index_size);
        while (l->index[h] != 0)
                h = (h + 1) & (l->index_size - 1);
        l->index[h] = l->n;
        return 0;
}

const ConfLoc *conf_locs_get(ConfLocs *l, const void *key, const ConfLoc *fallback) {
        const ConfLocEntry *e = locs_find(l, key);
        return e ? &e->loc : fallback;
}

bool conf_locs_has(ConfLocs *l, const void *key) {
        return locs_find(l, key) != NULL;
}

void conf_locs_free(ConfLocs *l) {
        free(l->items);
        free(l->index);
        *l = (ConfLocs) {};
}

/* ---- suggestions ---- */

static size_t edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        if (la > 64 || lb > 64)
                return SIZE_MAX; /* nobody misspells a 64-character key; keeps this bounded */
        size_t prev[65], cur[65];
        for (size_t j = 0; j <= lb; j++)
                prev[j] = j;
        for (size_t i = 1; i <= la; i++) {
                cur[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
                        size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
                        cur[j] = MIN(sub, MIN(del, ins));
                }
                memcpy(prev, cur, (lb + 1) * sizeof(size_t));
        }
        return prev[lb];
}

const char *conf_suggest(const char *s, const char *const *candidates) {
        const char *best = NULL;
        size_t best_d = SIZE_MAX;

        if (!s || !candidates)
                return NULL;
        size_t limit = MAX((size_t) 2, strlen(s) / 3);
        for (const char *const *c = candidates; *c; c++) {
                size_t dist = edit_distance(s, *c);
                if (dist < best_d) {
                        best_d = dist;
                        best = *c;
                }
        }
        return best_d <= limit ? best : NULL;
}
