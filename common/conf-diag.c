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

int conf_locs_add(ConfLocs *l, const void *key, const ConfLoc *loc) {
        if (l->n == l->allocated) {
                size_t na = MAX(l->allocated * 2, (size_t) 64);
                ConfLocEntry *n = realloc(l->items, na * sizeof(ConfLocEntry));
                if (!n)
                        return -ENOMEM;
                l->items = n;
                l->allocated = na;
        }
        l->items[l->n++] = (ConfLocEntry) { .key = key, .loc = *loc };
        l->sorted = false;
        return 0;
}

static int loc_cmp(const void *a, const void *b) {
        const ConfLocEntry *x = a, *y = b;
        if (x->key != y->key)
                return (uintptr_t) x->key < (uintptr_t) y->key ? -1 : 1;
        /* first recorded wins among equal keys */
        return x < y ? -1 : x > y ? 1 : 0;
}

static const ConfLocEntry *locs_find(ConfLocs *l, const void *key) {
        if (!l || l->n == 0)
                return NULL;
        if (!l->sorted) {
                qsort(l->items, l->n, sizeof(ConfLocEntry), loc_cmp);
                l->sorted = true;
        }
        size_t lo = 0, hi = l->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if ((uintptr_t) l->items[mid].key < (uintptr_t) key)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < l->n && l->items[lo].key == key ? &l->items[lo] : NULL;
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
