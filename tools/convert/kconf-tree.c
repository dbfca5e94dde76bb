/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The statement tree and the diagnostics list: plain data structures. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kconf-tree.h"

void kc_diagv(KcDiags *d, KcSeverity sev, const char *file, unsigned line, const char *fmt, va_list ap) {
        char *msg = NULL;

        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        if (sev == KC_ERROR)
                d->n_errors++;
        else
                d->n_warnings++;
        /* Keep the first ones: a garbage file would otherwise store one per line. */
        if (d->n >= KC_MAX_DIAGS_PRINTED) {
                free(msg);
                return;
        }
        KcDiag *items = realloc(d->items, (d->n + 1) * sizeof *items);
        if (!items) {
                free(msg);
                return;
        }
        d->items = items;
        /* A copy: diagnostics outlive the parser that owned the file names. */
        char *f = NULL;
        if (file && !(f = strdup(file))) {
                free(msg);
                return;
        }
        d->items[d->n++] = (KcDiag) { .severity = sev, .file = f, .line = line, .message = msg };
}

void kc_diag(KcDiags *d, KcSeverity sev, const char *file, unsigned line, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        kc_diagv(d, sev, file, line, fmt, ap);
        va_end(ap);
}

void kc_diags_print(const KcDiags *d, FILE *f) {
        for (size_t i = 0; i < d->n; i++) {
                const KcDiag *g = &d->items[i];
                if (g->file && g->line > 0)
                        fprintf(f, "%s:%u: ", g->file, g->line);
                else if (g->file)
                        fprintf(f, "%s: ", g->file);
                fprintf(f, "%s%s\n", g->severity == KC_ERROR ? "error: " : "", strna(g->message));
        }
        size_t total = d->n_errors + d->n_warnings;
        if (total > d->n)
                fprintf(f, "(%zu more diagnostics not shown)\n", total - d->n);
}

void kc_diags_free(KcDiags *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].message);
                free(d->items[i].file);
        }
        free(d->items);
        *d = (KcDiags) {};
}

KcNode *kc_node_new(const char *keyword, const char *file, unsigned line) {
        KcNode *n = calloc(1, sizeof *n);
        if (!n)
                return NULL;
        n->args = calloc(1, sizeof(char *));
        if (!n->args) {
                free(n);
                return NULL;
        }
        if (keyword) {
                n->keyword = strdup(keyword);
                if (!n->keyword) {
                        free(n->args);
                        free(n);
                        return NULL;
                }
        }
        n->file = file;
        n->line = line;
        return n;
}

void kc_node_free(KcNode *n) {
        if (!n)
                return;
        for (size_t i = 0; i < n->n_children; i++)
                kc_node_free(n->children[i]);
        free(n->children);
        strv_free(n->args);
        free(n->keyword);
        free(n);
}

int kc_node_add_arg(KcNode *n, const char *arg) {
        char *s = strdup(arg);
        if (!s)
                return -ENOMEM;
        /* n_args + 1 slots are there (NULL-terminated); double when that is a power of two,
         * so a line of 10^6 words stays linear */
        if (((n->n_args + 1) & n->n_args) == 0) {
                char **a = realloc(n->args, 2 * (n->n_args + 1) * sizeof *a);
                if (!a) {
                        free(s);
                        return -ENOMEM;
                }
                n->args = a;
        }
        n->args[n->n_args++] = s;
        n->args[n->n_args] = NULL;
        return 0;
}

int kc_node_add_child(KcNode *parent, KcNode *child) {
        /* Grow geometrically: a 10 MB file may put 10^5 statements in one block. */
        size_t n = parent->n_children;
        if ((n & (n - 1)) == 0) {
                size_t cap = n ? n * 2 : 1;
                KcNode **c = realloc(parent->children, cap * sizeof *c);
                if (!c)
                        return -ENOMEM;
                parent->children = c;
        }
        parent->children[parent->n_children++] = child;
        return 0;
}

KcTree *kc_tree_free(KcTree *t) {
        if (!t)
                return NULL;
        kc_node_free(t->root);
        strv_free(t->files);
        free(t);
        return NULL;
}

static void dump_word(const char *s, FILE *f) {
        bool plain = *s != '\0';
        for (const char *c = s; *c; c++)
                if (strchr(" \t\"'{}#!\\", *c) || (unsigned char) *c < 0x20)
                        plain = false;
        if (plain) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (const char *c = s; *c; c++) {
                if (*c == '"' || *c == '\\')
                        fprintf(f, "\\%c", *c);
                else if ((unsigned char) *c < 0x20)
                        fprintf(f, "\\x%02x", (unsigned char) *c);
                else
                        fputc(*c, f);
        }
        fputc('"', f);
}

void kc_tree_dump(const KcNode *n, FILE *f, unsigned indent) {
        if (n->keyword) {
                fprintf(f, "%*s", (int) indent * 2, "");
                dump_word(n->keyword, f);
                for (size_t i = 0; i < n->n_args; i++) {
                        fputc(' ', f);
                        dump_word(n->args[i], f);
                }
                if (n->block)
                        fputs(" {", f);
                fputc('\n', f);
        }
        for (size_t i = 0; i < n->n_children; i++)
                kc_tree_dump(n->children[i], f, n->keyword ? indent + 1 : indent);
        if (n->keyword && n->block)
                fprintf(f, "%*s}\n", (int) indent * 2, "");
}
